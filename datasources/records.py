"""Plain records that datasources return and resolvers consume.

They carry no I/O and no GraphQL; schema types are built from them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta


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


class SubscriptionStatus(enum.StrEnum):
    """Stored status; whether a subscription is currently usable also depends on expires_at."""

    ACTIVE = "active"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


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


@dataclass(frozen=True, slots=True)
class CoursePatch:
    """Fields of a course to change; absent fields (UNSET) stay as they are."""

    changes: dict[str, object] = field(default_factory=dict)


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


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    user_id: int
    course_id: int
    enrolled_at: datetime
    expires_at: datetime | None  # None: never expires
    status: SubscriptionStatus
    source: str
    updated_at: datetime

    def is_active_at(self, now: datetime) -> bool:
        return self.status is SubscriptionStatus.ACTIVE and (
            self.expires_at is None or self.expires_at > now
        )

    def days_left_at(self, now: datetime) -> int | None:
        """Whole days of access left (0 once ended); None for lifetime access."""
        if not self.is_active_at(now):
            return 0
        if self.expires_at is None:
            return None
        return max(0, (self.expires_at - now) // timedelta(days=1))
