"""The catalog generation as the response caches see it: re-read at once after a mutation in
this process and when the event log says a course changed anywhere (catalog_changes.py), and
at least every RECHECK_SECONDS, the bound for an event this worker missed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

RECHECK_SECONDS = 1.0


class CatalogGeneration:
    def __init__(self, read_generation: Callable[[], Awaitable[int]]) -> None:
        self._read_generation = read_generation
        self._generation = 0
        self._recheck_at = 0.0
        self._reading = asyncio.Lock()

    async def current(self) -> int:
        if time.monotonic() >= self._recheck_at:
            # One read for the requests that find it due together; each of them gets its
            # answer, none an older one (the catalog snapshot catches up in that read).
            async with self._reading:
                if time.monotonic() >= self._recheck_at:
                    started = time.monotonic()
                    self._generation = await self._read_generation()
                    self._recheck_at = started + RECHECK_SECONDS
        return self._generation

    def recheck(self) -> None:
        """The next `current` reads the generation again."""
        self._recheck_at = 0.0
