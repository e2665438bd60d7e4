"""Catalog types, built from records in one pass (no per-field resolvers on hot lists).

The catalog enums are the records' own, exposed by name.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.utils.await_maybe import AwaitableOrValue

from records.catalog import Category, CategoryCount, Course, Difficulty
from resolvers import recommendations
from resolvers.content import assets, outline
from resolvers.pagination import Page
from schema.common.cost import ListSize, paged
from schema.common.info import Info
from schema.common.pagination import PageInfo

if TYPE_CHECKING:
    from schema.content.assets import CoverImageType
    from schema.content.types import LessonConnection

strawberry.enum(Category, name="Category")
strawberry.enum(Difficulty, name="Difficulty")


@strawberry.type(name="Course")
class CourseType:
    id: strawberry.ID
    slug: str
    title: str
    description: str
    category: Category
    difficulty: Difficulty
    language: str = strawberry.field(description="ISO 639-1 code of the teaching language")
    tags: list[str]
    price: int = strawberry.field(description="Price in the currency's minor unit (paise)")
    currency: str
    is_free: bool
    validity_days: int | None = strawberry.field(description="Days of access; null: lifetime")
    is_active: bool
    created_at: datetime
    updated_at: datetime

    @strawberry.field(
        description="The outline, open to everyone; `first` at most 100", directives=[paged()]
    )
    async def lessons(
        self, info: Info, first: int = 50, after: str | None = None
    ) -> Annotated[LessonConnection, strawberry.lazy("schema.content.types")]:
        from schema.content.types import LessonConnection

        course_id = int(self.id)
        page = await outline.lessons_page(info.context, course_id, first, after)
        return LessonConnection.from_page(page, await outline.lesson_count(info.context, course_id))

    @strawberry.field(description="The public cover image; null when the course has none")
    async def cover_image(
        self, info: Info
    ) -> Annotated[CoverImageType, strawberry.lazy("schema.content.assets")] | None:
        from schema.content.assets import CoverImageType

        cover = await assets.cover_of(info.context, int(self.id))
        return None if cover is None or not cover.variants else CoverImageType.from_signed(cover)

    @strawberry.field(
        description="The courses most like this one (taken together with it, and alike in"
        " category, language, level and words), best first; `first` at most 50",
        directives=[ListSize(slicing_arguments=["first"])],
    )
    async def similar(self, info: Info, first: int = 10) -> list[CourseType]:
        course = await info.context.loaders.course.load(int(self.id))
        if course is None:
            return []
        found = await recommendations.similar_courses(info.context, course, first)
        return [CourseType.from_record(c) for c in found]

    @classmethod
    def from_record(cls, course: Course) -> CourseType:
        return cls(
            id=strawberry.ID(str(course.id)),
            slug=course.slug,
            title=course.title,
            description=course.description,
            category=course.category,
            difficulty=course.difficulty,
            language=course.language,
            tags=list(course.tags),
            price=course.price_paise,
            currency=course.currency,
            is_free=course.is_free,
            validity_days=course.validity_days,
            is_active=course.is_active,
            created_at=course.created_at,
            updated_at=course.updated_at,
        )


def course_type_of(found: AwaitableOrValue[Course | None]) -> AwaitableOrValue[CourseType | None]:
    """A course field's value from what a use case gave, at once when it was at hand."""
    if found is None or isinstance(found, Course):
        return None if found is None else CourseType.from_record(found)
    return _course_type_when_loaded(found)


async def _course_type_when_loaded(found: Awaitable[Course | None]) -> CourseType | None:
    course = await found
    return None if course is None else CourseType.from_record(course)


@strawberry.type
class CourseEdge:
    cursor: str
    node: CourseType


@strawberry.type
class CourseConnection:
    edges: list[CourseEdge]
    page_info: PageInfo

    @classmethod
    def from_page(cls, page: Page[Course]) -> CourseConnection:
        edges = [
            CourseEdge(cursor=cursor, node=CourseType.from_record(course))
            for course, cursor in zip(page.items, page.cursors, strict=True)
        ]
        return cls(edges=edges, page_info=PageInfo.of(page.cursors, page.has_next_page))


@strawberry.type(name="CategoryCount")
class CategoryCountType:
    category: Category
    course_count: int

    @classmethod
    def from_record(cls, count: CategoryCount) -> CategoryCountType:
        return cls(category=count.category, course_count=count.course_count)
