"""The catalog generation as the response caches see it: re-read at most every
RECHECK_SECONDS, and at once after a mutation in this process, so another worker's catalog
change shows within that bound and this worker's own change at once."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

RECHECK_SECONDS = 0.25


class CatalogGeneration:
    def __init__(self, read_generation: Callable[[], Awaitable[int]]) -> None:
        self._read_generation = read_generation
        self._generation = 0
        self._recheck_at = 0.0

    async def current(self) -> int:
        now = time.monotonic()
        if now >= self._recheck_at:
            self._generation = await self._read_generation()
            self._recheck_at = now + RECHECK_SECONDS
        return self._generation

    def recheck(self) -> None:
        """The next `current` reads the generation again."""
        self._recheck_at = 0.0
