"""A circuit breaker for a server the gateway can do without for a while (Redis, the search
engine): after a failure, calls skip the server for `retry_after_seconds` instead of each waiting
on it; the first call after that tries it again."""

from __future__ import annotations

import time
from collections.abc import Callable


class Breaker:
    def __init__(
        self, retry_after_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._retry_after = retry_after_seconds
        self._clock = clock
        self._open_until = 0.0
        self._tripped = False

    @property
    def retry_after(self) -> float:
        return self._retry_after

    @property
    def is_open(self) -> bool:
        """True while calls should skip the server."""
        return self._clock() < self._open_until

    def failed(self) -> bool:
        """Records a failure; True when it is the first since the server last answered."""
        first = not self._tripped
        self._tripped = True
        self._open_until = self._clock() + self._retry_after
        return first

    def succeeded(self) -> bool:
        """Records an answer; True when it ends an outage."""
        recovered = self._tripped
        self._tripped = False
        self._open_until = 0.0
        return recovered
