"""Writes the analytics day counts that changed to the series store: each course's count with
its category's and the total's. A day written again replaces the one before, so an export
that dies half way is simply repeated; while the store is down the marks stay."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date

from datasources.backends import Backends
from datasources.sql import analytics_flows
from datasources.sql.analytics_flows import DayCount
from records.analytics import TOTAL_KEY, Measurement, Point, Scope, SeriesKey

EXPORT_BATCH = 5000


async def export_counts(backends: Backends) -> int:
    """Returns how many counts were exported; raises SeriesUnavailable with the rest marked."""
    engine = backends.catalog_engine
    exported = 0
    while counts := await analytics_flows.unexported(engine, EXPORT_BATCH):
        await backends.analytics.write(await _points(backends, counts))
        await analytics_flows.mark_exported(engine, counts)
        exported += len(counts)
    return exported


async def _points(backends: Backends, counts: Sequence[DayCount]) -> list[Point]:
    points = [
        Point(SeriesKey(c.measurement, Scope.COURSE, str(c.course_id)), c.day, c.value)
        for c in counts
    ]
    touched = {(c.day, c.measurement) for c in counts}
    totals: Counter[tuple[date, Measurement]] = Counter()
    for row in await analytics_flows.by_category(backends.catalog_engine, touched):
        totals[(row.day, row.measurement)] += row.value
        if row.category is not None:
            key = SeriesKey(row.measurement, Scope.CATEGORY, row.category)
            points.append(Point(key, row.day, row.value))
    points.extend(
        Point(SeriesKey(measurement, Scope.TOTAL, TOTAL_KEY), day, value)
        for (day, measurement), value in totals.items()
    )
    return points
