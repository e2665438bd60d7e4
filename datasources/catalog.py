"""The catalog interface every catalog datasource offers (SQL store, cached wrapper)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from records.catalog import CategoryCount, Course, CourseDraft, CourseFilter


class SlugTaken(Exception):
    """Another course already uses this slug."""


class CatalogSource(Protocol):
    async def list_courses(
        self, course_filter: CourseFilter, after_id: int | None, limit: int
    ) -> list[Course]:
        """Courses in id order, strictly after `after_id`."""
        ...

    async def get_courses(self, ids: Sequence[int]) -> dict[int, Course]: ...

    async def get_course_by_slug(self, slug: str) -> Course | None: ...

    async def category_counts(self) -> list[CategoryCount]:
        """Active courses per category."""
        ...

    async def create_course(self, draft: CourseDraft, now: datetime) -> Course: ...

    async def update_course(
        self, course_id: int, changes: Mapping[str, object], now: datetime
    ) -> Course | None: ...
