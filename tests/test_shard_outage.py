"""One shard's server stopped (the production shape, its last shard on a MariaDB server of this
test's own): only that shard's users are refused, with SHARD_UNAVAILABLE and a typed result
for their mutations, never a 500; the catalog, search and the other shards' users are served;
the process stays in rotation; and the shard's users are served again once it is back."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from datasources.backends import Backends, open_backends
from gateway import create_app
from jobs.indexer import SearchIndexer
from records.catalog import Course
from settings import Settings
from tests import servers
from tests.conftest import graphql, token_for
from tests.factories import add_course
from tests.mariadb_server import MariaDBServer, mariadbd_installed

MINE = "{ me { subscriptions(first: 10) { edges { node { courseId isActive } } } } }"
ENROLL = """mutation($id: ID!) { enroll(courseId: $id) {
  __typename ... on UserError { message } ... on ShardUnavailable { retryAfterSeconds }
} }"""
CHECKOUT = """mutation($id: ID!) { startCheckout(courseId: $id, idempotencyKey: "outage-1") {
  __typename ... on ShardUnavailable { retryAfterSeconds }
} }"""
CATALOG = "{ courses(first: 5) { edges { node { id title } } } }"
SEARCH = '{ search(query: "outage") { totalCount } }'
RECOVERY_SECONDS = 10.0


@dataclass
class Outage:
    http: httpx.AsyncClient
    backends: Backends
    server: MariaDBServer
    course: Course
    user_by_shard: dict[int, int]  # a user whose subscriptions live on each shard

    @property
    def lost_shard(self) -> int:
        return len(self.backends.shard_engines) - 1

    @property
    def lost_user(self) -> int:
        return self.user_by_shard[self.lost_shard]


def _users_on_each_shard(backends: Backends) -> dict[int, int]:
    bucket_map = backends.uncached_subscriptions.bucket_map
    found: dict[int, int] = {}
    user = 1000
    while len(found) < bucket_map.shard_count:
        found.setdefault(bucket_map.shard_for(user), user)
        user += 1
    return found


@pytest.fixture
async def outage(settings: Settings, backends: Backends, tmp_path: Path) -> AsyncIterator[Outage]:
    """`backends` has emptied the machine's catalog and shards; the last shard moves to a
    server of this test's own."""
    servers.require(mariadbd_installed(), "mariadbd (Debian package mariadb-server)")
    server = MariaDBServer(tmp_path / "lost-shard")
    server.start()
    server.execute("CREATE DATABASE lost_shard CHARACTER SET utf8mb4")
    moved = dataclasses.replace(
        settings, mysql_shard_urls=(*settings.mysql_shard_urls[:-1], server.url("lost_shard"))
    )
    opened = await open_backends(moved)
    try:
        await opened.migrate()
        course = await add_course(opened, title="Outage Drills", price_paise=0)
        await SearchIndexer(opened).rebuild()
        users = _users_on_each_shard(opened)
        transport = httpx.ASGITransport(app=create_app(moved, opened))
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
            for user in users.values():
                enrolled = await graphql(http, ENROLL, {"id": str(course.id)}, token_for(user))
                assert enrolled["data"]["enroll"]["__typename"] == "EnrollSuccess", enrolled
            yield Outage(http, opened, server, course, users)
    finally:
        await opened.close()
        server.stop()


async def _mine(outage: Outage, user: int) -> dict[str, Any]:
    # With the user's cached entry forgotten (_forget_cached_subscriptions), no cache can answer
    # this: the request reads the user's shard.
    return await graphql(outage.http, MINE, token=token_for(user))


async def _forget_cached_subscriptions(outage: Outage) -> None:
    for user in outage.user_by_shard.values():
        await outage.backends.subscriptions.invalidate([user])


@pytest.mark.parametrize("settings", ["mariadb"], indirect=True)
async def test_only_the_lost_shards_users_are_refused(outage: Outage) -> None:
    await _forget_cached_subscriptions(outage)
    outage.server.stop()

    refused = await _mine(outage, outage.lost_user)
    (error,) = refused["errors"]
    assert error["extensions"]["code"] == "SHARD_UNAVAILABLE"
    assert error["extensions"]["retryAfterSeconds"] > 0
    assert error["path"][0] == "me"
    assert "Internal" not in error["message"]

    for shard, user in outage.user_by_shard.items():
        if shard != outage.lost_shard:
            served = await _mine(outage, user)
            assert "errors" not in served, served
            (edge,) = served["data"]["me"]["subscriptions"]["edges"]
            assert edge["node"]["courseId"] == str(outage.course.id)
    catalog = await graphql(outage.http, CATALOG)
    assert "errors" not in catalog and catalog["data"]["courses"]["edges"], catalog
    search = await graphql(outage.http, SEARCH)
    assert search["data"]["search"]["totalCount"] == 1, search

    ready = await outage.http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "degraded"
    assert ready.json()["backends"][f"shard-{outage.lost_shard}"].startswith("down")
    metrics = (await outage.http.get("/metrics")).text
    assert f'coursegate_database_unreachable{{database="shard-{outage.lost_shard}"}} 1.0' in metrics
    assert 'coursegate_database_unreachable{database="shard-0"} 0.0' in metrics


@pytest.mark.parametrize("settings", ["mariadb"], indirect=True)
async def test_a_mutation_on_the_lost_shard_is_a_typed_result_and_writes_nothing(
    outage: Outage,
) -> None:
    other = await add_course(outage.backends, title="Second Course", price_paise=0)
    outage.server.stop()
    answer = await graphql(outage.http, ENROLL, {"id": str(other.id)}, token_for(outage.lost_user))
    assert "errors" not in answer, answer
    result = answer["data"]["enroll"]
    assert result["__typename"] == "ShardUnavailable"
    assert result["retryAfterSeconds"] > 0 and result["message"]
    paid = await add_course(outage.backends, title="Paid Course", price_paise=49_900)
    checkout = await graphql(
        outage.http, CHECKOUT, {"id": str(paid.id)}, token_for(outage.lost_user)
    )
    assert checkout["data"]["startCheckout"]["__typename"] == "ShardUnavailable", checkout
    elsewhere = outage.user_by_shard[0]
    done = await graphql(outage.http, ENROLL, {"id": str(other.id)}, token_for(elsewhere))
    assert done["data"]["enroll"]["__typename"] == "EnrollSuccess"

    outage.server.start()
    mine = await _served_again(outage, outage.lost_user)
    assert [e["node"]["courseId"] for e in mine["data"]["me"]["subscriptions"]["edges"]] == [
        str(outage.course.id)
    ]


@pytest.mark.parametrize("settings", ["mariadb"], indirect=True)
async def test_the_lost_shards_users_are_served_again_once_it_is_back(outage: Outage) -> None:
    await _forget_cached_subscriptions(outage)
    outage.server.stop()
    assert (await _mine(outage, outage.lost_user))["errors"]
    outage.server.start()
    mine = await _served_again(outage, outage.lost_user)
    (edge,) = mine["data"]["me"]["subscriptions"]["edges"]
    assert edge["node"]["courseId"] == str(outage.course.id)
    ready = await outage.http.get("/readyz")
    assert ready.json()["backends"][f"shard-{outage.lost_shard}"] == "ok"
    metrics = (await outage.http.get("/metrics")).text
    assert f'coursegate_database_unreachable{{database="shard-{outage.lost_shard}"}} 0.0' in metrics


async def _served_again(outage: Outage, user: int) -> dict[str, Any]:
    """The answer once the shard's breaker lets a request through to the restarted server."""
    deadline = time.monotonic() + RECOVERY_SECONDS
    while True:
        await _forget_cached_subscriptions(outage)
        answer = await _mine(outage, user)
        if "errors" not in answer:
            return answer
        assert answer["errors"][0]["extensions"]["code"] == "SHARD_UNAVAILABLE", answer
        assert time.monotonic() < deadline, f"still refused after {RECOVERY_SECONDS} s"
        await asyncio.sleep(0.1)
