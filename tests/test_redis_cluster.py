"""Redis Cluster (three masters of this module's own, `redis+cluster://` URL): the cache's
batched reads, writes and invalidations and the rate-limit script work across hash slots; the
gateway on MariaDB + the cluster serves and invalidates as on one Redis; and with a master
killed during reads it keeps answering, from the databases where it must."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from datasources.backends import Backends, open_backends
from datasources.cache.redis_cache import RedisCache
from datasources.limits.redis_buckets import RedisBuckets
from datasources.redis_client import slot_of
from domain.rate_limits import Budgets
from gateway import create_app
from settings import Settings
from tests import servers
from tests.conftest import graphql, token_for
from tests.factories import add_course
from tests.redis_cluster import RedisClusterServers, redis_cluster_installed

MINE = "{ me { subscriptions(first: 10) { edges { node { courseId state } } } } }"
ENROLL = "mutation($id: ID!) { enroll(courseId: $id) { __typename } }"
CANCEL = "mutation($id: ID!) { cancelSubscription(courseId: $id) { __typename } }"


def _cluster(directory: Path) -> RedisClusterServers:
    servers.require(redis_cluster_installed(), "redis-server and redis-cli (Debian redis)")
    cluster = RedisClusterServers(directory)
    cluster.start()
    return cluster


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisClusterServers]:
    started = _cluster(tmp_path_factory.mktemp("redis-cluster"))
    yield started
    started.stop()


@pytest.fixture
async def cache(cluster: RedisClusterServers) -> AsyncIterator[RedisCache]:
    opened = RedisCache(cluster.url, f"cgtest:{uuid.uuid4().hex}:")
    yield opened
    await opened.close()


async def test_batched_reads_writes_and_invalidations_span_every_master(cache: RedisCache) -> None:
    keys = [f"course:{n}" for n in range(300)]
    assert len({slot_of(key) for key in keys}) > 250  # spread over the three masters' slots
    await cache.set_many({key: key.encode() for key in keys}, 60)
    # Concurrent readers join one batch, whose keys cross slots.
    answers = await asyncio.gather(*(cache.get_many(keys[n::10]) for n in range(10)))
    for n, values in enumerate(answers):
        assert values == [key.encode() for key in keys[n::10]]
    await cache.delete(*keys[:150])
    remaining = await cache.get_many(keys)
    assert remaining == [None] * 150 + [key.encode() for key in keys[150:]]
    assert await cache.incr("generation") == 1
    assert await cache.get_counter("generation") == 1
    assert cache.errors == 0


async def test_the_rate_limit_script_runs_once_per_slot_and_keeps_each_budget(
    cluster: RedisClusterServers,
) -> None:
    budget = 30
    charges = Budgets(requests=budget).charges(requests=1)
    limiter = RedisBuckets(cluster.url, f"cgtest:{uuid.uuid4().hex}:")
    clients = [f"ip:10.0.0.{n}" for n in range(12)]
    assert len({slot_of(client) for client in clients}) > 1
    try:
        # Every client's checks arrive together, so each batch mixes clients of many slots.
        waits = await asyncio.gather(
            *(limiter.take(client, charges) for _ in range(budget + 5) for client in clients)
        )
        admitted = [0] * len(clients)
        for n, wait in enumerate(waits):
            admitted[n % len(clients)] += wait == 0.0
        assert all(budget - 12 <= count <= budget + 1 for count in admitted), admitted
        assert not limiter.limiting_locally
    finally:
        await limiter.close()


async def _gateway(settings: Settings) -> Backends:
    opened = await open_backends(settings)
    await opened.migrate()
    return opened


@pytest.fixture
def on_cluster(settings: Settings, cluster: RedisClusterServers) -> Settings:
    return dataclasses.replace(settings, redis_url=cluster.url)


@pytest.mark.parametrize("settings", ["mariadb"], indirect=True)
async def test_the_gateway_caches_and_invalidates_on_the_cluster(
    on_cluster: Settings, backends: Backends
) -> None:
    opened = await _gateway(on_cluster)
    try:
        course = await add_course(opened, price_paise=0)
        transport = httpx.ASGITransport(app=create_app(on_cluster, opened))
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
            users = range(500, 520)
            for user in users:
                await graphql(http, MINE, token=token_for(user))  # cached: no subscriptions
                enrolled = await graphql(http, ENROLL, {"id": str(course.id)}, token_for(user))
                assert enrolled["data"]["enroll"]["__typename"] == "EnrollSuccess"
            for user in users:
                mine = await graphql(http, MINE, token=token_for(user))
                (edge,) = mine["data"]["me"]["subscriptions"]["edges"]
                assert edge["node"]["state"] == "ACTIVE"
            await graphql(http, CANCEL, {"id": str(course.id)}, token_for(users[0]))
            mine = await graphql(http, MINE, token=token_for(users[0]))
            assert mine["data"]["me"]["subscriptions"]["edges"] == []  # active ones only
        assert isinstance(opened.cache, RedisCache) and opened.cache.errors == 0
    finally:
        await opened.close()


@pytest.mark.parametrize("settings", ["mariadb"], indirect=True)
async def test_with_a_master_killed_during_reads_the_gateway_keeps_answering(
    settings: Settings, backends: Backends, tmp_path: Path
) -> None:
    own = _cluster(tmp_path / "cluster")
    on_own = dataclasses.replace(settings, redis_url=own.url)
    opened = await _gateway(on_own)
    try:
        course = await add_course(opened, price_paise=0)
        transport = httpx.ASGITransport(app=create_app(on_own, opened))
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
            users = list(range(700, 730))
            for user in users:
                await graphql(http, ENROLL, {"id": str(course.id)}, token_for(user))

            async def read_all(killing_a_master_after: int | None = None) -> None:
                for n, user in enumerate(users):
                    if n == killing_a_master_after:
                        own.kill(own.ports[0])
                    mine = await graphql(http, MINE, token=token_for(user))
                    assert "errors" not in mine, mine
                    (edge,) = mine["data"]["me"]["subscriptions"]["edges"]
                    assert edge["node"]["courseId"] == str(course.id)

            await read_all()  # now cached, on all three masters
            await read_all(killing_a_master_after=10)
            await read_all()  # and go on with it dead
        assert isinstance(opened.cache, RedisCache) and opened.cache.errors > 0
    finally:
        await opened.close()
        own.stop()
