"""Admin bulk jobs (validity change, extension, grant): kind, state and per-shard progress."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class JobKind(enum.StrEnum):
    CHANGE_COURSE_VALIDITY = "change_course_validity"
    EXTEND_SUBSCRIPTIONS = "extend_subscriptions"
    GRANT_COURSE = "grant_course"


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ShardProgress:
    """How far a job got on one shard: rows looked at, rows changed, rows in scope."""

    processed: int = 0
    changed: int = 0
    total: int | None = None
    finished: bool = False


@dataclass(frozen=True, slots=True)
class LifecycleJob:
    id: int
    kind: JobKind
    params: dict[str, Any]
    state: JobState
    shards: dict[int, ShardProgress] = field(default_factory=dict)
    error: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def processed(self) -> int:
        return sum(p.processed for p in self.shards.values())

    @property
    def changed(self) -> int:
        return sum(p.changed for p in self.shards.values())

    @property
    def total(self) -> int | None:
        """Rows in scope over every shard; None until every shard has been counted."""
        totals = [p.total for p in self.shards.values()]
        if not totals or any(t is None for t in totals):
            return None
        return sum(t for t in totals if t is not None)
