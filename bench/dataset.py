"""Loads the bench data set through jobs.seed and picks the ids and users the load rotates."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime

from datasources.backends import Backends, open_backends
from jobs.demo_media import keyboard_diagram, store_image
from jobs.recommend import build_model
from jobs.seed import seed_synthetic
from records.catalog import CourseFilter
from records.content import ExerciseDraft, KeyboardLayout, LessonDraft, LessonKind
from settings import Settings

COURSES = 10_000
FIRST_USER_ID = 1
ROTATED_COURSES = 1000
ROTATED_USERS = 1000
LESSON_COURSES = 300
_EXERCISE_TEXTS = (
    "asdf jkl; " * 10,
    "sad lads ask dad; a flask falls; " * 4,
    "Keep your fingers resting lightly on the home row. " * 2,
)


@dataclass(frozen=True)
class LoadedData:
    active_course_ids: tuple[int, ...]
    user_ids: tuple[int, ...]
    subscriptions: int
    seed_seconds: float
    # (user, lesson of a course the user is subscribed to): the lesson operation's requests
    lessons: tuple[tuple[int, int], ...] = ()

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
        rng = random.Random(5)
        ids = [course.id for course in active]
        course_ids = tuple(rng.sample(ids, min(ROTATED_COURSES, len(ids))))
        population = range(FIRST_USER_ID, FIRST_USER_ID + users)
        user_ids = tuple(rng.sample(population, min(ROTATED_USERS, users)))
        lessons = await _lessons_of_subscribed_courses(backends, user_ids)
        await build_model(backends)  # what the recommendations operation reads
    finally:
        await backends.close()
    return LoadedData(course_ids, user_ids, report.subscriptions, report.seconds, lessons)


async def _lessons_of_subscribed_courses(
    backends: Backends, user_ids: tuple[int, ...]
) -> tuple[tuple[int, int], ...]:
    """For up to LESSON_COURSES of the users: a lesson (three exercises, three images) of a
    course the user is subscribed to, written like the demo seed writes its content."""
    now = datetime.now(UTC)
    lesson_of_course: dict[int, int] = {}
    pairs: list[tuple[int, int]] = []
    stored_keys: set[str] = set()
    for user_id in user_ids:
        rows = await backends.uncached_subscriptions.list_for_user(user_id, None, 10)
        active = [row for row in rows if row.is_active_at(now)]
        if not active:
            continue
        course_id = active[0].course_id
        if course_id not in lesson_of_course:
            if len(lesson_of_course) >= LESSON_COURSES:
                continue
            lesson_of_course[course_id] = await _bench_lesson(backends, course_id, stored_keys)
        pairs.append((user_id, lesson_of_course[course_id]))
    return tuple(pairs)


async def _bench_lesson(backends: Backends, course_id: int, stored_keys: set[str]) -> int:
    course = (await backends.uncached_catalog.get_courses([course_id]))[course_id]
    exercises = [
        ExerciseDraft(text, "en", KeyboardLayout.QWERTY, 30, 95.0) for text in _EXERCISE_TEXTS
    ]
    draft = LessonDraft("Home row drills", LessonKind.TYPING, 420)
    (lesson_id,) = await backends.content.store.bulk_insert(
        course_id, [(draft, exercises)], datetime.now(UTC)
    )
    for layout in (KeyboardLayout.QWERTY, KeyboardLayout.QWERTZ, KeyboardLayout.AZERTY):
        await store_image(backends, course, lesson_id, keyboard_diagram(layout), stored_keys)
    return lesson_id
