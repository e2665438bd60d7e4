"""Admin lifecycle jobs: the job type, its results, and the mutations that queue jobs."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

import strawberry

from records.lifecycle_jobs import JobKind, JobState, LifecycleJob
from resolvers import lifecycle
from resolvers.context import RequestContext
from resolvers.errors import Problem
from schema.problems import Forbidden, InvalidInput, NotFound, Unauthenticated, problem_type

Info = strawberry.Info[RequestContext, None]


@strawberry.enum(name="LifecycleJobKind")
class LifecycleJobKind(enum.Enum):
    CHANGE_COURSE_VALIDITY = JobKind.CHANGE_COURSE_VALIDITY.value
    EXTEND_SUBSCRIPTIONS = JobKind.EXTEND_SUBSCRIPTIONS.value
    GRANT_COURSE = JobKind.GRANT_COURSE.value


@strawberry.enum(name="LifecycleJobState")
class LifecycleJobState(enum.Enum):
    QUEUED = JobState.QUEUED.value
    RUNNING = JobState.RUNNING.value
    DONE = JobState.DONE.value
    FAILED = JobState.FAILED.value


@strawberry.type(name="LifecycleJobShard")
class LifecycleJobShardType:
    shard: int
    processed: int = strawberry.field(description="Rows (or grantees) looked at so far")
    changed: int
    total: int | None = strawberry.field(description="null until counted")
    finished: bool


@strawberry.type(name="LifecycleJob")
class LifecycleJobType:
    id: strawberry.ID
    kind: LifecycleJobKind
    state: LifecycleJobState
    processed: int
    changed: int
    total: int | None = strawberry.field(description="null until every shard is counted")
    shards: list[LifecycleJobShardType]
    error: str | None
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def from_record(cls, job: LifecycleJob) -> LifecycleJobType:
        return cls(
            id=strawberry.ID(str(job.id)),
            kind=LifecycleJobKind(job.kind.value),
            state=LifecycleJobState(job.state.value),
            processed=job.processed,
            changed=job.changed,
            total=job.total,
            shards=[
                LifecycleJobShardType(
                    shard=shard,
                    processed=p.processed,
                    changed=p.changed,
                    total=p.total,
                    finished=p.finished,
                )
                for shard, p in sorted(job.shards.items())
            ],
            error=job.error,
            created_at=job.created_at,
            updated_at=job.updated_at,
        )


@strawberry.type
class LifecycleJobPayload:
    job: LifecycleJobType


LifecycleJobResult = Annotated[
    LifecycleJobPayload | NotFound | Unauthenticated | Forbidden | InvalidInput,
    strawberry.union("LifecycleJobResult"),
]


def _result(outcome: LifecycleJob | Problem) -> LifecycleJobResult:
    if isinstance(outcome, Problem):
        return problem_type(outcome)  # type: ignore[return-value]
    return LifecycleJobPayload(job=LifecycleJobType.from_record(outcome))


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


async def resolve_job(info: Info, id: strawberry.ID) -> LifecycleJobType | None:
    found = await lifecycle.job(info.context, id)
    return None if found is None else LifecycleJobType.from_record(found)
