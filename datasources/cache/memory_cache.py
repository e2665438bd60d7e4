"""In-process TTL cache for the embedded default (one process, so no sharing is needed)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence


class MemoryCache:
    name = "memory"

    def __init__(self, max_entries: int = 100_000) -> None:
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._counters: dict[str, int] = {}
        self._max_entries = max_entries

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        now = time.monotonic()
        values: list[bytes | None] = []
        for key in keys:
            entry = self._entries.get(key)
            if entry is None or entry[0] <= now:
                values.append(None)
                continue
            self._entries.move_to_end(key)
            values.append(entry[1])
        return values

    async def set_many(self, items: dict[str, bytes], ttl_seconds: int) -> None:
        expires = time.monotonic() + ttl_seconds
        for key, value in items.items():
            self._entries[key] = (expires, value)
            self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    async def delete(self, *keys: str) -> None:
        for key in keys:
            self._entries.pop(key, None)

    async def incr(self, key: str) -> int:
        self._counters[key] = self._counters.get(key, 0) + 1
        return self._counters[key]

    async def get_counter(self, key: str) -> int:
        return self._counters.get(key, 0)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self._entries.clear()
