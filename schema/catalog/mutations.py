"""Admin catalog mutations: add a course, change some of its fields.

The input's conversion is handed to the use case uncalled: it runs after the admin check.
"""

from __future__ import annotations

from typing import Annotated

import strawberry

from records.catalog import Course
from resolvers.catalog import admin
from schema.catalog.inputs import CreateCourseInput, UpdateCourseInput
from schema.catalog.types import CourseType
from schema.common.info import Info
from schema.common.problems import Forbidden, InvalidInput, NotFound, Unauthenticated
from schema.common.results import result


@strawberry.type
class CoursePayload:
    course: CourseType


CourseResult = Annotated[
    CoursePayload | NotFound | Unauthenticated | Forbidden | InvalidInput,
    strawberry.union("CourseResult"),
]


def _payload(course: Course) -> CoursePayload:
    return CoursePayload(course=CourseType.from_record(course))


@strawberry.type
class CatalogMutations:
    @strawberry.mutation(description="Admin: add a course")
    async def create_course(self, info: Info, input: CreateCourseInput) -> CourseResult:
        outcome = await admin.create_course(info.context, input.to_draft)
        return result(outcome, _payload, NotFound, Unauthenticated, Forbidden, InvalidInput)

    @strawberry.mutation(description="Admin: change some fields of a course")
    async def update_course(
        self, info: Info, id: strawberry.ID, input: UpdateCourseInput
    ) -> CourseResult:
        outcome = await admin.update_course(info.context, id, input.changes)
        return result(outcome, _payload, NotFound, Unauthenticated, Forbidden, InvalidInput)
