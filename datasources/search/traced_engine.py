"""A search engine whose reads and writes are OpenTelemetry spans (`search tantivy`,
`autocomplete opensearch`, ...), built only when tracing is on, like the SQL engines'
(datasources/sql/traced_engine.py). The query text is left out: it is what a user typed."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager

from opentelemetry.trace import Span, SpanKind, Tracer

from datasources.search.contract import (
    DocumentBatches,
    SearchDocument,
    SearchEngine,
    SearchRequest,
    SearchResult,
    Suggestion,
)


class TracedSearchEngine:
    def __init__(self, engine: SearchEngine, tracer: Tracer, system: str) -> None:
        self._engine = engine
        self._tracer = tracer
        self._system = system  # "tantivy" or "opensearch"

    def _span(self, operation: str) -> AbstractContextManager[Span]:
        return self._tracer.start_as_current_span(
            f"{operation} {self._system}",
            kind=SpanKind.CLIENT,
            attributes={"db.system.name": self._system, "db.operation.name": operation},
        )

    async def search(self, request: SearchRequest) -> SearchResult:
        with self._span("search") as span:
            result = await self._engine.search(request)
            span.set_attribute("coursegate.search.total", result.total)
            return result

    async def autocomplete(self, prefix: str, limit: int) -> list[Suggestion]:
        with self._span("autocomplete"):
            return await self._engine.autocomplete(prefix, limit)

    async def upsert(self, docs: Sequence[SearchDocument]) -> None:
        with self._span("upsert"):
            await self._engine.upsert(docs)

    async def delete(self, course_ids: Sequence[int]) -> None:
        with self._span("delete"):
            await self._engine.delete(course_ids)

    async def rebuild(self, docs: DocumentBatches) -> None:
        with self._span("rebuild"):
            await self._engine.rebuild(docs)

    async def has_index(self) -> bool:
        return await self._engine.has_index()

    async def ping(self) -> bool:
        return await self._engine.ping()

    def index_version(self) -> int | None:
        return self._engine.index_version()

    async def close(self) -> None:
        await self._engine.close()
