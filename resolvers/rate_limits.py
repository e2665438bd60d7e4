"""What a request spends of its client's budgets once its operation and cost are known."""

from __future__ import annotations

from resolvers.context import RequestContext

RATE_LIMITED = "RATE_LIMITED"


async def spend(context: RequestContext, cost: int, is_mutation: bool) -> float:
    """0.0 when the client could spend it (now spent), else the seconds until it can."""
    return await context.backends.rate_limits.charge(
        context.client, mutations=int(is_mutation), cost=cost
    )


def rate_limited_message(retry_after_seconds: float) -> str:
    return (
        "too many requests from this client: its budget per minute is spent;"
        f" retry after {max(1, round(retry_after_seconds + 0.5))} s"
    )
