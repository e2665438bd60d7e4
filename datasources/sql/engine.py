"""The small SQL surface the stores need, implemented for SQLite and MySQL/MariaDB.

Stores write SQL once with `?` placeholders; each engine adapts it to its driver.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

Row = tuple[Any, ...]
Params = Sequence[object]
T = TypeVar("T")


class Dialect(enum.StrEnum):
    SQLITE = "sqlite"
    MYSQL = "mysql"

    @property
    def insert_ignore(self) -> str:
        return "INSERT OR IGNORE" if self is Dialect.SQLITE else "INSERT IGNORE"

    @property
    def for_update(self) -> str:
        # SQLite transactions start with BEGIN IMMEDIATE, which already holds the write lock.
        return "" if self is Dialect.SQLITE else " FOR UPDATE"


class IntegrityViolation(Exception):
    """A unique or foreign key constraint rejected a write."""


class TransientConflict(Exception):
    """A deadlock or lock wait timeout: the transaction was rolled back and may be retried."""


class DatabaseUnavailable(Exception):
    """The database server cannot be reached (down, restarting, out of connections); the same
    call may succeed in a few seconds. A transaction cut off is rolled back by the server, unless
    its commit had already been applied (as with any lost connection)."""

    def __init__(self, database: str, reason: str, retry_after_seconds: float) -> None:
        super().__init__(f"{database} is unavailable: {reason}")
        self.database = database
        self.retry_after_seconds = retry_after_seconds


async def retry_on_conflict(attempt: Callable[[], Awaitable[T]], attempts: int = 3) -> T:
    """Runs a whole transaction again when it lost a race (deadlock, or a unique key a
    concurrent transaction just filled); the next attempt reads the winner's row."""
    for remaining in range(attempts - 1, -1, -1):
        try:
            return await attempt()
        except (TransientConflict, IntegrityViolation):
            if not remaining:
                raise
    raise AssertionError("unreachable")


@dataclass(frozen=True, slots=True)
class PoolUsage:
    """One connection pool's use now, for the pool gauges (jobs/metrics_sampler.py)."""

    database: str  # the engine's name, or `<name>/replica-<i>` for a read replica's pool
    in_use: int  # connections taken by callers (or being opened for them)
    size: int  # the most the pool will open


class SqlExecutor(Protocol):
    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None: ...

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Runs one statement; returns the affected row count."""
        ...

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Runs one INSERT; returns the generated id."""
        ...

    async def execute_many(self, sql: str, rows: Sequence[Params]) -> int: ...


class SqlEngine(SqlExecutor, Protocol):
    dialect: Dialect
    name: str

    async def fetch_all_lagging(self, sql: str, params: Params = ()) -> list[Row]:
        """A read that tolerates replication lag (counts, analytics): a replica if any."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[SqlExecutor]:
        """A read-write transaction on the primary; commits on exit, rolls back on error."""
        ...

    @property
    def replica_count(self) -> int: ...

    def pool_usage(self) -> list[PoolUsage]:
        """Each pool's counters as they are now, without I/O; nothing when not open."""
        ...

    async def ping(self, replica: int | None = None) -> None:
        """The primary answers (or, given an index, that read replica does)."""
        ...

    async def close(self) -> None: ...
