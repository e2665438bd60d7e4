"""`bucket_moves` in the catalog database: each move of a bucket range, the step it reached
(so a crashed move resumes there) and what it measured."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from datasources.ids import IdGenerator
from datasources.sql.engine import Row, SqlEngine, SqlExecutor
from datasources.sql.timestamps import from_db, from_db_required


class MoveStep(enum.StrEnum):
    COPYING = "copying"  # source copying, target incoming: rows copied, then caught up
    FENCED = "fenced"  # source moved: writes to the range wait; the last users caught up
    PUBLISHED = "published"  # the catalog's map names the target; readers are picking it up
    OPENED = "opened"  # target owned: writes go there; the source's rows are being deleted
    DONE = "done"


@dataclass(frozen=True, slots=True)
class BucketMoveRecord:
    id: int
    first_bucket: int
    last_bucket: int
    source_shard: int
    target_shard: int
    step: MoveStep
    rows_copied: int
    copy_seconds: float
    fence_seconds: float | None
    fenced_at: datetime | None
    started_at: datetime
    updated_at: datetime

    @property
    def rows_per_second(self) -> float:
        return self.rows_copied / self.copy_seconds if self.copy_seconds else 0.0


_COLUMNS = (
    "id, first_bucket, last_bucket, source_shard, target_shard, step, rows_copied,"
    " copy_seconds, fence_seconds, fenced_at, started_at, updated_at"
)


def _record(row: Row) -> BucketMoveRecord:
    return BucketMoveRecord(
        id=int(row[0]),
        first_bucket=int(row[1]),
        last_bucket=int(row[2]),
        source_shard=int(row[3]),
        target_shard=int(row[4]),
        step=MoveStep(row[5]),
        rows_copied=int(row[6]),
        copy_seconds=float(row[7]),
        fence_seconds=None if row[8] is None else float(row[8]),
        fenced_at=from_db(row[9]),
        started_at=from_db_required(row[10]),
        updated_at=from_db_required(row[11]),
    )


class BucketMoveStore:
    def __init__(self, catalog: SqlEngine, ids: IdGenerator) -> None:
        self.catalog = catalog
        self._ids = ids

    async def unfinished(self) -> BucketMoveRecord | None:
        row = await self.catalog.fetch_one(
            f"SELECT {_COLUMNS} FROM bucket_moves WHERE step <> ? ORDER BY id LIMIT 1",
            (MoveStep.DONE.value,),
        )
        return None if row is None else _record(row)

    async def get(self, move_id: int) -> BucketMoveRecord:
        row = await self.catalog.fetch_one(
            f"SELECT {_COLUMNS} FROM bucket_moves WHERE id = ?", (move_id,)
        )
        if row is None:
            raise LookupError(f"no bucket move {move_id}")
        return _record(row)

    async def start(
        self, first: int, last: int, source: int, target: int, now: datetime
    ) -> BucketMoveRecord:
        move_id = self._ids.next_id()
        await self.catalog.execute(
            f"INSERT INTO bucket_moves ({_COLUMNS})"
            " VALUES (?, ?, ?, ?, ?, ?, 0, 0, NULL, NULL, ?, ?)",
            (move_id, first, last, source, target, MoveStep.COPYING.value, now, now),
        )
        return await self.get(move_id)

    async def copied(self, move_id: int, rows: int, seconds: float, now: datetime) -> None:
        await self.catalog.execute(
            "UPDATE bucket_moves SET rows_copied = ?, copy_seconds = ?, updated_at = ?"
            " WHERE id = ?",
            (rows, seconds, now, move_id),
        )

    async def fenced(self, move_id: int, now: datetime) -> None:
        await self.catalog.execute(
            "UPDATE bucket_moves SET step = ?, fenced_at = ?, updated_at = ? WHERE id = ?",
            (MoveStep.FENCED.value, now, now, move_id),
        )

    @staticmethod
    async def published(tx: SqlExecutor, move_id: int, now: datetime) -> None:
        await tx.execute(
            "UPDATE bucket_moves SET step = ?, updated_at = ? WHERE id = ?",
            (MoveStep.PUBLISHED.value, now, move_id),
        )

    async def opened(self, move_id: int, fence_seconds: float, now: datetime) -> None:
        await self.catalog.execute(
            "UPDATE bucket_moves SET step = ?, fence_seconds = ?, updated_at = ? WHERE id = ?",
            (MoveStep.OPENED.value, fence_seconds, now, move_id),
        )

    async def done(self, move_id: int, now: datetime) -> None:
        await self.catalog.execute(
            "UPDATE bucket_moves SET step = ?, updated_at = ? WHERE id = ?",
            (MoveStep.DONE.value, now, move_id),
        )
