"""The cache switched off (COURSEGATE_CACHE=off): every read misses, every write is dropped.

Every read then goes to the databases, which is what the growth benchmark measures. Counters
stay at 0, so nothing keyed by a catalog generation may be kept in-process either: the
gateway turns its response caches off with the same setting.
"""

from __future__ import annotations

from collections.abc import Sequence


class NullCache:
    name = "off"

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        return [None] * len(keys)

    async def set_many(self, items: dict[str, bytes], ttl_seconds: int) -> None:
        return None

    async def delete(self, *keys: str) -> None:
        return None

    async def incr(self, key: str) -> int:
        return 0

    async def get_counter(self, key: str) -> int:
        return 0

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None
