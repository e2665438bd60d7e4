"""The pool gauges and the active subscriptions gauge, on the embedded default and on MariaDB:
pools report their configured size and the connections held now, the sampler exports them per
database, the figure comes from the popularity model (unknown until it is built, expired
subscriptions left out, unknown again while the catalog fails), and the sampling loop stops as
soon as it is told to."""

from __future__ import annotations

import asyncio
import logging
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import REGISTRY

from datasources.backends import Backends
from datasources.sql import popularity_store
from datasources.sql.engine import Dialect, Params, PoolUsage, Row
from datasources.sql.mysql_engine import MysqlEngine
from jobs.consumers.popularity import PopularityConsumer
from jobs.consumers.runner import consume_available
from jobs.metrics_sampler import (
    ACTIVE_SUBSCRIPTIONS,
    CONNECTIONS_IN_USE,
    POOL_SIZE,
    ActiveSubscriptions,
    sample_metrics,
    sample_pools,
)
from jobs.relay import Relay
from records.subscriptions import NewSubscription
from tests import servers
from tests.factories import add_course

# What open_backends configures: MysqlEngine's default pool, SQLite's one writer.
POOL_SIZES = {Dialect.MYSQL: 10, Dialect.SQLITE: 1}
WAIT_SECONDS = 5.0


def _in_use(database: str) -> float | None:
    return REGISTRY.get_sample_value("coursegate_db_connections_in_use", {"database": database})


def _pool_size(database: str) -> float | None:
    return REGISTRY.get_sample_value("coursegate_db_pool_size", {"database": database})


def _active() -> float | None:
    return REGISTRY.get_sample_value("coursegate_active_subscriptions")


async def test_a_pool_reports_its_size_and_a_connection_held_in_a_transaction(
    backends: Backends,
) -> None:
    engine = backends.catalog_engine
    idle = PoolUsage("catalog", 0, POOL_SIZES[engine.dialect])
    assert engine.pool_usage() == [idle]
    assert [shard.pool_usage() for shard in backends.shard_engines] == [
        [PoolUsage(f"shard-{i}", 0, POOL_SIZES[engine.dialect])]
        for i in range(len(backends.shard_engines))
    ]
    async with engine.transaction() as tx:
        await tx.fetch_one("SELECT 1")
        assert engine.pool_usage() == [PoolUsage("catalog", 1, idle.size)]
        assert backends.shard_engines[0].pool_usage()[0].in_use == 0
    assert engine.pool_usage() == [idle]
    await engine.close()
    assert engine.pool_usage() == []


async def test_a_mysql_engine_reports_its_configured_size_and_each_replica_pool(
    mariadb_databases: dict[str, Any],
) -> None:
    url = servers.mysql_url(mariadb_databases["catalog"])
    # The primary stands in for its own replica: the pools are what is measured.
    engine = await MysqlEngine(url, "probe", replica_urls=[url], pool_size=3).open()
    try:
        assert engine.pool_usage() == [
            PoolUsage("probe", 0, 3),
            PoolUsage("probe/replica-0", 0, 3),
        ]
        async with engine.transaction() as first, engine.transaction() as second:
            await first.fetch_one("SELECT 1")
            await second.fetch_one("SELECT 1")
            assert engine.pool_usage()[0] == PoolUsage("probe", 2, 3)
        assert engine.pool_usage()[0] == PoolUsage("probe", 0, 3)
    finally:
        await engine.close()
    assert engine.pool_usage() == []


async def test_the_sampler_sets_the_pool_gauges_per_database(backends: Backends) -> None:
    size = POOL_SIZES[backends.catalog_engine.dialect]
    last_shard = f"shard-{len(backends.shard_engines) - 1}"
    CONNECTIONS_IN_USE.labels("catalog").set(-1)
    POOL_SIZE.labels("catalog").set(-1)
    # On MariaDB the bucket-map watcher reads the catalog every 0.25 s, so the catalog's gauge
    # is compared with its pool as read at the same instant, not with 0.
    sample_pools(backends)
    catalog_in_use = backends.catalog_engine.pool_usage()[0].in_use
    assert (_pool_size("catalog"), _in_use("catalog")) == (size, catalog_in_use)
    assert (_pool_size(last_shard), _in_use(last_shard)) == (size, 0)

    async with backends.shard_engines[0].transaction():
        sample_pools(backends)
        catalog_in_use = backends.catalog_engine.pool_usage()[0].in_use
        assert (_in_use("shard-0"), _in_use("catalog")) == (1, catalog_in_use)
    sample_pools(backends)
    assert _in_use("shard-0") == 0

    # A pool that closed reads size 0 (the rules skip it), not its last figures.
    await backends.shard_engines[-1].close()
    sample_pools(backends)
    assert (_pool_size(last_shard), _in_use(last_shard)) == (0, 0)
    assert _pool_size("catalog") == size


async def _relay_and_apply(backends: Backends) -> None:
    await Relay(backends.shard_engines, backends.events).relay_once()
    await consume_available(backends.events, PopularityConsumer(backends))


async def test_active_total_is_unknown_until_the_model_is_built_and_leaves_out_the_expired(
    backends: Backends,
) -> None:
    catalog = backends.catalog_engine
    today = datetime.now(UTC).date()
    figure = ActiveSubscriptions(catalog)
    ACTIVE_SUBSCRIPTIONS.set(-1)
    assert await popularity_store.active_total(catalog, today) is None
    assert await figure.refresh() is None
    assert math.isnan(_active() or 0.0)

    consumer = PopularityConsumer(backends)
    await consumer.start()  # built from the shards, before any subscription: known, and 0
    assert await popularity_store.active_total(catalog, today) == 0

    courses = [(await add_course(backends)).id for _ in range(2)]
    now = datetime.now(UTC)
    store = backends.subscriptions
    await store.enroll_unless_active(NewSubscription(1, courses[0], now, None, "free"), now)
    for user_id, course_id in ((2, courses[0]), (3, courses[1])):
        ends = now + timedelta(days=10)
        await store.enroll_unless_active(
            NewSubscription(user_id, course_id, now, ends, "free"), now
        )
    past = now - timedelta(days=60)
    expired = NewSubscription(4, courses[1], past, past + timedelta(days=30), "free")
    await store.enroll_unless_active(expired, past)
    await _relay_and_apply(backends)

    assert await popularity_store.active_total(catalog, today) == 3
    per_course = await popularity_store.active_counts(catalog, today)
    assert per_course == {courses[0]: 2, courses[1]: 1}
    assert await figure.refresh() == 3
    assert _active() == 3

    await consumer.rebuild()  # a count from the shards agrees
    assert await popularity_store.active_total(catalog, today) == 3


async def test_a_failing_catalog_makes_the_figure_unknown_and_warns_once_per_streak(
    backends: Backends, caplog: pytest.LogCaptureFixture
) -> None:
    catalog = backends.catalog_engine
    await PopularityConsumer(backends).start()
    figure = ActiveSubscriptions(catalog)
    caplog.set_level(logging.INFO, logger="coursegate.metrics")

    def warnings() -> int:
        return sum(r.levelno == logging.WARNING for r in caplog.records)

    async def failing_twice() -> None:
        # A real database error: the table the figure reads first is not there.
        await catalog.execute("ALTER TABLE consumer_marks RENAME TO consumer_marks_away")
        try:
            assert await figure.refresh() is None
            assert math.isnan(_active() or 0.0)
            assert await figure.refresh() is None
        finally:
            await catalog.execute("ALTER TABLE consumer_marks_away RENAME TO consumer_marks")

    assert await figure.refresh() == 0
    await failing_twice()
    assert warnings() == 1
    assert await figure.refresh() == 0
    assert _active() == 0
    assert any("known again" in r.getMessage() for r in caplog.records)
    await failing_twice()
    assert warnings() == 2


async def test_sample_metrics_samples_on_each_cadence_and_stops_as_soon_as_told(
    backends: Backends,
) -> None:
    catalog = backends.catalog_engine
    await PopularityConsumer(backends).start()
    ACTIVE_SUBSCRIPTIONS.set(-1)
    CONNECTIONS_IN_USE.labels("catalog").set(-1)
    # The real engine, told on: each pool sample reads its pools, each refresh its model.
    pooled, refreshed = asyncio.Event(), asyncio.Event()
    calls = {"pools": 0, "refreshes": 0}
    read_pools, read_model = catalog.pool_usage, catalog.fetch_all_lagging

    def pool_usage() -> list[PoolUsage]:
        calls["pools"] += 1
        pooled.set()
        return read_pools()

    async def fetch_all_lagging(sql: str, params: Params = ()) -> list[Row]:
        rows = await read_model(sql, params)
        calls["refreshes"] += 1
        refreshed.set()
        return rows

    catalog.pool_usage = pool_usage  # type: ignore[method-assign]
    catalog.fetch_all_lagging = fetch_all_lagging  # type: ignore[method-assign]
    stop = asyncio.Event()
    task = asyncio.create_task(sample_metrics(backends, stop, 0.01, active_seconds=3600))
    try:
        # Both at once: the gauges are set before the sampler next waits, so before this runs.
        await asyncio.wait_for(asyncio.gather(pooled.wait(), refreshed.wait()), WAIT_SECONDS)
        assert (_active(), _in_use("catalog")) == (0, 0)
        async with catalog.transaction():
            pooled.clear()
            await asyncio.wait_for(pooled.wait(), WAIT_SECONDS)
            assert _in_use("catalog") == 1
        pooled.clear()
        await asyncio.wait_for(pooled.wait(), WAIT_SECONDS)
        assert _in_use("catalog") == 0
        # Pools every 10 ms, the figure not again before its hour is up.
        assert calls["pools"] >= 3 and calls["refreshes"] == 1
    finally:
        stop.set()
        del catalog.pool_usage, catalog.fetch_all_lagging  # the engine's own methods again
    # Both loops wait on `stop` itself: an hour's wait ends at once.
    await asyncio.wait_for(task, timeout=1.0)
    assert task.exception() is None
