"""Whole-response cache for anonymous search and autocomplete queries.

Keyed like the catalog's cache (the raw body of an anonymous request). A search response is
built from the index and from catalog rows, so an entry is served only while both the catalog
generation and the engine's index version are the ones it was built under: a course change is
visible as soon as it is committed to the catalog and again as soon as it is indexed. Engines that
cannot tell their index version (another process writes them) are never cached. Only responses
without errors or extensions are kept, so a degraded (database fallback) answer never is.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from datasources.cache.metrics import record_lookups
from http_api.documents import selects_only, sole_query
from http_api.graphql_request import GraphQLRequest
from http_api.response_caches.catalog import anonymous_key
from http_api.response_caches.chain import Answer
from http_api.response_caches.generation import CatalogGeneration

SEARCH_ROOT_FIELDS = frozenset({"search", "autocomplete", "__typename"})
MAX_ENTRIES = 10_000
KEYSPACE = "search_response"


def is_search_query(query: str, operation_name: str | None) -> bool:
    """The document's one operation is a query of search fields only."""
    operation = sole_query(query, operation_name)
    return operation is not None and selects_only(operation, SEARCH_ROOT_FIELDS)


@dataclass(frozen=True, slots=True)
class _Miss:
    cache: SearchResponseCache
    key: bytes
    versions: tuple[int, int]  # (catalog generation, index version)

    def store(self, request: GraphQLRequest, answer: Answer) -> None:
        self.cache.keep(self, request, answer)


class SearchResponseCache:
    def __init__(
        self,
        generation: CatalogGeneration,
        index_version: Callable[[], int | None],
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        self._generation = generation
        self._index_version = index_version
        self._max_entries = max_entries
        self._entries: OrderedDict[bytes, tuple[tuple[int, int], Answer]] = OrderedDict()

    async def lookup(self, request: GraphQLRequest) -> Answer | _Miss | None:
        key = anonymous_key(request)
        if key is None:
            return None
        index_version = self._index_version()
        if index_version is None:
            return None
        versions = (await self._generation.current(), index_version)
        entry = self._entries.get(key)
        if entry is not None and entry[0] == versions:
            record_lookups(KEYSPACE, 1, 0)
            return entry[1]
        return _Miss(self, key, versions)

    def keep(self, miss: _Miss, request: GraphQLRequest, answer: Answer) -> None:
        if (
            not answer.data_only
            or answer.links_expire_at is not None
            or not is_search_query(request.query, request.operation_name)
        ):
            return
        record_lookups(KEYSPACE, 0, 1)
        self._entries[miss.key] = (miss.versions, answer)
        self._entries.move_to_end(miss.key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)
