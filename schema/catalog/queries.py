"""Catalog fields of the Query root: course pages, one course, category counts."""

from __future__ import annotations

import strawberry

from records.catalog import Category
from resolvers.catalog import queries as catalog
from schema.catalog.inputs import CourseFilterInput
from schema.catalog.types import CategoryCountType, CourseConnection, CourseType
from schema.common.cost import ListSize, paged
from schema.common.info import Info


@strawberry.type
class CatalogQueries:
    @strawberry.field(
        description="Courses in a stable order; `first` at most 100", directives=[paged()]
    )
    async def courses(
        self,
        info: Info,
        filter: CourseFilterInput | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> CourseConnection:
        course_filter = (filter or CourseFilterInput()).to_record()
        page = await catalog.list_courses(info.context, course_filter, first, after)
        return CourseConnection.from_page(page)

    @strawberry.field(description="One course by id or by slug (give exactly one)")
    async def course(
        self, info: Info, id: strawberry.ID | None = None, slug: str | None = None
    ) -> CourseType | None:
        found = await catalog.get_course(info.context, id, slug)
        return None if found is None else CourseType.from_record(found)

    @strawberry.field(
        description="Active courses per category",
        directives=[ListSize(assumed_size=len(Category))],
    )
    async def categories(self, info: Info) -> list[CategoryCountType]:
        return [
            CategoryCountType.from_record(c) for c in await catalog.list_categories(info.context)
        ]
