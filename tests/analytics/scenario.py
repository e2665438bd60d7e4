"""The analytics tests' shared scenario and the GraphQL questions they ask."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import httpx

from datasources.backends import Backends
from datasources.payments.sandbox import SandboxProvider
from jobs.consumers.analytics import AnalyticsConsumer
from jobs.consumers.popularity import PopularityConsumer
from jobs.consumers.runner import consume_available
from jobs.relay import Relay
from records.catalog import Category
from records.events import Event
from tests.conftest import graphql, token_for
from tests.factories import add_course
from tests.graphql_flows import CANCEL, ENROLL, REFUND, buy

ADMIN = token_for(1, admin=True)
SERIES = "... on TimeSeries { points { time value } } ... on UserError { __typename message }"
FIELDS = "... on InvalidInput { field }"
TODAY = datetime.now(UTC).date()


def analytics_query(selection: str) -> str:
    return f"""query {{ analytics {{ __typename ... on UserError {{ message }}
        ... on Analytics {{ {selection} }} }} }}"""


async def ask(client: httpx.AsyncClient, selection: str, token: str | None = ADMIN) -> Any:
    body = await graphql(client, analytics_query(selection), token=token)
    assert "errors" not in body, body
    return body["data"]["analytics"]


def today_value(series: dict[str, Any]) -> float:
    (point,) = series["points"]
    assert point["time"].startswith(TODAY.isoformat())
    return float(point["value"])


def today_series(field: str, args: str = "") -> str:
    day = TODAY.isoformat()
    return f'{field}(from: "{day}", to: "{day}"{args}) {{ {SERIES} }}'


async def follow(backends: Backends, analytics: AnalyticsConsumer) -> list[Event]:
    """Relays every outbox, applies the events to popularity and analytics, runs the due work."""
    await Relay(backends.shard_engines, backends.events).relay_once()
    popularity = PopularityConsumer(backends)
    await popularity.start()  # builds its model the first time, as its loop does
    await consume_available(backends.events, popularity)
    seen: list[Event] = []
    while deliveries := await backends.events.fetch(analytics.name, analytics.kinds, 500, 0):
        seen += [delivery.event for delivery in deliveries]
        await analytics.apply([delivery.event for delivery in deliveries])
        await backends.events.ack(analytics.name, deliveries)
    await analytics.tick()
    return seen


async def recount_active(backends: Backends) -> Counter[int]:
    counts: Counter[int] = Counter()
    for shard in backends.shard_engines:
        rows = await shard.fetch_all(
            "SELECT typing_course_id, expires_at FROM user_typing_courses WHERE status = 'active'"
        )
        for course_id, expires_at in rows:
            if expires_at is None or str(expires_at)[:10] >= TODAY.isoformat():
                counts[int(course_id)] += 1
    return counts


async def scenario(client: httpx.AsyncClient, backends: Backends) -> tuple[int, int]:
    """Two enrolments and a cancellation on a free course; a purchase, a renewal and the
    renewal's refund on a paid one."""
    backends.payments = sandbox = SandboxProvider()
    free = await add_course(backends, price_paise=0, validity_days=30, category=Category.CODING)
    paid = await add_course(
        backends, price_paise=49_900, validity_days=30, category=Category.SPEED_BUILDING
    )
    for user_id in (41, 44):
        await graphql(client, ENROLL, {"c": str(free.id)}, token_for(user_id))
    await graphql(client, CANCEL, {"c": str(free.id)}, token_for(41))
    await buy(client, sandbox, 42, paid.id, "first")
    renewal = await buy(client, sandbox, 42, paid.id, "renewal")
    refunded = await graphql(client, REFUND, {"o": renewal}, ADMIN)
    assert refunded["data"]["refundOrder"]["__typename"] == "RefundOrderSuccess"
    return free.id, paid.id
