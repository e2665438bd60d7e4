"""Admin mutations that queue lifecycle jobs over every subscription of a course."""

from __future__ import annotations

from typing import Annotated

import strawberry

from records.lifecycle_jobs import LifecycleJob
from resolvers import lifecycle
from resolvers.errors import Problem
from schema.common.info import Info
from schema.common.problems import Forbidden, InvalidInput, NotFound, Unauthenticated
from schema.common.results import result
from schema.lifecycle.types import LifecycleJobType


@strawberry.type
class LifecycleJobPayload:
    job: LifecycleJobType


LifecycleJobResult = Annotated[
    LifecycleJobPayload | NotFound | Unauthenticated | Forbidden | InvalidInput,
    strawberry.union("LifecycleJobResult"),
]


def _result(outcome: LifecycleJob | Problem) -> LifecycleJobResult:
    return result(outcome, _payload, NotFound, Unauthenticated, Forbidden, InvalidInput)


def _payload(job: LifecycleJob) -> LifecycleJobPayload:
    return LifecycleJobPayload(job=LifecycleJobType.from_record(job))


@strawberry.type
class LifecycleMutations:
    """Part of the Mutation root: admin jobs over all subscriptions of a course."""

    @strawberry.mutation(
        description="Admin: set a course's validity (null: lifetime) and recompute every"
        " subscription's expiry as enrolledAt + validity, in the background"
    )
    async def change_course_validity(
        self, info: Info, course_id: strawberry.ID, validity_days: int | None
    ) -> LifecycleJobResult:
        return _result(
            await lifecycle.change_course_validity(info.context, course_id, validity_days)
        )

    @strawberry.mutation(
        description="Admin: add `days` (1-3650) to every active subscription of a course"
    )
    async def extend_subscriptions(
        self, info: Info, course_id: strawberry.ID, days: int
    ) -> LifecycleJobResult:
        return _result(await lifecycle.extend_subscriptions(info.context, course_id, days))

    @strawberry.mutation(
        description="Admin: give users (at most 1000) the course, or extend their access"
    )
    async def grant_course(
        self, info: Info, course_id: strawberry.ID, user_ids: list[strawberry.ID]
    ) -> LifecycleJobResult:
        return _result(await lifecycle.grant_course(info.context, course_id, user_ids))
