"""Keeps the analytics series from the event log.

Flows (enrolments, purchases, revenue, ...) are counted per day and course in the catalog
database as events arrive (datasources/sql/analytics_flows.py), then exported to the series
store with their category and total; a day written again replaces the one before, so exports
repeat safely, and while the store is down the unexported counts wait.
Levels (active subscriptions, and the day's expirations) are snapshots of the popularity model
(course_activity): today's points are rewritten while the day lasts, so each past day keeps
the figure it ended with.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from datasources.analytics.series import SeriesUnavailable
from datasources.backends import Backends
from datasources.sql import analytics_flows, consumer_ledger, popularity_store
from datasources.sql.analytics_flows import DayCount
from domain.analytics.flows import KINDS, Flows, flows
from jobs.consumers.popularity import PopularityConsumer
from records.analytics import TOTAL_KEY, Measurement, Point, Scope, SeriesKey
from records.events import Event

log = logging.getLogger("coursegate.analytics")

NAME = "analytics"
EXPORT_BATCH = 5000
SNAPSHOT_SECONDS = 60.0
LEDGER_DAYS = 2  # longer than any redelivery: an event is acked seconds after it is applied
TIDY_SECONDS = 3600.0
_SNAPSHOTS = (Measurement.ACTIVE_SUBSCRIPTIONS, Measurement.EXPIRATIONS)


class AnalyticsConsumer:
    name = NAME
    kinds = KINDS

    def __init__(self, backends: Backends, snapshot_seconds: float = SNAPSHOT_SECONDS) -> None:
        self._backends = backends
        self._snapshot_seconds = snapshot_seconds
        self._snapshot_at: float | None = None
        self._written: dict[SeriesKey, tuple[date, int]] = {}  # the snapshot points last written
        self._prepared = False
        self._tidied_at = time.monotonic()

    async def start(self) -> None:
        # The levels are read from the popularity model: build it first if there is none.
        await PopularityConsumer(self._backends).start()

    async def apply(self, events: Sequence[Event]) -> None:
        engine = self._backends.catalog_engine
        async with engine.transaction() as tx:
            fresh = await consumer_ledger.first_seen(
                tx, engine.dialect, NAME, events, datetime.now(UTC)
            )
            change = Flows()
            for event in fresh:
                change.update(flows(event))
            await analytics_flows.add(tx, engine.dialect, change)

    async def tick(self) -> None:
        try:
            await self.export()
            due = self._snapshot_at is None or (
                time.monotonic() - self._snapshot_at >= self._snapshot_seconds
            )
            if due:
                await self.snapshot()
        except SeriesUnavailable as error:
            log.warning("analytics series store unavailable, counts kept for later: %s", error)
        if time.monotonic() - self._tidied_at >= TIDY_SECONDS:
            self._tidied_at = time.monotonic()
            await consumer_ledger.forget_before(
                self._backends.catalog_engine, NAME, datetime.now(UTC) - timedelta(days=LEDGER_DAYS)
            )

    async def rebuild(self) -> None:
        """Writes every kept count and a fresh snapshot to the series store again (e.g. a new
        InfluxDB). Counts from before the consumer first ran come from the shards' backfill."""
        await analytics_flows.mark_all_unexported(self._backends.catalog_engine)
        self._written.clear()
        await self.export()
        await self.snapshot()

    async def export(self) -> int:
        """Writes the unexported day counts, each with its category's and the total; returns
        how many counts were exported. Raises SeriesUnavailable with the rest still marked."""
        engine = self._backends.catalog_engine
        exported = 0
        while counts := await analytics_flows.unexported(engine, EXPORT_BATCH):
            await self._prepare()
            await self._backends.analytics.write(await self._flow_points(counts))
            await analytics_flows.mark_exported(engine, counts)
            exported += len(counts)
        return exported

    async def snapshot(self, now: datetime | None = None) -> int:
        """Writes today's active subscriptions and expirations per course, category and in
        total where they changed since the last snapshot; returns how many points it wrote."""
        self._snapshot_at = time.monotonic()
        today = (now or datetime.now(UTC)).date()
        engine = self._backends.catalog_engine
        categories = await analytics_flows.course_categories(engine)
        by_measurement = {
            Measurement.ACTIVE_SUBSCRIPTIONS: await popularity_store.active_counts(engine, today),
            Measurement.EXPIRATIONS: await popularity_store.expiring_on(engine, today),
        }
        points = [
            point
            for measurement in _SNAPSHOTS
            for point in _scoped_points(measurement, today, by_measurement[measurement], categories)
            if self._written.get(point.series) != (point.day, point.value)
        ]
        if points:
            await self._prepare()
            await self._backends.analytics.write(points)
            self._written.update({p.series: (p.day, p.value) for p in points})
        return len(points)

    async def _prepare(self) -> None:
        if not self._prepared:
            await self._backends.analytics.prepare()
            self._prepared = True

    async def _flow_points(self, counts: Sequence[DayCount]) -> list[Point]:
        points = [
            Point(SeriesKey(c.measurement, Scope.COURSE, str(c.course_id)), c.day, c.value)
            for c in counts
        ]
        touched = {(c.day, c.measurement) for c in counts}
        totals: Counter[tuple[date, Measurement]] = Counter()
        for row in await analytics_flows.by_category(self._backends.catalog_engine, touched):
            totals[(row.day, row.measurement)] += row.value
            if row.category is not None:
                key = SeriesKey(row.measurement, Scope.CATEGORY, row.category)
                points.append(Point(key, row.day, row.value))
        points.extend(
            Point(SeriesKey(measurement, Scope.TOTAL, TOTAL_KEY), day, value)
            for (day, measurement), value in totals.items()
        )
        return points


def _scoped_points(
    measurement: Measurement, day: date, per_course: dict[int, int], categories: dict[int, str]
) -> list[Point]:
    """Every catalog course's figure (zero included, so a figure that fell to zero is written),
    each category's sum and the total."""
    per_category: Counter[str] = Counter({category: 0 for category in categories.values()})
    points = []
    for course_id in categories.keys() | per_course.keys():
        value = per_course.get(course_id, 0)
        points.append(Point(SeriesKey(measurement, Scope.COURSE, str(course_id)), day, value))
        if course_id in categories:
            per_category[categories[course_id]] += value
    points.extend(
        Point(SeriesKey(measurement, Scope.CATEGORY, category), day, value)
        for category, value in per_category.items()
    )
    points.append(
        Point(SeriesKey(measurement, Scope.TOTAL, TOTAL_KEY), day, sum(per_course.values()))
    )
    return points
