"""Lifecycle fields of the Query root: an admin's view of one job."""

from __future__ import annotations

import strawberry

from resolvers import lifecycle
from schema.common.info import Info
from schema.lifecycle.types import LifecycleJobType


@strawberry.type
class LifecycleQueries:
    @strawberry.field(description="Admin: a lifecycle job and its progress; null if unknown")
    async def job(self, info: Info, id: strawberry.ID) -> LifecycleJobType | None:
        found = await lifecycle.job(info.context, id)
        return None if found is None else LifecycleJobType.from_record(found)
