"""Gauges sampled in the background, so that a scrape of /metrics reads figures and runs no query.

Every process samples its own database pools (the coursegate-database alerts of
monitoring/alerts.yml divide the two pool gauges series by series), every second, and the
subscriptions active now over every shard, every minute. That figure comes from the popularity
model the popularity consumer keeps in the catalog database (course_activity), never from a
count over the shards.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from prometheus_client import Gauge

from datasources.backends import Backends
from datasources.sql import popularity_store
from datasources.sql.engine import SqlEngine

log = logging.getLogger("coursegate.metrics")

POOL_SECONDS = 1.0
ACTIVE_SECONDS = 60.0

# Per worker ("liveall" adds its pid in multiprocess mode): each worker has pools of its own,
# and a request waits on its own worker's pool however idle the others are.
POOL_SIZE = Gauge(
    "coursegate_db_pool_size",
    "Connections this process's pool of a database opens at most (0: the pool is closed)",
    ["database"],
    multiprocess_mode="liveall",
)
CONNECTIONS_IN_USE = Gauge(
    "coursegate_db_connections_in_use",
    "Connections of this process's pool of a database taken (or being opened) now",
    ["database"],
    multiprocess_mode="liveall",
)
# Every worker reads the same figure: the latest read stands for the pod.
ACTIVE_SUBSCRIPTIONS = Gauge(
    "coursegate_active_subscriptions",
    "Subscriptions active today over every shard, from the popularity model (NaN: unknown)",
    multiprocess_mode="livemostrecent",
)
# A labelless gauge cannot be removed, and one never set reads 0. So an unknown figure (no model
# yet, or the catalog failing) is NaN, Prometheus's "no value": a graph shows a gap and every
# comparison in a rule is false, where 0 or the last figure would pass for a current one.
UNKNOWN = float("nan")

# Every pool label this process has set: one no longer reported (its engine closed) reads 0.
_pools_sampled: set[str] = set()


def sample_pools(backends: Backends) -> None:
    """Sets the pool gauges from the counters of every pool now (no I/O). A pool that has gone
    gets size 0, which the rules skip, instead of its last figures: prometheus_client cannot
    remove a labelled series in multiprocess mode."""
    usage = [
        pool
        for engine in (backends.catalog_engine, *backends.shard_engines)
        for pool in engine.pool_usage()
    ]
    for pool in usage:
        POOL_SIZE.labels(pool.database).set(pool.size)
        CONNECTIONS_IN_USE.labels(pool.database).set(pool.in_use)
    reported = {pool.database for pool in usage}
    for gone in _pools_sampled - reported:
        POOL_SIZE.labels(gone).set(0)
        CONNECTIONS_IN_USE.labels(gone).set(0)
    _pools_sampled.update(reported)


class ActiveSubscriptions:
    """Refreshes `coursegate_active_subscriptions` from the catalog's popularity model."""

    def __init__(self, catalog: SqlEngine) -> None:
        self._catalog = catalog
        self._failing = False

    async def refresh(self) -> int | None:
        """Sets the gauge and returns the figure; None (and NaN in the gauge) when it is
        unknown. A failing catalog is logged at WARNING once until it answers again."""
        try:
            total = await popularity_store.active_total(self._catalog, datetime.now(UTC).date())
        except Exception as error:  # whatever the failure, the figure is unknown: never raise
            if not self._failing:
                log.warning("active subscriptions unknown: the catalog failed: %r", error)
            self._failing = True
            total = None
        else:
            if self._failing:
                log.info("active subscriptions known again")
            self._failing = False
        ACTIVE_SUBSCRIPTIONS.set(UNKNOWN if total is None else total)
        return total


async def _every(
    seconds: float, sample: Callable[[], Awaitable[object]], stop: asyncio.Event
) -> None:
    while not stop.is_set():
        await sample()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)


async def sample_metrics(
    backends: Backends,
    stop: asyncio.Event,
    pool_seconds: float = POOL_SECONDS,
    active_seconds: float = ACTIVE_SECONDS,
) -> None:
    """Samples the pools every `pool_seconds` and active subscriptions every `active_seconds`,
    each at once first, until `stop` is set."""
    active = ActiveSubscriptions(backends.catalog_engine)

    async def pools() -> None:
        sample_pools(backends)

    # Two loops, so that pool use is still sampled while the figure waits for a catalog
    # connection: a full pool is when its gauges matter most.
    async with asyncio.TaskGroup() as loops:
        loops.create_task(_every(pool_seconds, pools, stop))
        loops.create_task(_every(active_seconds, active.refresh, stop))
