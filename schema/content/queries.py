"""Content fields of the Query root: one lesson by id."""

from __future__ import annotations

import strawberry

from resolvers.content import outline
from schema.common.info import Info
from schema.content.types import LessonType


@strawberry.type
class ContentQueries:
    @strawberry.field(description="One lesson by id (its outline fields are public)")
    async def lesson(self, info: Info, id: strawberry.ID) -> LessonType | None:
        found = await outline.get_lesson(info.context, id)
        return None if found is None else LessonType.from_record(found)
