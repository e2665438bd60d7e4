"""What the endpoint and the use cases ask of a rate limiter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from domain.rate_limits import Charge


class RateLimiter(Protocol):
    name: str

    async def take(self, client: str, charges: Sequence[Charge]) -> float:
        """0.0 when every charge is taken, else the seconds until all could be (none taken)."""
        ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...
