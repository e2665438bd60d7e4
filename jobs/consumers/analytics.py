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
from datasources.sql import analytics_flows, consumer_ledger, event_outbox, popularity_store
from domain.analytics.flows import KINDS, Flows, flows
from jobs.analytics_export import export_counts
from jobs.analytics_reconcile import Reconciliation, reconcile
from jobs.consumers.popularity import NAME as POPULARITY
from records.analytics import TOTAL_KEY, Measurement, Point, Scope, SeriesKey
from records.events import Event

log = logging.getLogger("coursegate.analytics")

NAME = "analytics"
SNAPSHOT_SECONDS = 60.0
LEDGER_DAYS = 2  # longer than any redelivery: an event is acked seconds after it is applied
TIDY_SECONDS = 3600.0
RECONCILE_CHECK_SECONDS = 600.0
CATCH_UP_DAYS = 7  # after a longer stop, older days are for `coursegate analytics backfill`
_SNAPSHOTS = (Measurement.ACTIVE_SUBSCRIPTIONS, Measurement.EXPIRATIONS)


class AnalyticsConsumer:
    name = NAME
    kinds = KINDS

    def __init__(self, backends: Backends) -> None:
        self._backends = backends
        self._snapshot_at: float | None = None
        self._written: dict[SeriesKey, tuple[date, int]] = {}  # the snapshot points last written
        self._tidied_at = time.monotonic()
        self._reconcile_checked_at: float | None = None

    async def start(self) -> None:
        """Nothing to build: flows start from the events, levels from the popularity model."""

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
            await export_counts(self._backends)
            due = self._snapshot_at is None or (
                time.monotonic() - self._snapshot_at >= SNAPSHOT_SECONDS
            )
            if due:
                await self.snapshot()
        except SeriesUnavailable as error:
            log.warning("analytics series store unavailable, counts kept for later: %s", error)
        checked_at = self._reconcile_checked_at
        if checked_at is None or time.monotonic() - checked_at >= RECONCILE_CHECK_SECONDS:
            await self.reconcile_if_due()
        if time.monotonic() - self._tidied_at >= TIDY_SECONDS:
            self._tidied_at = time.monotonic()
            await consumer_ledger.forget_before(
                self._backends.catalog_engine, NAME, datetime.now(UTC) - timedelta(days=LEDGER_DAYS)
            )

    async def reconcile_if_due(self) -> Reconciliation | None:
        """The nightly reconciliation: the days up to yesterday not yet reconciled (at most a
        week), once every event of them is in (nothing waits in a shard's outbox or for this
        consumer), so no late event lands on a count after it was corrected."""
        self._reconcile_checked_at = time.monotonic()
        yesterday = datetime.now(UTC).date() - timedelta(days=1)
        last = await analytics_flows.last_reconciled(self._backends.catalog_engine)
        if last is not None and last >= yesterday:
            return None
        if await self._backlog():
            return None
        # Never reconciled: only yesterday; history is for `coursegate analytics backfill`.
        first = yesterday
        if last is not None:
            first = max(yesterday - timedelta(days=CATCH_UP_DAYS - 1), last + timedelta(days=1))
        report = await reconcile(self._backends, first, yesterday)
        log.info(
            "analytics reconciled %s..%s from %d shard rows: %d counts corrected",
            report.first,
            report.last,
            report.rows_read,
            report.corrected,
        )
        return report

    async def _backlog(self) -> int:
        waiting = [await event_outbox.pending(shard) for shard in self._backends.shard_engines]
        return sum(waiting) + await self._backends.events.lag(NAME, KINDS)

    async def rebuild(self) -> None:
        """Writes every kept count and a fresh snapshot to the series store again (e.g. a new
        InfluxDB). Counts from before the consumer first ran come from the shards' backfill."""
        await analytics_flows.mark_all_unexported(self._backends.catalog_engine)
        self._written.clear()
        await export_counts(self._backends)
        await self.snapshot()

    async def snapshot(self) -> int:
        """Writes today's active subscriptions and expirations per course, category and in
        total where they changed since the last snapshot; returns how many points it wrote."""
        self._snapshot_at = time.monotonic()
        today = datetime.now(UTC).date()
        engine = self._backends.catalog_engine
        async with engine.transaction() as tx:
            built = await consumer_ledger.counted_before(tx, engine.dialect, POPULARITY)
        if built is None:
            return 0  # the popularity consumer has not built its model yet
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
            await self._backends.analytics.write(points)
            self._written.update({p.series: (p.day, p.value) for p in points})
        return len(points)


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
