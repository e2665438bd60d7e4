"""Small builders for test data, written through the real stores."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime

from datasources.backends import Backends
from records.catalog import Category, Course, CourseDraft, Difficulty

_serial = itertools.count(1)


def draft(**overrides: object) -> CourseDraft:
    number = next(_serial)
    base = CourseDraft(
        slug=f"course-{number}",
        title=f"Typing Course {number}",
        description="Learn to type without looking at the keys.",
        category=Category.TOUCH_TYPING,
        difficulty=Difficulty.BEGINNER,
        language="en",
        tags=("home-row",),
        price_paise=0,
        currency="INR",
        validity_days=30,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


async def add_course(backends: Backends, **overrides: object) -> Course:
    return await backends.catalog.create_course(draft(**overrides), datetime.now(UTC))


async def add_courses(backends: Backends, count: int, **overrides: object) -> list[Course]:
    return [await add_course(backends, **overrides) for _ in range(count)]
