"""The production search engine: OpenSearch through opensearch-py's async client.

Searches go to an alias (default "courses"). A rebuild fills a new index courses_<timestamp>, then
moves the alias to it in one _aliases call and deletes the old index, so readers never see a
half-built index.

Queries give up after `query_timeout_seconds`, and a query that failed opens a breaker: for a few
seconds queries raise SearchUnavailable at once (callers answer from the database) instead of each
waiting on a server that hangs. Writes keep the client's longer timeout and never trip it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, cast

from opensearchpy import AsyncOpenSearch
from opensearchpy.exceptions import ConnectionError as TransportConnectionError
from opensearchpy.exceptions import NotFoundError, TransportError

from datasources.breaker import Breaker
from datasources.search.contract import (
    MAX_SUGGESTIONS,
    DocumentBatches,
    SearchDocument,
    SearchRequest,
    SearchResult,
    SearchUnavailable,
    Suggestion,
)
from datasources.search.metrics import SEARCH_DURATION
from datasources.search.opensearch_bodies import (
    Body,
    build_autocomplete_body,
    build_mapping,
    build_search_body,
    document_source,
    parse_search_response,
    parse_suggestions,
)
from datasources.search.rebuild import WriteJournal, document_batches

log = logging.getLogger(__name__)

# Statuses that mean "not now" rather than "wrong request".
_RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
# A search answers within 300 ms at the 95th percentile; one that takes a second has a problem.
QUERY_TIMEOUT_SECONDS = 1.0
RETRY_AFTER_SECONDS = 2.0


class BulkIndexingError(Exception):
    """OpenSearch rejected some documents of a bulk request (a mapping or data problem)."""


class OpenSearchEngine:
    def __init__(
        self,
        client: AsyncOpenSearch,
        alias: str = "courses",
        query_timeout_seconds: float = QUERY_TIMEOUT_SECONDS,
        breaker: Breaker | None = None,
    ) -> None:
        self._client = client
        self._alias = alias
        self._query_timeout = query_timeout_seconds
        self._breaker = breaker or Breaker(RETRY_AFTER_SECONDS)
        self._last_failure = ""
        self._write_lock = asyncio.Lock()
        self._rebuild_lock = asyncio.Lock()
        self._journal: WriteJournal | None = None
        self._search_duration = SEARCH_DURATION.labels("opensearch", "search")
        self._autocomplete_duration = SEARCH_DURATION.labels("opensearch", "autocomplete")

    @classmethod
    def connect(
        cls,
        url: str,
        alias: str = "courses",
        *,
        query_timeout_seconds: float = QUERY_TIMEOUT_SECONDS,
        breaker: Breaker | None = None,
        **client_options: Any,
    ) -> OpenSearchEngine:
        client = AsyncOpenSearch(hosts=[url], **client_options)
        return cls(client, alias, query_timeout_seconds, breaker)

    @property
    def alias(self) -> str:
        return self._alias

    async def search(self, request: SearchRequest) -> SearchResult:
        body = build_search_body(request)
        with self._search_duration.time():
            response = await self._query(body)
        return parse_search_response(response)

    async def autocomplete(self, prefix: str, limit: int) -> list[Suggestion]:
        if not 1 <= limit <= MAX_SUGGESTIONS:
            raise ValueError(f"limit must be between 1 and {MAX_SUGGESTIONS}")
        body = build_autocomplete_body(prefix, limit)
        if body is None:
            await self._require_index()
            return []
        with self._autocomplete_duration.time():
            response = await self._query(body)
        return parse_suggestions(response)

    async def _query(self, body: Body) -> Body:
        if self._breaker.is_open:
            raise SearchUnavailable(f"not asked for a moment after: {self._last_failure}")
        try:
            async with _unavailable_on_outage():
                response = await self._client.search(
                    index=self._alias, body=body, request_timeout=self._query_timeout
                )
        except SearchUnavailable as outage:
            self._last_failure = str(outage) or type(outage.__cause__).__name__
            if self._breaker.failed():
                log.warning("search engine unavailable, answering from the database: %s", outage)
            raise
        self._answered()
        return cast(Body, response)

    def _answered(self) -> None:
        if self._breaker.succeeded():
            log.info("search engine answering again")

    async def upsert(self, docs: Sequence[SearchDocument]) -> None:
        await self._write(tuple(docs), ())

    async def delete(self, course_ids: Sequence[int]) -> None:
        await self._write((), tuple(course_ids))

    async def rebuild(self, docs: DocumentBatches) -> None:
        async with self._rebuild_lock:
            index = f"{self._alias}_{datetime.now(UTC):%Y%m%d%H%M%S%f}"
            mapping = build_mapping()
            # No refreshes while bulk loading; the swap step refreshes once.
            mapping["settings"]["refresh_interval"] = "-1"
            async with _unavailable_on_outage():
                await self._client.indices.create(index=index, body=mapping)
            try:
                previous = await self._fill_and_swap(index, docs)
            except BaseException:
                self._journal = None
                # Best effort: the rebuild's own error is the one worth reporting.
                with contextlib.suppress(TransportError):
                    await self._client.indices.delete(
                        index=index, params={"ignore_unavailable": "true"}
                    )
                raise
            self._answered()
            for old in previous:
                with contextlib.suppress(TransportError):  # a leftover index is only wasted space
                    await self._client.indices.delete(
                        index=old, params={"ignore_unavailable": "true"}
                    )

    async def has_index(self) -> bool:
        async with _unavailable_on_outage():
            found = bool(await self._client.indices.exists_alias(name=self._alias))
        self._answered()
        return found

    async def ping(self) -> bool:
        try:
            return bool(await self._client.ping())
        except TransportError:
            return False

    def index_version(self) -> int | None:
        return None  # `coursegate indexer` writes from another process: changes are not seen here

    async def close(self) -> None:
        await self._client.close()

    async def drop(self) -> None:
        """Delete every index this alias has used; for tests and decommissioning."""
        async with _unavailable_on_outage():
            await self._client.indices.delete(
                index=f"{self._alias}_*", params={"ignore_unavailable": "true"}
            )

    async def _write(self, upserts: Sequence[SearchDocument], deletes: Sequence[int]) -> None:
        async with self._write_lock:
            await self._require_index()
            await self._bulk(self._alias, upserts, deletes, refresh="wait_for")
            if self._journal is not None:
                self._journal.record(upserts, deletes)

    async def _fill_and_swap(self, index: str, docs: DocumentBatches) -> list[str]:
        """Fill index, then move the alias onto it; returns the indices the alias left."""
        self._journal = WriteJournal()
        async for batch in document_batches(docs):
            await self._bulk(index, batch, (), refresh="false")
        async with self._write_lock:
            journal, self._journal = self._journal, None
            for upserts, deletes in journal.entries if journal else ():
                await self._bulk(index, upserts, deletes, refresh="false")
            async with _unavailable_on_outage():
                await self._client.indices.put_settings(
                    index=index, body={"index": {"refresh_interval": None}}
                )
                await self._client.indices.refresh(index=index)
                previous = await self._indices_behind_alias()
                actions: list[Body] = [{"add": {"index": index, "alias": self._alias}}]
                actions += [{"remove": {"index": old, "alias": self._alias}} for old in previous]
                await self._client.indices.update_aliases(body={"actions": actions})
        return previous

    async def _bulk(
        self,
        index: str,
        upserts: Sequence[SearchDocument],
        deletes: Sequence[int],
        *,
        refresh: str,
    ) -> None:
        lines: list[Body] = []
        for course_id in deletes:
            lines.append({"delete": {"_index": index, "_id": str(course_id)}})
        for doc in upserts:
            lines.append({"index": {"_index": index, "_id": str(doc.course_id)}})
            lines.append(document_source(doc))
        if not lines:
            return
        async with _unavailable_on_outage():
            response = cast(Body, await self._client.bulk(body=lines, params={"refresh": refresh}))
        if response.get("errors"):
            failures = [
                outcome
                for item in response["items"]
                for action, outcome in item.items()
                if outcome.get("error")
                and not (action == "delete" and outcome.get("status") == 404)
            ]
            if failures:
                raise BulkIndexingError(f"{len(failures)} documents rejected: {failures[0]}")

    async def _indices_behind_alias(self) -> list[str]:
        try:
            found = await self._client.indices.get_alias(name=self._alias)
        except NotFoundError:
            return []
        return sorted(cast(Body, found))

    async def _require_index(self) -> None:
        if not await self.has_index():
            raise SearchUnavailable(f"no search index behind alias {self._alias!r}")


@asynccontextmanager
async def _unavailable_on_outage() -> AsyncIterator[None]:
    """Turns "OpenSearch is down or the index is missing" into SearchUnavailable."""
    try:
        yield
    except (TransportConnectionError, NotFoundError) as outage:
        raise SearchUnavailable(str(outage)) from outage
    except TransportError as error:
        if error.status_code in _RETRYABLE_STATUSES:
            raise SearchUnavailable(str(error)) from error
        raise
