"""Cache-aside for records looked up by id: one multi-get, one shared load of the misses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from datasources.cache.base import Cache
from datasources.cache.metrics import record_lookups
from datasources.cache.single_flight import SingleFlight

V = TypeVar("V")


class CachedById(Generic[V]):
    """Entries under `key_of(id)`; ids the source does not know are not cached."""

    def __init__(
        self,
        cache: Cache,
        keyspace: str,
        key_of: Callable[[int], str],
        encode: Callable[[V], bytes],
        decode: Callable[[bytes], V],
        ttl_seconds: int,
    ) -> None:
        self._cache = cache
        self._keyspace = keyspace
        self.key_of = key_of
        self._encode = encode
        self._decode = decode
        self._ttl_seconds = ttl_seconds
        self._flight: SingleFlight[int, V] = SingleFlight()

    async def get_many(
        self, ids: Sequence[int], load: Callable[[list[int]], Awaitable[dict[int, V]]]
    ) -> dict[int, V]:
        unique_ids = list(dict.fromkeys(ids))
        cached = await self._cache.get_many([self.key_of(i) for i in unique_ids])
        found = {i: self._decode(raw) for i, raw in zip(unique_ids, cached, strict=True) if raw}
        missing = [i for i in unique_ids if i not in found]
        record_lookups(self._keyspace, len(found), len(missing))
        if missing:

            async def load_and_keep(ids_to_load: list[int]) -> dict[int, V]:
                loaded = await load(ids_to_load)
                await self._cache.set_many(
                    {self.key_of(i): self._encode(v) for i, v in loaded.items()},
                    self._ttl_seconds,
                )
                return loaded

            found.update(await self._flight.load_many(missing, load_and_keep))
        return found

    async def forget(self, ids: Sequence[int]) -> None:
        if ids:
            await self._cache.delete(*(self.key_of(i) for i in ids))
