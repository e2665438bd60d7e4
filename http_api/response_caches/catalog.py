"""Whole-response cache for anonymous catalog queries: the warm path skips parsing,
validation and execution.

Only requests without an Authorization header are served from it, and only documents whose
single operation is a query that selects nothing but public catalog fields are stored, so
no user's data can ever be in it. The key is the raw request body (query, variables and
operation name as sent). Entries carry the catalog generation they were built under
(`generation.CatalogGeneration`).
"""

from __future__ import annotations

import enum
import time
from collections import OrderedDict
from dataclasses import dataclass

from datasources.cache.metrics import record_lookups
from http_api.documents import has_mutation, selects_only, sole_query
from http_api.graphql_request import GraphQLRequest
from http_api.response_caches.chain import Answer
from http_api.response_caches.generation import CatalogGeneration

PUBLIC_ROOT_FIELDS = frozenset({"courses", "course", "categories", "__typename"})
MAX_KEY_BYTES = 4096
MAX_ENTRIES = 20_000
ENTRY_TTL_SECONDS = 300.0
KEYSPACE = "response"


class Kind(enum.Enum):
    PUBLIC_QUERY = "public query"
    MUTATION = "mutation"
    OTHER = "other"


def operation_kind(query: str, operation_name: str | None) -> Kind:
    """PUBLIC_QUERY: the document's one operation is a query of public catalog fields only."""
    if has_mutation(query):
        return Kind.MUTATION
    operation = sole_query(query, operation_name)
    if operation is not None and selects_only(operation, PUBLIC_ROOT_FIELDS):
        return Kind.PUBLIC_QUERY
    return Kind.OTHER


def anonymous_key(request: GraphQLRequest) -> bytes | None:
    """The raw body of an anonymous request small enough to be a key; None otherwise."""
    if request.authorization is not None or len(request.raw_body) > MAX_KEY_BYTES:
        return None
    return request.raw_body


@dataclass(frozen=True, slots=True)
class _Miss:
    cache: CatalogResponseCache
    key: bytes
    generation: int

    def store(self, request: GraphQLRequest, answer: Answer) -> None:
        self.cache.keep(self, request, answer)


class CatalogResponseCache:
    def __init__(self, generation: CatalogGeneration) -> None:
        self._generation = generation
        self._entries: OrderedDict[bytes, tuple[int, float, Answer]] = OrderedDict()

    async def lookup(self, request: GraphQLRequest) -> Answer | _Miss | None:
        key = anonymous_key(request)
        if key is None:
            return None
        generation = await self._generation.current()
        entry = self._entries.get(key)
        if entry is not None and entry[0] == generation and entry[1] > time.monotonic():
            record_lookups(KEYSPACE, 1, 0)
            return entry[2]
        # The miss is counted in `keep`, once the body is known to be a query this cache
        # keeps: search and signed-in bodies would otherwise read as misses here.
        return _Miss(self, key, generation)

    def keep(self, miss: _Miss, request: GraphQLRequest, answer: Answer) -> None:
        if operation_kind(request.query, request.operation_name) is not Kind.PUBLIC_QUERY:
            return
        record_lookups(KEYSPACE, 0, 1)
        if not answer.data_only or answer.links_expire_at is not None:
            return
        self._entries[miss.key] = (
            miss.generation,
            time.monotonic() + ENTRY_TTL_SECONDS,
            answer,
        )
        self._entries.move_to_end(miss.key)
        while len(self._entries) > MAX_ENTRIES:
            self._entries.popitem(last=False)
