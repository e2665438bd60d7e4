"""The recommendation job on both backends: streaming every shard, publishing a version
atomically under concurrent reads, and starting over after a stop."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from datasources.backends import Backends
from datasources.sql.recommendation_store import BUILDING, READY
from datasources.sql.subscription_stream import users_courses
from jobs.recommend import Stopped, build_model
from records.subscriptions import NewSubscription
from tests.conftest import graphql, token_for
from tests.recommendations.world import NEWCOMER, build_world, enrol

RECOMMENDED_IDS = "{ me { recommendations(first: 4) { course { id } } } }"


async def test_each_user_comes_whole_with_courses_oldest_first(backends: Backends) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    # Inserted newest first, so ids and enrolment times disagree.
    rows = [
        NewSubscription(user, 100 + n, start + timedelta(days=10 - n), None, "test")
        for user in range(1, 8)
        for n in range(user % 4 + 1)
    ]
    await backends.uncached_subscriptions.bulk_insert(rows)
    seen: dict[int, list[int]] = {}
    for shard in backends.shard_engines:
        async for batch in users_courses(shard, batch=3):
            for user, taken in batch:
                assert user not in seen, "a user split across batches"
                seen[user] = taken
    assert seen == {u: [100 + n for n in reversed(range(u % 4 + 1))] for u in range(1, 8)}


async def test_the_report_counts_every_shard(backends: Backends) -> None:
    await build_world(backends)
    report = await build_model(backends)
    assert (report.users, report.subscriptions, report.courses) == (31, 81, 9)
    assert report.peak_memory_mib > 0 and report.rows_per_second > 0
    model = await backends.recommendations.current()
    assert model is not None and model.version == report.version
    assert (model.users, model.subscriptions) == (31, 81)


async def test_a_stopped_run_leaves_the_current_model_and_the_next_run_starts_over(
    backends: Backends,
) -> None:
    await build_world(backends)
    first = await build_model(backends)
    stop = asyncio.Event()
    with pytest.raises(Stopped):
        await build_model(backends, progress=lambda rows: stop.set(), stop=stop)
    store = backends.recommendations.store
    assert [state for _, state in await store.versions()] == [READY, BUILDING]
    current = await backends.recommendations.current()
    assert current is not None and current.version == first.version
    second = await build_model(backends)
    third = await build_model(backends)
    # the stopped run's version is gone, and only the current model and the one before it stay
    assert await store.versions() == [(second.version, READY), (third.version, READY)]
    assert await store.neighbours(first.version, [1, 2, 3]) == {}


async def test_readers_see_one_whole_model_while_a_new_one_is_published(
    backends: Backends, client: httpx.AsyncClient
) -> None:
    world = await build_world(backends)
    await build_model(backends)
    token = token_for(NEWCOMER)

    async def answer() -> tuple[int, ...]:
        body = await graphql(client, RECOMMENDED_IDS, token=token)
        return tuple(int(r["course"]["id"]) for r in body["data"]["me"]["recommendations"])

    before = await answer()
    # Many more users now take typing 1 with the Hindi courses: the next model changes.
    await enrol(
        backends,
        [(u, c) for u in range(400, 460) for c in (world.typing[0], *world.hindi)],
    )
    assert await answer() == before  # the subscriptions alone change nothing of the model
    building = asyncio.create_task(build_model(backends))
    seen: list[tuple[int, ...]] = []
    while not building.done():
        seen.extend(await asyncio.gather(*(answer() for _ in range(4))))
    await building
    after = await answer()
    assert after != before
    assert set(after[:2]) == {h.id for h in world.hindi}
    assert set(seen) <= {before, after}, "an answer mixed two models"
