"""Loads the demo data set, or a large synthetic one for benchmarks, in batches."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from datasources.backends import Backends
from datasources.sql.subscription_store import ShardedSubscriptionStore
from jobs.bulk_seed import BulkOptions, BulkSeedReport, SyntheticUsers, bulk_seed
from jobs.catalog_scan import COURSE_BATCH, all_courses
from jobs.demo_content import demo_outline
from jobs.demo_data import demo_courses, demo_subscriptions, synthetic_courses
from jobs.demo_media import category_cover, keyboard_diagram, store_image, wants_keyboard_diagram
from jobs.synthetic_interests import latent_interest_enrolments
from records.subscriptions import NewSubscription

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
    bulk: BulkSeedReport | None = None

    @property
    def subscription_rows_per_second(self) -> float:
        return self.subscriptions / self.seconds if self.seconds else 0.0


async def _all_course_validity(backends: Backends) -> dict[int, int | None]:
    return {course.id: course.validity_days async for course in all_courses(backends)}


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
    async for course in all_courses(backends):
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
    bulk: BulkOptions | None = None,
    now: datetime | None = None,
) -> SeedReport:
    """`courses` synthetic courses (if the catalog has fewer), then users
    first_user_id.. with `subscriptions_per_user` distinct courses each, drawn from latent
    interests with a popularity skew (jobs/synthetic_interests.py). `bulk`: MariaDB shards,
    loaded with LOAD DATA by jobs/bulk_seed.py; without it, multi-row INSERTs."""
    started = time.perf_counter()
    existing = await backends.uncached_catalog.count_courses()
    now = now or datetime.now(UTC)
    if existing < courses:
        drafts = synthetic_courses(courses - existing, seed=existing + 7)
        for start in range(0, len(drafts), COURSE_BATCH):
            await backends.uncached_catalog.bulk_insert_courses(
                drafts[start : start + COURSE_BATCH], now - timedelta(days=800)
            )
    catalog = [course async for course in all_courses(backends)]
    if bulk is not None:
        population = SyntheticUsers(
            catalog, users, subscriptions_per_user, first_user_id, now, DEMO_SOURCE
        )
        report = await bulk_seed(backends, bulk, population)
        return SeedReport(
            max(0, courses - existing), report.rows, time.perf_counter() - started, bulk=report
        )
    enrolments = latent_interest_enrolments(
        catalog, users, subscriptions_per_user, first_user_id, now, DEMO_SOURCE
    )
    written = await _insert_concurrently(backends.uncached_subscriptions, enrolments)
    return SeedReport(max(0, courses - existing), written, time.perf_counter() - started)


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
