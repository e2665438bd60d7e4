"""Concurrent misses for the same keys share one load (per process)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SingleFlight(Generic[K, V]):
    def __init__(self) -> None:
        self._in_flight: dict[K, asyncio.Future[V | None]] = {}

    async def load_many(
        self, keys: Sequence[K], load: Callable[[list[K]], Awaitable[dict[K, V]]]
    ) -> dict[K, V]:
        """Loads the keys nobody is loading yet in one call; waits for the others."""
        waiting = {k: self._in_flight[k] for k in keys if k in self._in_flight}
        mine = [k for k in dict.fromkeys(keys) if k not in waiting]
        loop = asyncio.get_running_loop()
        futures: dict[K, asyncio.Future[V | None]] = {k: loop.create_future() for k in mine}
        self._in_flight.update(futures)
        results: dict[K, V] = {}
        try:
            if mine:
                loaded = await load(mine)
                results.update(loaded)
                for key, future in futures.items():
                    future.set_result(loaded.get(key))
        except BaseException as error:
            for future in futures.values():
                if not future.done():
                    future.set_exception(error)
                    future.exception()  # mark retrieved: waiters may be none
            raise
        finally:
            for key in mine:
                self._in_flight.pop(key, None)
        for key, future in waiting.items():
            value = await future
            if value is not None:
                results[key] = value
        return results
