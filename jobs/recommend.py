"""Builds a recommendation model from every shard's subscriptions and publishes it as a new
version (`coursegate recommend`; the embedded gateway runs it daily), or evaluates the methods
offline (`coursegate recommend --evaluate`).

Each shard streams its users' courses in batches (`datasources/sql/subscription_stream.py`),
all shards at once into a bounded queue, so memory holds a few batches and the course x course
counts, never the users. The model is written under a building version and switched to in one
statement once complete (`datasources/sql/recommendation_store.py`); a run stopped part way
leaves the current model as it was, and the next run starts over.
"""

from __future__ import annotations

import asyncio
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from datasources.backends import Backends
from datasources.sql.engine import SqlEngine
from datasources.sql.subscription_stream import UserCourses, users_courses
from domain.recommendations.evaluation import Evaluation, TestUsers, evaluate
from domain.recommendations.model import BLEND_WEIGHT, ModelBuilder
from jobs.catalog_scan import all_courses
from records.catalog import Course

BATCHES_IN_FLIGHT = 8
EVALUATION_TEST_PERCENT = 10
EVALUATION_MAX_TEST_USERS = 20_000

Progress = Callable[[int], object]  # called with the subscriptions read since the last call


@dataclass(frozen=True)
class RecommendReport:
    version: int
    courses: int
    users: int
    subscriptions: int
    read_seconds: float
    seconds: float
    peak_memory_mib: float

    @property
    def rows_per_second(self) -> float:
        return self.subscriptions / self.read_seconds if self.read_seconds else 0.0


class Stopped(Exception):
    """The run was asked to stop; the model being built is left unpublished."""


async def build_model(
    backends: Backends,
    progress: Progress | None = None,
    stop: asyncio.Event | None = None,
    blend_weight: float = BLEND_WEIGHT,
) -> RecommendReport:
    """Builds and publishes a new model; raises Stopped when `stop` is set before it is."""
    started = time.perf_counter()
    courses = [course async for course in all_courses(backends)]
    store = backends.recommendations.store
    version = await store.begin(datetime.now(UTC), blend_weight)
    builder = ModelBuilder(courses)

    def add(user_id: int, taken: Sequence[int]) -> None:
        builder.add_user(taken)

    await read_every_shard(backends.shard_engines, add, progress, stop)
    read_seconds = time.perf_counter() - started
    model = await asyncio.to_thread(builder.build)
    _check(stop)
    await store.write_neighbours(version, model.neighbours)
    await store.write_popular(version, {scope.key: n for scope, n in model.popular.items()})
    _check(stop)
    await store.publish(version, model.users, model.subscriptions, datetime.now(UTC))
    await backends.recommendations.switched(version)
    return RecommendReport(
        version,
        len(courses),
        model.users,
        model.subscriptions,
        read_seconds,
        time.perf_counter() - started,
        peak_memory_mib(),
    )


async def evaluate_methods(
    backends: Backends,
    progress: Progress | None = None,
    stop: asyncio.Event | None = None,
    test_percent: int = EVALUATION_TEST_PERCENT,
    max_test_users: int = EVALUATION_MAX_TEST_USERS,
) -> Evaluation:
    """Holds out the newest course of some users, builds a model from the rest (not
    published) and grades popularity, content, co-subscription and their blend; raises
    Stopped when `stop` is set while it reads."""
    courses = [course async for course in all_courses(backends)]
    builder = ModelBuilder(courses)
    test_users = TestUsers(test_percent, max_test_users)

    def add(user_id: int, taken: Sequence[int]) -> None:
        builder.add_user(test_users.hold_out(user_id, taken))

    await read_every_shard(backends.shard_engines, add, progress, stop)
    model = await asyncio.to_thread(builder.build)
    by_id: dict[int, Course] = {course.id: course for course in courses}
    return await asyncio.to_thread(evaluate, model, by_id, test_users.cases)


async def read_every_shard(
    shards: Sequence[SqlEngine],
    add: Callable[[int, Sequence[int]], None],
    progress: Progress | None,
    stop: asyncio.Event | None,
) -> None:
    """Feeds every user of every shard to `add`, the shards read concurrently."""
    # A reader puts its batches, then None when done, or the error that stopped it.
    batches: asyncio.Queue[list[UserCourses] | Exception | None] = asyncio.Queue(BATCHES_IN_FLIGHT)

    async def read(shard: SqlEngine) -> None:
        try:
            async for batch in users_courses(shard):
                await batches.put(batch)
        except Exception as error:
            await batches.put(error)
        else:
            await batches.put(None)

    readers = [asyncio.create_task(read(shard)) for shard in shards]
    try:
        running = len(readers)
        while running:
            batch = await batches.get()
            if isinstance(batch, Exception):
                raise batch
            if batch is None:
                running -= 1
                continue
            _check(stop)
            rows = 0
            for user_id, taken in batch:
                add(user_id, taken)
                rows += len(taken)
            if progress is not None:
                progress(rows)
    finally:
        for reader in readers:
            reader.cancel()


def _check(stop: asyncio.Event | None) -> None:
    if stop is not None and stop.is_set():
        raise Stopped()


def peak_memory_mib() -> float:
    """This process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
