"""A search engine that never answers: the stand-in until a real engine is opened."""

from __future__ import annotations

from collections.abc import Sequence

from datasources.search.contract import (
    DocumentBatches,
    SearchDocument,
    SearchRequest,
    SearchResult,
    SearchUnavailable,
    Suggestion,
)


class UnavailableSearchEngine:
    def __init__(self, reason: str = "search is not configured") -> None:
        self._reason = reason

    async def search(self, request: SearchRequest) -> SearchResult:
        raise SearchUnavailable(self._reason)

    async def autocomplete(self, prefix: str, limit: int) -> list[Suggestion]:
        raise SearchUnavailable(self._reason)

    async def upsert(self, docs: Sequence[SearchDocument]) -> None:
        raise SearchUnavailable(self._reason)

    async def delete(self, course_ids: Sequence[int]) -> None:
        raise SearchUnavailable(self._reason)

    async def rebuild(self, docs: DocumentBatches) -> None:
        raise SearchUnavailable(self._reason)

    async def has_index(self) -> bool:
        return False

    async def ping(self) -> bool:
        return False

    def index_version(self) -> int | None:
        return None

    async def close(self) -> None:
        return None
