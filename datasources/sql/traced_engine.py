"""An engine whose statements are OpenTelemetry spans, after its database conventions: named
`<operation> <database>` (`SELECT shard-1`), with the statement as written (`?` placeholders,
never a parameter's value). Built only when tracing is on, so an untraced gateway pays nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TypeVar

from opentelemetry.trace import SpanKind, Tracer

from datasources.sql.engine import Dialect, Params, PoolUsage, Row, SqlEngine, SqlExecutor

T = TypeVar("T")


class _Statements:
    """Runs each statement in a span of its own, under whatever span is current."""

    def __init__(self, executor: SqlExecutor, tracer: Tracer, engine: SqlEngine) -> None:
        self._executor = executor
        self._tracer = tracer
        self._system = "mysql" if engine.dialect is Dialect.MYSQL else "sqlite"
        self._database = engine.name

    async def _traced(self, sql: str, run: Callable[[], Awaitable[T]]) -> T:
        operation = sql.split(None, 1)[0].upper() if sql.strip() else "SQL"
        with self._tracer.start_as_current_span(
            f"{operation} {self._database}",
            kind=SpanKind.CLIENT,
            attributes={
                "db.system.name": self._system,
                "db.namespace": self._database,
                "db.operation.name": operation,
                "db.query.text": sql,
            },
        ):
            return await run()

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return await self._traced(sql, lambda: self._executor.fetch_all(sql, params))

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        return await self._traced(sql, lambda: self._executor.fetch_one(sql, params))

    async def execute(self, sql: str, params: Params = ()) -> int:
        return await self._traced(sql, lambda: self._executor.execute(sql, params))

    async def insert(self, sql: str, params: Params = ()) -> int:
        return await self._traced(sql, lambda: self._executor.insert(sql, params))

    async def execute_many(self, sql: str, rows: Sequence[Params]) -> int:
        return await self._traced(sql, lambda: self._executor.execute_many(sql, rows))


class TracedEngine(_Statements):
    def __init__(self, engine: SqlEngine, tracer: Tracer) -> None:
        super().__init__(engine, tracer, engine)
        self._engine = engine
        self.dialect = engine.dialect
        self.name = engine.name

    async def fetch_all_lagging(self, sql: str, params: Params = ()) -> list[Row]:
        return await self._traced(sql, lambda: self._engine.fetch_all_lagging(sql, params))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlExecutor]:
        with self._tracer.start_as_current_span(
            f"transaction {self.name}",
            kind=SpanKind.CLIENT,
            attributes={"db.system.name": self._system, "db.namespace": self.name},
        ):
            async with self._engine.transaction() as tx:
                yield _Statements(tx, self._tracer, self._engine)

    @property
    def replica_count(self) -> int:
        return self._engine.replica_count

    def pool_usage(self) -> list[PoolUsage]:
        return self._engine.pool_usage()

    async def ping(self, replica: int | None = None) -> None:
        await self._engine.ping(replica)

    async def close(self) -> None:
        await self._engine.close()
