"""Concurrent misses for the same keys share one load (per process).

The caller that loads a key shares its outcome with the callers waiting for it: the value, or
the error the load raised. Not a cancellation, which belongs to the caller it is sent to (a
request whose sibling field failed, a client gone): a waiter cancelled leaves the shared load
to the others, and when the loading caller is cancelled its waiters load the key themselves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Abandoned(Exception):
    """What the waiters get when the caller loading their keys stopped without an outcome."""


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
        except Exception as error:
            _fail(futures.values(), error)
            raise
        except BaseException:  # cancelled: this caller's fate, not its waiters'
            _fail(futures.values(), _Abandoned())
            raise
        finally:
            for key in mine:
                self._in_flight.pop(key, None)
        abandoned: list[K] = []
        for key, future in waiting.items():
            try:
                value = await asyncio.shield(future)  # cancelling this caller leaves the load
            except _Abandoned:
                abandoned.append(key)
                continue
            if value is not None:
                results[key] = value
        if abandoned:
            results.update(await self.load_many(abandoned, load))
        return results


def _fail(futures: Iterable[asyncio.Future[V | None]], error: Exception) -> None:
    for future in futures:
        if not future.done():
            future.set_exception(error)
            future.exception()  # mark retrieved: waiters may be none
