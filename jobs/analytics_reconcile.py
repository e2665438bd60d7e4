"""Corrects the analytics day counts from the shards, so a lost event cannot drift them for
ever (domain/analytics/recount.py says what the shards can vouch for).

Runs nightly for the day before (the analytics consumer starts it once its backlog is empty)
and on demand for history: `coursegate analytics backfill --from DATE`. Shards are streamed
in batches, a month of days per pass, so memory holds one pass's counts. Today is never
reconciled: its events are still arriving, and a count replaced under them would drift.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from datasources.analytics.series import SeriesUnavailable
from datasources.backends import Backends
from datasources.sql import analytics_flows, analytics_recount
from domain.analytics.flows import Flows
from domain.analytics.recount import RECOUNTED, corrections, order_flows, run_flows
from domain.checkout.order_state import SUCCESS_KINDS
from jobs.analytics_export import export_counts
from records.analytics import day_start

DAYS_PER_PASS = 31


@dataclass
class Reconciliation:
    first: date
    last: date
    rows_read: int = 0  # settled orders and subscription runs streamed from the shards
    corrected: int = 0  # day counts that changed
    exported: bool = False  # False: the series store was down; the consumer exports later


class TodayIsNotOver(ValueError):
    pass


async def reconcile(
    backends: Backends,
    first: date,
    last: date,
    progress: Callable[[str], None] | None = None,
    today: date | None = None,
) -> Reconciliation:
    today = today or datetime.now(UTC).date()
    if last >= today:
        raise TodayIsNotOver(f"days up to {today - timedelta(days=1)} only: today is not over")
    if first > last:
        raise ValueError(f"nothing to reconcile from {first} to {last}")
    report = Reconciliation(first, last)
    pass_first = first
    while pass_first <= last:
        pass_last = min(last, pass_first + timedelta(days=DAYS_PER_PASS - 1))
        await _reconcile_pass(backends, pass_first, pass_last, report, progress)
        pass_first = pass_last + timedelta(days=1)
    try:
        await export_counts(backends)
        report.exported = True
    except SeriesUnavailable:
        pass
    return report


async def _reconcile_pass(
    backends: Backends,
    first: date,
    last: date,
    report: Reconciliation,
    progress: Callable[[str], None] | None,
) -> None:
    started = datetime.now(UTC)
    since = day_start(first)
    success = sorted(kind.value for kind in SUCCESS_KINDS)
    recounted = Flows()
    for shard in backends.shard_engines:
        async for orders in analytics_recount.settled_orders(shard, since, success):
            for order in orders:
                recounted.update(order_flows(order, first, last))
            report.rows_read += len(orders)
        async for runs in analytics_recount.runs_begun(shard, since):
            for run in runs:
                recounted.update(run_flows(run, first, last))
            report.rows_read += len(runs)
        if progress is not None:
            seconds = max((datetime.now(UTC) - started).total_seconds(), 1e-6)
            progress(
                f"{first}..{last}: {shard.name} read, {report.rows_read:,} rows so far"
                f" ({report.rows_read / seconds:,.0f} rows/s this pass)"
            )
    engine = backends.catalog_engine
    now = datetime.now(UTC)
    async with engine.transaction() as tx:
        kept = await analytics_flows.kept(tx, engine.dialect, first, last, RECOUNTED)
        corrected = corrections(kept, recounted)
        await analytics_flows.put(tx, engine.dialect, corrected)
        per_day = Counter(day for day, _, _ in corrected)
        day = first
        while day <= last:
            await analytics_flows.record_reconciliation(tx, day, per_day[day], now)
            day += timedelta(days=1)
    report.corrected += len(corrected)
