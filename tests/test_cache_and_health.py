"""Caching (single flight, hit counts, Redis outages) and the health endpoints."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import httpx

from datasources.backends import Backends, open_backends
from datasources.cache.single_flight import SingleFlight
from gateway import create_app
from http_api.response_caches.catalog import KEYSPACE as RESPONSE_KEYSPACE
from settings import Settings
from tests import servers
from tests.conftest import graphql, token_for
from tests.factories import add_course


async def test_concurrent_misses_for_one_course_do_one_load(backends: Backends) -> None:
    course = await add_course(backends)
    cached = backends.catalog.cached  # the Redis cache-aside behind the in-process snapshot
    await cached.invalidate([course.id])
    store = backends.uncached_catalog
    loads: list[list[int]] = []
    original = store.get_courses
    started, release = asyncio.Event(), asyncio.Event()

    async def slow_counting(ids):  # type: ignore[no-untyped-def]
        loads.append(list(ids))
        started.set()
        await release.wait()
        return await original(ids)

    store.get_courses = slow_counting  # type: ignore[method-assign]
    try:
        waiting = [asyncio.ensure_future(cached.get_courses([course.id])) for _ in range(20)]
        await started.wait()
        # Every waiter has had its turn at the cache before the load is let go.
        for _ in range(5):
            await asyncio.sleep(0)
        release.set()
        results = await asyncio.gather(*waiting)
    finally:
        store.get_courses = original  # type: ignore[method-assign]
    assert loads == [[course.id]]
    assert all(result[course.id] == course for result in results)


# Found by tests/test_schema_fuzzing.py: a query whose failing root field cancels its sibling
# fields cancelled one that was waiting for a shared load, which cancelled the load for every
# other caller waiting for it (another field, another request). Those got a CancelledError
# nobody had sent them: it escaped the app, a dropped connection instead of an answer.


async def test_a_cancelled_waiter_leaves_the_shared_load_to_the_others() -> None:
    flight: SingleFlight[int, str] = SingleFlight()
    started, release = asyncio.Event(), asyncio.Event()

    async def load(keys: list[int]) -> dict[int, str]:
        started.set()
        await release.wait()
        return dict.fromkeys(keys, "loaded")

    owner = asyncio.ensure_future(flight.load_many([7], load))
    await started.wait()
    gone = asyncio.ensure_future(flight.load_many([7], load))
    staying = asyncio.ensure_future(flight.load_many([7], load))
    # Callbacks run in the order they were scheduled: both waiters join the load first.
    asyncio.get_running_loop().call_soon(gone.cancel)
    asyncio.get_running_loop().call_soon(release.set)
    assert await staying == {7: "loaded"}
    assert await owner == {7: "loaded"}
    assert gone.cancelled()


async def test_a_cancelled_load_leaves_its_waiters_to_load_the_keys_themselves() -> None:
    flight: SingleFlight[int, str] = SingleFlight()
    loads: list[str] = []
    started, release = asyncio.Event(), asyncio.Event()

    async def owner_load(keys: list[int]) -> dict[int, str]:
        loads.append("owner")
        started.set()
        await release.wait()
        return dict.fromkeys(keys, "from the owner")

    async def waiter_load(keys: list[int]) -> dict[int, str]:
        loads.append("waiter")
        return dict.fromkeys(keys, "from the waiter")

    owner = asyncio.ensure_future(flight.load_many([7], owner_load))
    await started.wait()
    waiter = asyncio.ensure_future(flight.load_many([7, 8], waiter_load))
    # The waiter loads key 8 and joins the owner's load of 7 before the cancellation lands.
    asyncio.get_running_loop().call_soon(owner.cancel)
    assert await waiter == {7: "from the waiter", 8: "from the waiter"}
    assert owner.cancelled()
    assert loads == ["owner", "waiter", "waiter"]


async def test_repeated_reads_are_cache_hits_in_metrics(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends)
    query = f'{{ course(id: "{course.id}") {{ title }} }}'

    async def hits() -> float:
        text = (await client.get("/metrics")).text
        for line in text.splitlines():
            if line.startswith(
                'coursegate_cache_lookups_total{keyspace="course_snapshot",result="hit"}'
            ):
                return float(line.split()[-1])
        return 0.0

    # Signed in: anonymous repeats would be answered by the response cache in front.
    token = token_for(3)
    await graphql(client, query, token=token)
    before = await hits()
    for _ in range(5):
        await graphql(client, query, token=token)
    assert await hits() - before == 5


async def test_with_redis_unreachable_the_gateway_answers_from_the_database(
    settings: Settings, backends: Backends
) -> None:
    course = await add_course(backends)
    unreachable = dataclasses.replace(settings, redis_url="redis://127.0.0.1:1/0")
    degraded = await open_backends(unreachable)
    try:
        app = create_app(unreachable, degraded)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
            for _ in range(3):
                body = await graphql(http, f'{{ course(id: "{course.id}") {{ title }} }}')
                assert body == {"data": {"course": {"title": course.title}}}
            listed = await graphql(http, "{ courses { edges { node { id } } } }")
            assert len(listed["data"]["courses"]["edges"]) == 1
            # It serves without the cache, so it stays in rotation: degraded, not unready.
            ready = await http.get("/readyz")
            assert ready.status_code == 200
            assert ready.json()["status"] == "degraded"
            assert ready.json()["backends"]["cache:redis"].startswith("down")
            assert ready.json()["backends"]["catalog"] == "ok"
    finally:
        await degraded.close()


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    backends_status = ready.json()["backends"]
    sql_and_cache = {k: v for k, v in backends_status.items() if not k.startswith("search")}
    assert set(sql_and_cache.values()) == {"ok"}
    assert ready.status_code == 200


async def test_a_catalog_that_cannot_answer_makes_the_process_unready(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    await backends.catalog_engine.close()
    assert (await client.get("/healthz")).status_code == 200  # alive, but not to be sent traffic
    ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable"
    assert ready.json()["backends"]["catalog"].startswith("down")
    assert ready.json()["backends"][backends.shard_engines[-1].name] == "ok"


async def test_a_shard_that_cannot_answer_leaves_the_process_in_rotation(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    """Out of rotation, every process would refuse everyone for one shard's users."""
    await backends.shard_engines[-1].close()
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "degraded"
    assert ready.json()["backends"][backends.shard_engines[-1].name].startswith("down")
    assert ready.json()["backends"]["catalog"] == "ok"


async def test_unexpected_errors_are_masked_for_clients(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    original = backends.catalog.category_counts

    async def broken():  # type: ignore[no-untyped-def]
        raise RuntimeError("password=hunter2 leaked from a driver")

    backends.catalog.category_counts = broken  # type: ignore[method-assign]
    try:
        body = await graphql(client, "{ categories { category } }")
    finally:
        backends.catalog.category_counts = original  # type: ignore[method-assign]
    assert body["errors"][0]["message"] == "Internal error"
    assert "hunter2" not in str(body)


def test_embedded_default_needs_no_configuration(tmp_path: Path) -> None:
    settings = Settings.from_env({"COURSEGATE_DATA_DIR": str(tmp_path)})
    assert not settings.production and settings.redis_url is None
    assert (
        settings.jwt_secret == Settings.from_env({"COURSEGATE_DATA_DIR": str(tmp_path)}).jwt_secret
    )
    assert servers.REDIS_URL  # the production run of these tests has a Redis to use


async def test_only_queries_the_response_cache_keeps_count_as_its_misses(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    await add_course(backends, title="Touch Typing Basics")

    async def response_cache_misses() -> float:
        text = (await client.get("/metrics")).text
        prefix = f'coursegate_cache_lookups_total{{keyspace="{RESPONSE_KEYSPACE}",result="miss"}}'
        lines = [line for line in text.splitlines() if line.startswith(prefix)]
        return float(lines[0].split()[-1]) if lines else 0.0

    before = await response_cache_misses()
    await graphql(client, '{ autocomplete(prefix: "touch") { title } }')
    assert await response_cache_misses() == before
    await graphql(client, "{ categories { category } }")
    assert await response_cache_misses() == before + 1
