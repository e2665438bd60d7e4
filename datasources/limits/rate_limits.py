"""A deployment's per-client budgets and the buckets that keep them."""

from __future__ import annotations

from dataclasses import dataclass, field

from datasources.limits.base import RateLimiter
from datasources.limits.local_buckets import LocalBuckets
from domain.rate_limits import Budgets, Charge


@dataclass
class RateLimits:
    budgets: Budgets = field(default_factory=Budgets)  # none limited
    buckets: RateLimiter = field(default_factory=LocalBuckets)
    _one_request: tuple[Charge, ...] = field(init=False)

    def __post_init__(self) -> None:
        self._one_request = self.budgets.charges(requests=1)  # what every request takes

    async def charge_request(self, client: str) -> float:
        """0.0 when `client` may make one more request (now counted), else the seconds to
        wait."""
        return await self.buckets.take(client, self._one_request) if self._one_request else 0.0

    async def charge(self, client: str, mutations: int = 0, cost: int = 0) -> float:
        """0.0 when `client` could spend all of it (now spent), else the seconds to wait."""
        charges = self.budgets.charges(0, mutations, cost)
        return await self.buckets.take(client, charges) if charges else 0.0
