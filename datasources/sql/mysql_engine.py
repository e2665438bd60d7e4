"""MySQL/MariaDB engine through aiomysql: a primary pool and optional replica pools."""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlsplit

import aiomysql
import pymysql
from prometheus_client import Gauge

from datasources.breaker import Breaker
from datasources.sql.engine import (
    DatabaseUnavailable,
    Dialect,
    IntegrityViolation,
    Params,
    PoolUsage,
    Row,
    SqlExecutor,
    TransientConflict,
)
from datasources.sql.packed_rows import GROUP_CONCAT_MAX_LEN
from datasources.sql.timestamps import to_db

logger = logging.getLogger(__name__)
_INTEGRITY_ERRORS = (pymysql.err.IntegrityError,)
_DEADLOCK, _LOCK_WAIT_TIMEOUT = 1213, 1205
# Too many connections, shutdown in progress, can't connect (socket, TCP), server gone away,
# lost connection during a query.
_UNREACHABLE = frozenset({1040, 1053, 2002, 2003, 2006, 2013})
RETRY_AFTER_SECONDS = 1.0
DATABASE_UNREACHABLE = Gauge(
    "coursegate_database_unreachable",
    "1 while this process cannot reach the database's primary (its last call failed to connect"
    " or lost the connection; readiness probes keep it current)",
    ["database"],
    multiprocess_mode="liveall",
)


_CACHED_STATEMENT_LENGTH = 4096


def _to_pyformat(sql: str) -> str:
    # Long statements are one-off multi-row inserts: caching them would only hold memory.
    if len(sql) > _CACHED_STATEMENT_LENGTH:
        return _convert(sql)
    return _convert_cached(sql)


def _convert(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


_convert_cached = functools.lru_cache(maxsize=1024)(_convert)


def _unreachable(error: BaseException) -> bool:
    if isinstance(error, pymysql.err.OperationalError):
        return bool(error.args) and error.args[0] in _UNREACHABLE
    # Not InterfaceError: aiomysql raises it for a connection this process closed, e.g. when a
    # task was cancelled during a query, which says nothing about the server.
    return isinstance(error, ConnectionError | asyncio.TimeoutError)


def _adapt(params: Params) -> tuple[object, ...]:
    return tuple(to_db(p) if isinstance(p, datetime) else p for p in params)


def parse_mysql_url(url: str) -> dict[str, Any]:
    """mysql://user:password@host:port/database -> aiomysql connection arguments."""
    parts = urlsplit(url)
    if parts.scheme not in {"mysql", "mariadb"} or not parts.path.strip("/"):
        raise ValueError(f"not a mysql://user@host:port/database URL: {parts.scheme}://…")
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 3306,
        "user": unquote(parts.username or "root"),
        "password": unquote(parts.password or ""),
        "db": parts.path.strip("/"),
    }


class _Executor:
    def __init__(self, connection: aiomysql.Connection) -> None:
        self._connection = connection

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._connection.cursor() as cursor:
            await cursor.execute(_to_pyformat(sql), _adapt(params))
            return list(await cursor.fetchall())

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        async with self._connection.cursor() as cursor:
            await cursor.execute(_to_pyformat(sql), _adapt(params))
            row = await cursor.fetchone()
            return None if row is None else tuple(row)

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self._connection.cursor() as cursor:
            try:
                return int(await cursor.execute(_to_pyformat(sql), _adapt(params)))
            except _INTEGRITY_ERRORS as error:
                raise IntegrityViolation(str(error)) from error

    async def insert(self, sql: str, params: Params = ()) -> int:
        async with self._connection.cursor() as cursor:
            try:
                await cursor.execute(_to_pyformat(sql), _adapt(params))
            except _INTEGRITY_ERRORS as error:
                raise IntegrityViolation(str(error)) from error
            return int(cursor.lastrowid)

    async def execute_many(self, sql: str, rows: Sequence[Params]) -> int:
        if not rows:
            return 0
        async with self._connection.cursor() as cursor:
            try:
                # aiomysql folds INSERT ... VALUES into multi-row statements.
                return int(await cursor.executemany(_to_pyformat(sql), [_adapt(r) for r in rows]))
            except _INTEGRITY_ERRORS as error:
                raise IntegrityViolation(str(error)) from error


class MysqlEngine:
    dialect = Dialect.MYSQL

    def __init__(
        self,
        url: str,
        name: str,
        replica_urls: Sequence[str] = (),
        pool_size: int = 10,
        breaker: Breaker | None = None,
    ) -> None:
        self.name = name
        self._breaker = breaker or Breaker(RETRY_AFTER_SECONDS)
        self._last_failure = ""
        self._unreachable = DATABASE_UNREACHABLE.labels(name)
        self._url = url
        self._replica_urls = tuple(replica_urls)
        self._pool_size = pool_size
        self._primary: aiomysql.Pool | None = None
        self._replicas: list[aiomysql.Pool] = []
        self._replica_cycle: itertools.cycle[aiomysql.Pool] | None = None

    async def open(self, required: bool = True) -> MysqlEngine:
        """`required`: the server must answer now. A shard need not: while it is down only its
        users are refused (DatabaseUnavailable), and its pool connects once it is back."""
        self._unreachable.set(0)
        self._primary = await self._create_pool(self._url, minsize=1 if required else 0)
        if not required:
            try:
                await self.ping()
            except DatabaseUnavailable as error:
                logger.warning("%s; starting without it", error)
        # Replicas connect on first use, so a replica that is down does not stop the start.
        self._replicas = [await self._create_pool(url, minsize=0) for url in self._replica_urls]
        self._replica_cycle = itertools.cycle(self._replicas) if self._replicas else None
        return self

    async def _create_pool(self, url: str, minsize: int = 1) -> aiomysql.Pool:
        return await aiomysql.create_pool(
            **parse_mysql_url(url),
            minsize=minsize,
            maxsize=self._pool_size,
            autocommit=True,
            charset="utf8mb4",
            connect_timeout=5,
            pool_recycle=3600,
            init_command=f"SET SESSION group_concat_max_len = {GROUP_CONCAT_MAX_LEN}",
        )

    def _next_replica(self) -> aiomysql.Pool | None:
        return None if self._replica_cycle is None else next(self._replica_cycle)

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[aiomysql.Connection]:
        """A primary connection; the server's being unreachable raises DatabaseUnavailable, at
        once for `RETRY_AFTER_SECONDS` after a failure rather than waiting on it again."""
        if self._breaker.is_open:
            raise DatabaseUnavailable(self.name, self._last_failure, self._breaker.retry_after)
        assert self._primary is not None, "engine is not open"
        try:
            async with self._primary.acquire() as connection:
                yield connection
        except BaseException as error:
            if not _unreachable(error):
                raise
            self._last_failure = str(error) or type(error).__name__
            if self._breaker.failed():
                logger.warning("%s unreachable: %s", self.name, self._last_failure)
                self._unreachable.set(1)
            raise DatabaseUnavailable(
                self.name, self._last_failure, self._breaker.retry_after
            ) from error
        if self._breaker.succeeded():
            logger.info("%s answering again", self.name)
            self._unreachable.set(0)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._connection() as connection:
            return await _Executor(connection).fetch_all(sql, params)

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        async with self._connection() as connection:
            return await _Executor(connection).fetch_one(sql, params)

    async def fetch_all_lagging(self, sql: str, params: Params = ()) -> list[Row]:
        # Only reads that tolerate lag go to replicas: anything read before a cache fill or
        # after the reader's own write stays on the primary. A replica that cannot answer
        # leaves the read to the primary: losing a replica costs capacity, not correctness.
        replica = self._next_replica()
        if replica is not None:
            try:
                async with replica.acquire() as connection:
                    return await _Executor(connection).fetch_all(sql, params)
            except (pymysql.err.OperationalError, OSError) as error:
                logger.warning(
                    "%s: a read replica failed (%s); reading the primary", self.name, error
                )
        return await self.fetch_all(sql, params)

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self._connection() as connection:
            return await _Executor(connection).execute(sql, params)

    async def insert(self, sql: str, params: Params = ()) -> int:
        async with self._connection() as connection:
            return await _Executor(connection).insert(sql, params)

    async def execute_many(self, sql: str, rows: Sequence[Params]) -> int:
        async with self.transaction() as tx:
            return await tx.execute_many(sql, rows)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlExecutor]:
        async with self._connection() as connection:
            await connection.begin()
            try:
                yield _Executor(connection)
            except pymysql.err.OperationalError as error:
                await connection.rollback()
                if error.args and error.args[0] in (_DEADLOCK, _LOCK_WAIT_TIMEOUT):
                    raise TransientConflict(str(error)) from error
                raise
            except BaseException:
                await connection.rollback()
                raise
            await connection.commit()

    @property
    def replica_count(self) -> int:
        return len(self._replica_urls)

    def pool_usage(self) -> list[PoolUsage]:
        # aiomysql's `size` counts free, acquired and being-opened connections (`freesize` the
        # free ones): the difference is what callers hold or wait on. `maxsize` is the limit.
        if self._primary is None:
            return []
        named = [(self.name, self._primary)]
        named += [(f"{self.name}/replica-{i}", pool) for i, pool in enumerate(self._replicas)]
        return [PoolUsage(name, pool.size - pool.freesize, pool.maxsize) for name, pool in named]

    async def ping(self, replica: int | None = None) -> None:
        if replica is None:
            async with self._connection() as connection:
                await connection.ping(reconnect=False)
            return
        async with self._replicas[replica].acquire() as connection:
            await connection.ping(reconnect=False)

    async def close(self) -> None:
        for pool in [p for p in [self._primary, *self._replicas] if p is not None]:
            pool.close()
            await pool.wait_closed()
        self._primary, self._replicas, self._replica_cycle = None, [], None
