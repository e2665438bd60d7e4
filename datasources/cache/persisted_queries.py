"""Persisted query documents by the SHA-256 of their text, shared by every worker and pod.

Two kinds: documents an operator registered ahead of time (durable, in the catalog database;
the only ones a safelist accepts) and documents clients registered on the fly by the automatic
persisted queries protocol (in the shared cache, Redis in production, where they may be evicted:
a client whose hash is not found sends the text again). A hash names one text forever, so each
process keeps the documents it has seen in memory without ever invalidating them.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Final

from datasources.cache.base import Cache
from datasources.sql.persisted_query_store import SqlPersistedQueryStore

AUTOMATIC_TTL_SECONDS: Final = 30 * 24 * 3600
_AUTOMATIC: Final = "pq:auto:"
_REGISTERED: Final = "pq:reg:"


def document_hash(text: str) -> str:
    """The name a document persists under: the SHA-256 of its UTF-8 text, in hex."""
    return hashlib.sha256(text.encode()).hexdigest()


class PersistedQueries:
    def __init__(
        self, cache: Cache, registered: SqlPersistedQueryStore, max_in_process: int = 4096
    ) -> None:
        self._cache = cache
        self.registered = registered
        self._seen: OrderedDict[tuple[bool, str], str] = OrderedDict()
        self._max_in_process = max_in_process

    async def document(self, sha256: str, registered_only: bool) -> str | None:
        """The text under this hash: a registered one, or (unless `registered_only`) one a
        client registered."""
        found = self._remembered(True, sha256)
        if found is None and not registered_only:
            found = self._remembered(False, sha256)
        if found is not None:
            return found
        keys = [f"{_REGISTERED}{sha256}"] + ([] if registered_only else [f"{_AUTOMATIC}{sha256}"])
        cached = await self._cache.get_many(keys)
        for is_registered, value in zip((True, False), cached, strict=False):
            if value is not None:
                return self._remember(is_registered, sha256, value.decode())
        text = await self.registered.get(sha256)
        if text is None:
            return None
        await self._cache.set_many({f"{_REGISTERED}{sha256}": text.encode()}, AUTOMATIC_TTL_SECONDS)
        return self._remember(True, sha256, text)

    async def remember_automatic(self, sha256: str, text: str) -> None:
        """A client's document, whose hash the caller checked."""
        await self._cache.set_many({f"{_AUTOMATIC}{sha256}": text.encode()}, AUTOMATIC_TTL_SECONDS)
        self._remember(False, sha256, text)

    def _remembered(self, is_registered: bool, sha256: str) -> str | None:
        key = (is_registered, sha256)
        found = self._seen.get(key)
        if found is not None:
            self._seen.move_to_end(key)
        return found

    def _remember(self, is_registered: bool, sha256: str, text: str) -> str:
        self._seen[(is_registered, sha256)] = text
        if len(self._seen) > self._max_in_process:
            self._seen.popitem(last=False)
        return text
