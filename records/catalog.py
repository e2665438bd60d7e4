"""The course catalog's records: courses, what a new one holds, list filters, counts."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class Category(enum.StrEnum):
    TOUCH_TYPING = "touch_typing"
    SPEED_BUILDING = "speed_building"
    ACCURACY = "accuracy"
    CODING = "coding"
    LANGUAGES = "languages"
    EXAM_PREPARATION = "exam_preparation"
    KIDS = "kids"
    BUSINESS = "business"


class Difficulty(enum.StrEnum):
    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"


@dataclass(frozen=True, slots=True)
class Course:
    id: int
    slug: str
    title: str
    description: str
    category: Category
    difficulty: Difficulty
    language: str
    tags: tuple[str, ...]
    price_paise: int
    currency: str
    validity_days: int | None  # None: lifetime access
    is_active: bool
    created_at: datetime
    updated_at: datetime

    @property
    def is_free(self) -> bool:
        return self.price_paise == 0


@dataclass(frozen=True, slots=True)
class CourseDraft:
    """Fields of a course to create; validated by the resolver before it reaches a datasource."""

    slug: str
    title: str
    description: str
    category: Category
    difficulty: Difficulty
    language: str
    tags: tuple[str, ...]
    price_paise: int
    currency: str
    validity_days: int | None
    is_active: bool = True

    def as_course(self, course_id: int, at: datetime) -> Course:
        """The course this draft becomes under `course_id`, created and last changed `at`."""
        return Course(
            course_id,
            self.slug,
            self.title,
            self.description,
            self.category,
            self.difficulty,
            self.language,
            self.tags,
            self.price_paise,
            self.currency,
            self.validity_days,
            self.is_active,
            at,
            at,
        )


@dataclass(frozen=True, slots=True)
class CourseFilter:
    category: Category | None = None
    difficulty: Difficulty | None = None
    language: str | None = None
    active_only: bool = True


@dataclass(frozen=True, slots=True)
class CategoryCount:
    category: Category
    course_count: int
