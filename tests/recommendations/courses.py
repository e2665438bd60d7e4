"""Course records for the pure recommendation tests."""

from __future__ import annotations

from datetime import UTC, datetime

from records.catalog import Category, Course, Difficulty


def course(
    course_id: int,
    category: Category = Category.TOUCH_TYPING,
    language: str = "en",
    *,
    difficulty: Difficulty = Difficulty.BEGINNER,
    title: str | None = None,
    description: str = "",
    tags: tuple[str, ...] = (),
    active: bool = True,
) -> Course:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return Course(
        course_id,
        f"course-{course_id}",
        title or f"Course {course_id}",
        description,
        category,
        difficulty,
        language,
        tags,
        0,
        "INR",
        None,
        active,
        now,
        now,
    )
