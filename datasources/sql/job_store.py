"""`lifecycle_jobs` in the catalog database: admin bulk jobs, their state and progress.

A runner claims a job with a lease (token + claimed_until) and renews it with every progress
write; a runner that dies leaves the lease to expire, and the next runner resumes the job.
The authoritative cursor of each shard lives on that shard (`lifecycle_batches`); the
per-shard progress kept here is its mirror, for showing progress.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from datasources.ids import IdGenerator
from datasources.sql.engine import Row, SqlEngine
from datasources.sql.timestamps import from_db_required
from records.lifecycle_jobs import JobKind, JobState, LifecycleJob, ShardProgress

_COLUMNS = (
    "id, kind, params, state, shard_progress, processed, total, error, created_at, updated_at"
)
MAX_ERROR_CHARS = 500


def _encode_progress(shards: Mapping[int, ShardProgress]) -> str:
    return orjson.dumps(
        {
            str(shard): [p.processed, p.changed, p.total, p.finished]
            for shard, p in sorted(shards.items())
        }
    ).decode()


def _decode_progress(raw: str) -> dict[int, ShardProgress]:
    decoded: dict[str, list[Any]] = orjson.loads(raw)
    return {
        int(shard): ShardProgress(int(processed), int(changed), total, bool(finished))
        for shard, (processed, changed, total, finished) in decoded.items()
    }


def job_from_row(row: Row) -> LifecycleJob:
    return LifecycleJob(
        id=int(row[0]),
        kind=JobKind(row[1]),
        params=orjson.loads(row[2]),
        state=JobState(row[3]),
        shards=_decode_progress(row[4]),
        error=row[7],
        created_at=from_db_required(row[8]),
        updated_at=from_db_required(row[9]),
    )


class JobStore:
    def __init__(self, engine: SqlEngine, ids: IdGenerator) -> None:
        self.engine = engine
        self._ids = ids

    async def create(self, kind: JobKind, params: Mapping[str, Any], now: datetime) -> LifecycleJob:
        job_id = self._ids.next_id()
        await self.engine.execute(
            f"INSERT INTO lifecycle_jobs ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, 0, NULL, NULL, ?, ?)",
            (
                job_id,
                kind.value,
                orjson.dumps(dict(params)).decode(),
                JobState.QUEUED.value,
                "{}",
                now,
                now,
            ),
        )
        job = await self.get(job_id)
        assert job is not None
        return job

    async def get(self, job_id: int) -> LifecycleJob | None:
        row = await self.engine.fetch_one(
            f"SELECT {_COLUMNS} FROM lifecycle_jobs WHERE id = ?", (job_id,)
        )
        return None if row is None else job_from_row(row)

    async def unfinished_count(self) -> int:
        """Jobs queued or running: a bucket move waits until there are none."""
        row = await self.engine.fetch_one(
            "SELECT COUNT(*) FROM lifecycle_jobs WHERE state IN (?, ?)",
            (JobState.QUEUED.value, JobState.RUNNING.value),
        )
        return 0 if row is None else int(row[0])

    async def claimable_ids(self, now: datetime, limit: int = 100) -> list[int]:
        """Queued jobs and running jobs whose runner stopped renewing its lease, oldest first."""
        rows = await self.engine.fetch_all(
            "SELECT id FROM lifecycle_jobs WHERE state = ? OR (state = ? AND claimed_until < ?)"
            " ORDER BY id LIMIT ?",
            (JobState.QUEUED.value, JobState.RUNNING.value, now, limit),
        )
        return [int(row[0]) for row in rows]

    async def claim(
        self, job_id: int, token: str, now: datetime, lease_until: datetime
    ) -> LifecycleJob | None:
        """Takes the job for `token` unless another runner holds a live lease or it has ended."""
        claimed = await self.engine.execute(
            "UPDATE lifecycle_jobs SET state = ?, claim_token = ?, claimed_until = ?,"
            " updated_at = ? WHERE id = ? AND (state = ? OR (state = ? AND claimed_until < ?))",
            (
                JobState.RUNNING.value,
                token,
                lease_until,
                now,
                job_id,
                JobState.QUEUED.value,
                JobState.RUNNING.value,
                now,
            ),
        )
        return await self.get(job_id) if claimed else None

    async def record_progress(
        self,
        job_id: int,
        token: str,
        shards: Mapping[int, ShardProgress],
        now: datetime,
        lease_until: datetime,
    ) -> bool:
        """Mirrors the shards' progress and renews the lease; False if the claim was lost."""
        processed = sum(p.processed for p in shards.values())
        totals = [p.total for p in shards.values()]
        total = None if any(t is None for t in totals) else sum(t for t in totals if t is not None)
        updated = await self.engine.execute(
            "UPDATE lifecycle_jobs SET shard_progress = ?, processed = ?, total = ?,"
            " claimed_until = ?, updated_at = ? WHERE id = ? AND claim_token = ? AND state = ?",
            (
                _encode_progress(shards),
                processed,
                total,
                lease_until,
                now,
                job_id,
                token,
                JobState.RUNNING.value,
            ),
        )
        return bool(updated)

    async def release(self, job_id: int, token: str, now: datetime) -> bool:
        """Gives a running job back to the queue (its runner is stopping), keeping progress."""
        updated = await self.engine.execute(
            "UPDATE lifecycle_jobs SET state = ?, claim_token = NULL, claimed_until = NULL,"
            " updated_at = ? WHERE id = ? AND claim_token = ? AND state = ?",
            (JobState.QUEUED.value, now, job_id, token, JobState.RUNNING.value),
        )
        return bool(updated)

    async def finish(
        self, job_id: int, token: str, state: JobState, error: str | None, now: datetime
    ) -> bool:
        updated = await self.engine.execute(
            "UPDATE lifecycle_jobs SET state = ?, error = ?, claim_token = NULL,"
            " claimed_until = NULL, updated_at = ? WHERE id = ? AND claim_token = ?",
            (state.value, None if error is None else error[:MAX_ERROR_CHARS], now, job_id, token),
        )
        return bool(updated)
