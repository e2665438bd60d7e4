"""Loads the bench data set through jobs.seed and picks the ids and users the load rotates."""

from __future__ import annotations

import random
from dataclasses import dataclass

from datasources.backends import open_backends
from jobs.seed import seed_synthetic
from records.catalog import CourseFilter
from settings import Settings

COURSES = 10_000
FIRST_USER_ID = 1
ROTATED_COURSES = 1000
ROTATED_USERS = 1000


@dataclass(frozen=True)
class LoadedData:
    active_course_ids: tuple[int, ...]
    user_ids: tuple[int, ...]
    subscriptions: int
    seed_seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.subscriptions / self.seed_seconds if self.seed_seconds else 0.0


async def load(settings: Settings, users: int, per_user: int) -> LoadedData:
    backends = await open_backends(settings)
    try:
        await backends.migrate()
        report = await seed_synthetic(backends, COURSES, users, per_user, FIRST_USER_ID)
        active = await backends.uncached_catalog.list_courses(
            CourseFilter(active_only=True), None, COURSES
        )
    finally:
        await backends.close()
    rng = random.Random(5)
    ids = [course.id for course in active]
    course_ids = tuple(rng.sample(ids, min(ROTATED_COURSES, len(ids))))
    population = range(FIRST_USER_ID, FIRST_USER_ID + users)
    user_ids = tuple(rng.sample(population, min(ROTATED_USERS, users)))
    return LoadedData(course_ids, user_ids, report.subscriptions, report.seconds)
