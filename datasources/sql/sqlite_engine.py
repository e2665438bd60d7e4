"""SQLite engine for the embedded default: one file per database, WAL, one writer."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import aiosqlite

from datasources.sql.engine import (
    Dialect,
    IntegrityViolation,
    Params,
    PoolUsage,
    Row,
    SqlExecutor,
)
from datasources.sql.timestamps import to_sqlite_text


def _adapt(params: Params) -> tuple[object, ...]:
    return tuple(to_sqlite_text(p) if isinstance(p, datetime) else p for p in params)


class _Executor:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._connection.execute(sql, _adapt(params)) as cursor:
            return [tuple(row) for row in await cursor.fetchall()]

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        async with self._connection.execute(sql, _adapt(params)) as cursor:
            row = await cursor.fetchone()
            return None if row is None else tuple(row)

    async def execute(self, sql: str, params: Params = ()) -> int:
        try:
            async with self._connection.execute(sql, _adapt(params)) as cursor:
                return cursor.rowcount
        except sqlite3.IntegrityError as error:
            raise IntegrityViolation(str(error)) from error

    async def insert(self, sql: str, params: Params = ()) -> int:
        try:
            async with self._connection.execute(sql, _adapt(params)) as cursor:
                assert cursor.lastrowid is not None
                return cursor.lastrowid
        except sqlite3.IntegrityError as error:
            raise IntegrityViolation(str(error)) from error

    async def execute_many(self, sql: str, rows: Sequence[Params]) -> int:
        try:
            async with self._connection.executemany(sql, [_adapt(r) for r in rows]) as cursor:
                return cursor.rowcount
        except sqlite3.IntegrityError as error:
            raise IntegrityViolation(str(error)) from error


async def _to_completion(statement: Awaitable[None]) -> None:
    """Waits for a transaction-control statement even if the caller is cancelled: the
    connection's thread runs it regardless, and a cancelled BEGIN that still ran would leave
    a transaction open that nobody ends (every later BEGIN then fails)."""
    task = asyncio.ensure_future(statement)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        await task
        raise


class SqliteEngine:
    """Reads go to a reader connection (WAL snapshots); writes queue for the one writer."""

    dialect = Dialect.SQLITE

    def __init__(self, path: Path, name: str) -> None:
        self.path = path
        self.name = name
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()

    async def open(self) -> SqliteEngine:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await self._connect()
        await self._run(self._writer, "PRAGMA journal_mode=WAL")
        self._reader = await self._connect()
        return self

    async def _connect(self) -> aiosqlite.Connection:
        connection = await aiosqlite.connect(self.path, isolation_level=None, timeout=30)
        for pragma in ("synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000"):
            await self._run(connection, f"PRAGMA {pragma}")
        return connection

    @staticmethod
    async def _run(connection: aiosqlite.Connection, statement: str) -> None:
        # Closing the cursor finalises the statement, which otherwise keeps a lock.
        async with connection.execute(statement) as cursor:
            await cursor.fetchall()

    def _read(self) -> _Executor:
        assert self._reader is not None, "engine is not open"
        return _Executor(self._reader)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return await self._read().fetch_all(sql, params)

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        return await self._read().fetch_one(sql, params)

    async def fetch_all_lagging(self, sql: str, params: Params = ()) -> list[Row]:
        return await self.fetch_all(sql, params)

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self.transaction() as tx:
            return await tx.execute(sql, params)

    async def insert(self, sql: str, params: Params = ()) -> int:
        async with self.transaction() as tx:
            return await tx.insert(sql, params)

    async def execute_many(self, sql: str, rows: Sequence[Params]) -> int:
        async with self.transaction() as tx:
            return await tx.execute_many(sql, rows)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlExecutor]:
        assert self._writer is not None, "engine is not open"
        writer = self._writer
        async with self._write_lock:
            try:
                await _to_completion(self._run(writer, "BEGIN IMMEDIATE"))
                yield _Executor(writer)
                await _to_completion(self._run(writer, "COMMIT"))
            except BaseException:
                if writer.in_transaction:
                    await _to_completion(self._run(writer, "ROLLBACK"))
                raise

    @property
    def replica_count(self) -> int:
        return 0

    def pool_usage(self) -> list[PoolUsage]:
        """The one writer, as a pool of size 1 in use while a transaction holds the write lock
        (later writers queue for it). The reader is left out: every read shares it at once
        (aiosqlite queues their statements), so there is no connection to take or run out of."""
        if self._writer is None:
            return []
        return [PoolUsage(self.name, int(self._write_lock.locked()), 1)]

    async def ping(self, replica: int | None = None) -> None:
        if replica is not None:
            raise IndexError("an embedded database has no replicas")
        await self.fetch_one("SELECT 1")

    async def close(self) -> None:
        for connection in (self._reader, self._writer):
            if connection is not None:
                await connection.close()
        self._reader = self._writer = None
