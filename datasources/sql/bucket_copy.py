"""The shard-side work of moving a range of buckets from one MariaDB shard to another: bucket
states, copying every user-owned row, catching up with users written meanwhile, deleting.

Only the per-user tables move. A shard's outbox stays: its relay publishes what is pending, and
a copy would publish it twice. Rows are selected by `CRC32(user_id) % 1024`, MariaDB's spelling
of `datasources.sharding.bucket_of`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from datasources.sharding import BUCKET_COUNT
from datasources.sql.engine import Dialect, Row, SqlEngine, SqlExecutor
from datasources.sql.shard_router import BucketState

MOVED_TABLES = (
    "user_typing_courses",
    "payment_orders",
    "payment_events",
    "checkout_reservations",
    "order_refunds",
    "exercise_results",
    "exercise_standings",
)
# Shard tables that belong to the shard, not to a user: they never move.
SHARD_OWN_TABLES = (
    "event_outbox",
    "lifecycle_job_progress",
    "shard_buckets",
    "bucket_move_dirty",
    "schema_migrations",
)
BUCKET_OF_ROW = f"CRC32(user_id) % {BUCKET_COUNT}"


@dataclass(frozen=True)
class TableShape:
    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]  # the primary key, user_id first

    def after(self, last: Row | None) -> tuple[str, list[object]]:
        """A keyset condition for the rows strictly after `last` in key order."""
        if last is None:
            return "", []
        values = [last[self.columns.index(column)] for column in self.key]
        alternatives, params = [], []
        for width in range(1, len(self.key) + 1):
            equal = [f"{column} = ?" for column in self.key[: width - 1]]
            alternatives.append("(" + " AND ".join([*equal, f"{self.key[width - 1]} > ?"]) + ")")
            params += values[:width]
        return " AND (" + " OR ".join(alternatives) + ")", params


async def table_shape(engine: SqlEngine, table: str) -> TableShape:
    columns = await engine.fetch_all(
        "SELECT COLUMN_NAME FROM information_schema.COLUMNS"
        " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
        (table,),
    )
    key = await engine.fetch_all(
        "SELECT COLUMN_NAME FROM information_schema.STATISTICS"
        " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY'"
        " ORDER BY SEQ_IN_INDEX",
        (table,),
    )
    shape = TableShape(table, tuple(str(r[0]) for r in columns), tuple(str(r[0]) for r in key))
    if not shape.key or shape.key[0] != "user_id":
        raise ValueError(f"{table}'s primary key does not start with user_id: {shape.key}")
    return shape


async def set_states(
    engine: SqlEngine, first: int, last: int, state: BucketState, now: datetime
) -> None:
    """Every bucket of first..last to `state` in one transaction: it waits for the writes
    that hold a bucket's state (shared) and is seen by every write after it."""
    if engine.dialect is not Dialect.MYSQL:
        raise ValueError("buckets move between MariaDB shards only")
    rows = [(bucket, state.value, now) for bucket in range(first, last + 1)]
    async with engine.transaction() as tx:
        await tx.execute_many(
            "INSERT INTO shard_buckets (bucket, state, updated_at) VALUES (?, ?, ?)"
            " ON DUPLICATE KEY UPDATE state = VALUES(state), updated_at = VALUES(updated_at)",
            rows,
        )


async def states(engine: SqlEngine, first: int, last: int) -> set[BucketState]:
    rows = await engine.fetch_all(
        "SELECT bucket, state FROM shard_buckets WHERE bucket BETWEEN ? AND ?", (first, last)
    )
    found = {BucketState(row[1]) for row in rows}
    return found | ({BucketState.OWNED} if len(rows) < last - first + 1 else set())


class BucketCopy:
    """Rows of buckets first..last from `source` to `target`, for one move."""

    def __init__(
        self,
        source: SqlEngine,
        target: SqlEngine,
        first: int,
        last: int,
        shapes: Sequence[TableShape],
        batch_rows: int = 2_000,
    ) -> None:
        self.source, self.target = source, target
        self.first, self.last = first, last
        self.shapes = tuple(shapes)
        self.batch_rows = batch_rows

    @classmethod
    async def between(
        cls, source: SqlEngine, target: SqlEngine, first: int, last: int, batch_rows: int = 2_000
    ) -> BucketCopy:
        shapes = [await table_shape(source, table) for table in MOVED_TABLES]
        return cls(source, target, first, last, shapes, batch_rows)

    async def copy_batch(self, shape: TableShape, after: Row | None) -> tuple[int, Row | None]:
        """The next batch of the table's rows in the range after `after`, written to the target
        (replacing what it holds); (rows, the last row) or (0, None) at the end."""
        keyset, params = shape.after(after)
        rows = await self.source.fetch_all(
            f"SELECT {', '.join(shape.columns)} FROM {shape.name}"
            f" WHERE {BUCKET_OF_ROW} BETWEEN ? AND ?{keyset}"
            f" ORDER BY {', '.join(shape.key)} LIMIT ?",
            (self.first, self.last, *params, self.batch_rows),
        )
        if not rows:
            return 0, None
        await self.target.execute_many(_replace(shape), rows)
        return len(rows), rows[-1]

    async def dirty_users(self, after: int = 0, limit: int = 500) -> list[tuple[int, int]]:
        """(user_id, generation) of users after `after` written since the copy began and not
        caught up yet, by user id."""
        rows = await self.source.fetch_all(
            "SELECT user_id, generation FROM bucket_move_dirty"
            " WHERE bucket BETWEEN ? AND ? AND user_id > ? ORDER BY user_id LIMIT ?",
            (self.first, self.last, after, limit),
        )
        return [(int(row[0]), int(row[1])) for row in rows]

    async def catch_up(self, dirty: Sequence[tuple[int, int]]) -> None:
        """Makes the target hold exactly the source's rows of these users, then forgets each
        mark unless the user was written again since it was read (a newer generation)."""
        if not dirty:
            return
        users = [user for user, _ in dirty]
        marks = ", ".join("?" for _ in users)
        current = {
            shape: await self.source.fetch_all(
                f"SELECT {', '.join(shape.columns)} FROM {shape.name} WHERE user_id IN ({marks})",
                users,
            )
            for shape in self.shapes
        }
        async with self.target.transaction() as tx:
            for shape, rows in current.items():
                await tx.execute(f"DELETE FROM {shape.name} WHERE user_id IN ({marks})", users)
                if rows:
                    await tx.execute_many(_replace(shape), rows)
        handled = " OR ".join("(user_id = ? AND generation = ?)" for _ in dirty)
        await self.source.execute(
            f"DELETE FROM bucket_move_dirty WHERE {handled}",
            [value for mark in dirty for value in mark],
        )

    async def forget_dirty(self) -> None:
        await self.source.execute(
            "DELETE FROM bucket_move_dirty WHERE bucket BETWEEN ? AND ?", (self.first, self.last)
        )

    async def delete_rows(self, engine: SqlEngine, batch_users: int = 500) -> int:
        """Deletes the range's rows from `engine`, a batch of users per statement."""
        deleted = 0
        for shape in self.shapes:
            after = 0
            while True:
                rows = await engine.fetch_all(
                    f"SELECT DISTINCT user_id FROM {shape.name}"
                    f" WHERE user_id > ? AND {BUCKET_OF_ROW} BETWEEN ? AND ?"
                    " ORDER BY user_id LIMIT ?",
                    (after, self.first, self.last, batch_users),
                )
                if not rows:
                    break
                users = [int(row[0]) for row in rows]
                async with engine.transaction() as tx:
                    deleted += await _delete_users(tx, shape.name, users)
                after = users[-1]
        return deleted


async def _delete_users(tx: SqlExecutor, table: str, users: Sequence[int]) -> int:
    marks = ", ".join("?" for _ in users)
    return await tx.execute(f"DELETE FROM {table} WHERE user_id IN ({marks})", users)


def _replace(shape: TableShape) -> str:
    marks = ", ".join("?" for _ in shape.columns)
    return f"REPLACE INTO {shape.name} ({', '.join(shape.columns)}) VALUES ({marks})"
