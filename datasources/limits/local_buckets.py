"""Token buckets in this process: the limits of the embedded default, and what a Redis limiter
falls back to while Redis is unreachable (then each process limits on its own)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from domain.rate_limits import Charge

# Clients remembered; the least recently seen is forgotten first (its buckets start full again).
MAX_CLIENTS = 100_000


class LocalBuckets:
    name = "local"

    def __init__(self, max_clients: int = MAX_CLIENTS) -> None:
        self._max_clients = max_clients
        # client -> budget -> (tokens, when); the oldest client is forgotten first (its
        # buckets start full again), which only ever favours that client.
        self._clients: dict[str, dict[str, tuple[float, float]]] = {}

    async def take(self, client: str, charges: Sequence[Charge]) -> float:
        return self.take_now(client, charges, time.monotonic())

    def take_now(self, client: str, charges: Sequence[Charge], now: float) -> float:
        """0.0 when every charge is taken, else the seconds until all could be (none taken)."""
        buckets = self._clients.get(client)
        if buckets is None:
            buckets = self._clients[client] = {}
            if len(self._clients) > self._max_clients:
                del self._clients[next(iter(self._clients))]
        if len(charges) == 1:  # the request budget: nearly every call
            charge = charges[0]
            tokens = charge.refilled(buckets.get(charge.budget), now)
            if tokens < charge.take:
                return charge.wait(tokens)
            buckets[charge.budget] = (tokens - charge.take, now)
            return 0.0
        held = [charge.refilled(buckets.get(charge.budget), now) for charge in charges]
        wait = max(charge.wait(tokens) for charge, tokens in zip(charges, held, strict=True))
        if wait:
            return wait
        for charge, tokens in zip(charges, held, strict=True):
            buckets[charge.budget] = (tokens - charge.take, now)
        return 0.0

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None
