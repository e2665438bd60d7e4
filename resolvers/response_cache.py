"""Whole-response cache for anonymous catalog queries: the warm path skips parsing,
validation and execution.

Only requests without an Authorization header are served from it, and only documents whose
single operation is a query that selects nothing but public catalog fields are stored, so
no user's data can ever be in it. The key is the raw request body (query, variables and
operation name as sent). Entries carry the catalog generation they were built under; the
generation is re-read at most every GENERATION_RECHECK_SECONDS, and at once after a
mutation in this process, so another worker's catalog change shows within that bound.
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from datasources.cache.metrics import record_lookups
from resolvers.documents import has_mutation, selects_only, sole_query

PUBLIC_ROOT_FIELDS = frozenset({"courses", "course", "categories", "__typename"})
MAX_KEY_BYTES = 4096
MAX_ENTRIES = 20_000
ENTRY_TTL_SECONDS = 300.0
GENERATION_RECHECK_SECONDS = 0.25
KEYSPACE = "response"


@dataclass(frozen=True, slots=True)
class Ticket:
    """What a lookup found: the cached bytes, or what is needed to store the answer."""

    response: bytes | None
    key: bytes | None
    generation: int


_UNCACHEABLE = Ticket(None, None, -1)


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


class ResponseCache:
    def __init__(self, read_generation: Callable[[], Awaitable[int]]) -> None:
        self._read_generation = read_generation
        self._entries: OrderedDict[bytes, tuple[int, float, bytes]] = OrderedDict()
        self._generation = 0
        self._recheck_at = 0.0

    async def lookup(self, raw_body: bytes, authorization: str | None) -> Ticket:
        # Yield once per request: hits and in-process cache reads never await I/O, and a
        # saturated loop whose handlers never yield serves requests with long tails.
        await asyncio.sleep(0)
        if authorization is not None or len(raw_body) > MAX_KEY_BYTES:
            return _UNCACHEABLE
        generation = await self._current_generation()
        entry = self._entries.get(raw_body)
        if entry is not None and entry[0] == generation and entry[1] > time.monotonic():
            record_lookups(KEYSPACE, 1, 0)
            return Ticket(entry[2], None, generation)
        # The miss is counted in `store`, once the body is known to be a query this cache
        # keeps: search and signed-in bodies would otherwise read as misses here.
        return Ticket(None, raw_body, generation)

    def store(
        self,
        ticket: Ticket,
        query: str,
        operation_name: str | None,
        data_only: bool,
        response: bytes,
    ) -> None:
        """Keeps the response of a public query that had neither errors nor extensions;
        a mutation makes the next lookup re-read the generation."""
        kind = operation_kind(query, operation_name)
        if kind is Kind.MUTATION:
            self._recheck_at = 0.0
        if ticket.key is None or kind is not Kind.PUBLIC_QUERY:
            return
        record_lookups(KEYSPACE, 0, 1)
        if not data_only:
            return
        self._entries[ticket.key] = (
            ticket.generation,
            time.monotonic() + ENTRY_TTL_SECONDS,
            response,
        )
        self._entries.move_to_end(ticket.key)
        while len(self._entries) > MAX_ENTRIES:
            self._entries.popitem(last=False)

    async def _current_generation(self) -> int:
        now = time.monotonic()
        if now >= self._recheck_at:
            self._generation = await self._read_generation()
            self._recheck_at = now + GENERATION_RECHECK_SECONDS
        return self._generation
