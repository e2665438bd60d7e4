"""Per-client budgets as token buckets: a budget of N per minute holds up to N tokens and gains
N/60 a second; a request takes what it costs from each budget it charges, all or none. The
in-process buckets (`datasources/limits/local_buckets.py`) and the Redis script
(`datasources/limits/redis_buckets.py`, in Lua) both follow `Charge.refilled`."""

from __future__ import annotations

from dataclasses import dataclass

REQUESTS = "requests"
MUTATIONS = "mutations"
COST = "cost"


@dataclass(frozen=True, slots=True)
class Charge:
    budget: str
    capacity: int  # the budget per minute, and the most a bucket holds
    take: int
    per_second: float  # capacity / 60: what the bucket gains a second

    def refilled(self, saved: tuple[float, float] | None, now: float) -> float:
        """What a bucket holds at `now` that held `saved` = (tokens, at); None: never used."""
        if saved is None:
            return self.capacity
        return min(self.capacity, saved[0] + (now - saved[1]) * self.per_second)

    def wait(self, tokens: float) -> float:
        """0 when a bucket of `tokens` can give `take` now, else how long until it can."""
        return 0.0 if tokens >= self.take else (self.take - tokens) / self.per_second


@dataclass(frozen=True, slots=True)
class Budgets:
    """Per client and minute; 0: that budget is not limited."""

    requests: int = 0
    mutations: int = 0
    cost: int = 0

    def charges(self, requests: int = 0, mutations: int = 0, cost: int = 0) -> tuple[Charge, ...]:
        asked = ((REQUESTS, self.requests, requests), (MUTATIONS, self.mutations, mutations))
        return tuple(
            Charge(name, capacity, take, capacity / 60.0)
            for name, capacity, take in (*asked, (COST, self.cost, cost))
            if capacity and take
        )
