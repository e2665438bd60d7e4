"""Admin lifecycle jobs: a job, its kind, state and per-shard progress."""

from __future__ import annotations

import enum
from datetime import datetime

import strawberry

from records.lifecycle_jobs import JobKind, JobState, LifecycleJob
from schema.common.cost import ASSUMED_SHARDS, ListSize


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
    shards: list[LifecycleJobShardType] = strawberry.field(
        directives=[ListSize(assumed_size=ASSUMED_SHARDS)]
    )
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
