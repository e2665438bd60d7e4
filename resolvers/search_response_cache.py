"""Whole-response cache for anonymous search and autocomplete queries.

Sits next to the catalog's ResponseCache and reuses its ticket: the raw body as the key (None for
requests it will not cache, such as signed-in ones) and the catalog generation. A search response
is built from the index and from catalog rows, so an entry is served only while both the catalog
generation and the engine's index version are the ones it was built under: a course change is
visible as soon as it is committed to the catalog and again as soon as it is indexed. Engines that
cannot tell their index version (another process writes them) are never cached. Only responses
without errors or extensions are kept, so a degraded (database fallback) answer never is.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from datasources.cache.metrics import record_lookups
from resolvers.documents import selects_only, sole_query
from resolvers.response_cache import Ticket

SEARCH_ROOT_FIELDS = frozenset({"search", "autocomplete", "__typename"})
MAX_ENTRIES = 10_000
KEYSPACE = "search_response"


@dataclass(frozen=True, slots=True)
class SearchTicket:
    response: bytes | None
    key: bytes | None
    versions: tuple[int, int]  # (catalog generation, index version)


_UNCACHEABLE = SearchTicket(None, None, (-1, -1))


def is_search_query(query: str, operation_name: str | None) -> bool:
    """The document's one operation is a query of search fields only."""
    operation = sole_query(query, operation_name)
    return operation is not None and selects_only(operation, SEARCH_ROOT_FIELDS)


class SearchResponseCache:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._max_entries = max_entries
        self._entries: OrderedDict[bytes, tuple[tuple[int, int], bytes]] = OrderedDict()

    def lookup(self, catalog_ticket: Ticket, index_version: int | None) -> SearchTicket:
        if catalog_ticket.key is None or index_version is None:
            return _UNCACHEABLE
        versions = (catalog_ticket.generation, index_version)
        entry = self._entries.get(catalog_ticket.key)
        if entry is not None and entry[0] == versions:
            record_lookups(KEYSPACE, 1, 0)
            return SearchTicket(entry[1], None, versions)
        return SearchTicket(None, catalog_ticket.key, versions)

    def store(
        self,
        ticket: SearchTicket,
        query: str,
        operation_name: str | None,
        data_only: bool,
        response: bytes,
    ) -> None:
        if ticket.key is None or not data_only or not is_search_query(query, operation_name):
            return
        record_lookups(KEYSPACE, 0, 1)
        self._entries[ticket.key] = (ticket.versions, response)
        self._entries.move_to_end(ticket.key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)
