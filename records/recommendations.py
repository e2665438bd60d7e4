"""Recommendation records: a model version, a course's neighbours, a pick for a user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from records.catalog import Category


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """A ready model: what it was built from, and the weight of co-subscriptions in its blend
    (1 - weight is the weight of content similarity)."""

    version: int
    built_at: datetime
    subscriptions: int
    users: int
    blend_weight: float


@dataclass(frozen=True, slots=True)
class Neighbours:
    """A course's nearest courses by one similarity, best first."""

    course_ids: tuple[int, ...]
    scores: tuple[float, ...]

    @classmethod
    def empty(cls) -> Neighbours:
        return cls((), ())


@dataclass(frozen=True, slots=True)
class CourseNeighbours:
    """What a model keeps per course: its neighbours by co-subscription and by content."""

    co_subscribed: Neighbours
    content: Neighbours


@dataclass(frozen=True, slots=True)
class PopularScope:
    """Where a popularity list counts: one category in one teaching language, or everything
    (both None)."""

    category: Category | None = None
    language: str | None = None

    @property
    def key(self) -> str:
        if self.category is None or self.language is None:
            return "all"
        return f"{self.category.value}:{self.language}"


@dataclass(frozen=True, slots=True)
class Pick:
    """A course recommended to a user, and why: a course they took (`because_of`), or its
    popularity in a scope of theirs (`popular_in`; everything when its category is None)."""

    course_id: int
    score: float
    because_of: int | None = None
    popular_in: PopularScope | None = None
