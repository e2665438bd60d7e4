"""The response caches as one chain: each is asked in turn, the first that holds the answer
serves it, and every cache that missed is handed the executed answer to keep if it wants.

A cache answers a lookup with the cached `Answer`, with a `Pending` (what storing this request's
answer needs), or with None (it never keeps this request).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from http_api.documents import has_mutation
from http_api.graphql_request import GraphQLRequest
from http_api.request_metrics import OperationLabel
from http_api.response_caches.generation import CatalogGeneration


@dataclass(frozen=True, slots=True)
class Answer:
    body: bytes
    data_only: bool  # neither errors nor extensions: the only answers a cache keeps
    # The earliest expiry of a signed link in the body: an anonymous cache keeps no such
    # answer, a user's keeps it while the links have most of their life left.
    links_expire_at: datetime | None = None
    operation: OperationLabel | None = None  # what a hit is counted as in the metrics


class Pending(Protocol):
    def store(self, request: GraphQLRequest, answer: Answer) -> None: ...


class ResponseCache(Protocol):
    async def lookup(self, request: GraphQLRequest) -> Answer | Pending | None: ...


class ResponseCacheChain:
    def __init__(
        self, caches: Sequence[ResponseCache], generation: CatalogGeneration | None
    ) -> None:
        self._caches = tuple(caches)
        self._generation = generation

    @property
    def generation(self) -> CatalogGeneration | None:
        return self._generation

    async def lookup(self, request: GraphQLRequest) -> Answer | tuple[Pending, ...]:
        """The cached response, or the misses to hand the answer to. May raise what the
        request raises when a cache needs its parsed body or principal."""
        # Yield once per request: hits and in-process cache reads never await I/O, and a
        # saturated loop whose handlers never yield serves requests with long tails.
        await asyncio.sleep(0)
        pending: list[Pending] = []
        for cache in self._caches:
            found = await cache.lookup(request)
            if isinstance(found, Answer):
                return found
            if found is not None:
                pending.append(found)
        return tuple(pending)

    def store(self, pending: Sequence[Pending], request: GraphQLRequest, answer: Answer) -> None:
        """Hands the executed answer to the caches that missed; a mutation makes the next
        lookup re-read the catalog generation."""
        if self._generation is not None and has_mutation(request.query):
            self._generation.recheck()
        for miss in pending:
            miss.store(request, answer)
