"""Loads the demo data set, or a large synthetic one for benchmarks, in batches."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from datasources.backends import Backends
from datasources.sql.subscription_store import ShardedSubscriptionStore
from jobs.demo_content import demo_outline
from jobs.demo_data import demo_courses, demo_subscriptions, synthetic_courses
from jobs.demo_media import category_cover, keyboard_diagram, store_image, wants_keyboard_diagram
from records.catalog import Course, CourseFilter
from records.subscriptions import NewSubscription

COURSE_BATCH = 1000
# Rows per batch over all shards; each shard's share goes out as one multi-row INSERT,
# kept well under SQLite's 1 MB statement limit.
SUBSCRIPTION_BATCH = 8000
DEMO_SOURCE = "demo"


@dataclass(frozen=True)
class SeedReport:
    courses: int
    subscriptions: int
    seconds: float
    lessons: int = 0

    @property
    def subscription_rows_per_second(self) -> float:
        return self.subscriptions / self.seconds if self.seconds else 0.0


async def _all_courses(backends: Backends) -> AsyncIterator[Course]:
    after: int | None = None
    while True:
        page = await backends.uncached_catalog.list_courses(
            CourseFilter(active_only=False), after, COURSE_BATCH
        )
        for course in page:
            yield course
        if len(page) < COURSE_BATCH:
            return
        after = page[-1].id


async def _all_course_validity(backends: Backends) -> dict[int, int | None]:
    return {course.id: course.validity_days async for course in _all_courses(backends)}


async def seed_demo(backends: Backends, now: datetime | None = None) -> SeedReport:
    """The demo catalog and demo users; does nothing if the catalog has courses."""
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    if await backends.uncached_catalog.count_courses():
        return SeedReport(0, 0, 0.0)
    drafts = demo_courses()
    await backends.uncached_catalog.bulk_insert_courses(drafts, now - timedelta(days=800))
    validity = await _all_course_validity(backends)
    enrolments = [
        NewSubscription(e.user_id, e.course_id, e.enrolled_at, e.expires_at, DEMO_SOURCE)
        for e in demo_subscriptions(sorted(validity), validity, now)
    ]
    count = await backends.uncached_subscriptions.bulk_insert(enrolments)
    lessons = await _seed_content(backends, now)
    return SeedReport(len(drafts), count, time.perf_counter() - started, lessons)


async def _seed_content(backends: Backends, now: datetime) -> int:
    """Every course's demo lessons and exercises (one course per transaction), its category's
    cover, and a keyboard diagram on a beginner course's first lesson."""
    written = 0
    stored_keys: set[str] = set()
    async for course in _all_courses(backends):
        outline = demo_outline(course)
        lesson_ids = await backends.content.store.bulk_insert(course.id, outline, now)
        written += len(outline)
        await store_image(backends, course, None, category_cover(course.category), stored_keys)
        layout = next((e.keyboard_layout for _, exercises in outline for e in exercises), None)
        if layout is not None and wants_keyboard_diagram(course, layout):
            await store_image(
                backends, course, lesson_ids[0], keyboard_diagram(layout), stored_keys
            )
    return written


async def seed_synthetic(
    backends: Backends,
    courses: int,
    users: int,
    subscriptions_per_user: int,
    first_user_id: int = 1,
) -> SeedReport:
    """`courses` synthetic courses (if the catalog has fewer), then users
    first_user_id.. with `subscriptions_per_user` distinct courses each."""
    started = time.perf_counter()
    existing = await backends.uncached_catalog.count_courses()
    now = datetime.now(UTC)
    if existing < courses:
        drafts = synthetic_courses(courses - existing, seed=existing + 7)
        for start in range(0, len(drafts), COURSE_BATCH):
            await backends.uncached_catalog.bulk_insert_courses(
                drafts[start : start + COURSE_BATCH], now - timedelta(days=800)
            )
    validity = await _all_course_validity(backends)
    course_ids = sorted(validity)
    if subscriptions_per_user > len(course_ids):
        raise ValueError("more subscriptions per user than there are courses")
    written = await _insert_concurrently(
        backends.uncached_subscriptions,
        _synthetic_enrolments(
            course_ids, validity, users, subscriptions_per_user, first_user_id, now
        ),
    )
    return SeedReport(max(0, courses - existing), written, time.perf_counter() - started)


def _synthetic_enrolments(
    course_ids: Sequence[int],
    validity: dict[int, int | None],
    users: int,
    per_user: int,
    first_user_id: int,
    now: datetime,
) -> Iterator[NewSubscription]:
    rng = random.Random(first_user_id)
    window_minutes = 730 * 24 * 60
    # timedelta objects built once: a row then costs two subtractions and an addition.
    minutes = [timedelta(minutes=m) for m in range(window_minutes)]
    validity_span = {c: None if d is None else timedelta(days=d) for c, d in validity.items()}
    for user_id in range(first_user_id, first_user_id + users):
        for course_id in rng.sample(course_ids, per_user):
            enrolled_at = now - minutes[int(rng.random() * window_minutes)]
            span = validity_span[course_id]
            expires_at = None if span is None else enrolled_at + span
            yield NewSubscription(user_id, course_id, enrolled_at, expires_at, DEMO_SOURCE)


async def _insert_concurrently(
    store: ShardedSubscriptionStore, enrolments: Iterator[NewSubscription], in_flight: int = 4
) -> int:
    """Batches go out while the next ones are built; at most `in_flight` at once."""
    pending: set[asyncio.Task[int]] = set()
    written = 0
    batch: list[NewSubscription] = []
    for enrolment in enrolments:
        batch.append(enrolment)
        if len(batch) < SUBSCRIPTION_BATCH:
            continue
        pending.add(asyncio.create_task(store.bulk_insert_as_text(batch)))
        batch = []
        if len(pending) >= in_flight:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            written += sum(task.result() for task in done)
    if batch:
        pending.add(asyncio.create_task(store.bulk_insert_as_text(batch)))
    for task in pending:
        written += await task
    return written
