"""Admin analytics over GraphQL: the figures follow subscription and payment events (on the
embedded default's SQLite series and on MariaDB with a real InfluxDB), equal a recount from
the shards, survive duplicate delivery and an unreachable series store, and bad input and
non-admins get typed errors."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from datasources.analytics.influx_series import InfluxSeriesStore
from datasources.backends import Backends
from datasources.payments.sandbox import SandboxProvider
from jobs.consumers.analytics import AnalyticsConsumer
from jobs.consumers.popularity import PopularityConsumer
from jobs.consumers.runner import consume_available
from jobs.relay import Relay
from records.catalog import Category
from records.events import Event, EventKind
from tests.conftest import graphql, token_for
from tests.factories import add_course
from tests.graphql_flows import CANCEL, ENROLL, REFUND, buy

ADMIN = token_for(1, admin=True)
_SERIES = "... on TimeSeries { points { time value } } ... on UserError { __typename message }"
_FIELDS = "... on InvalidInput { field }"
TODAY = datetime.now(UTC).date()


def _analytics(selection: str) -> str:
    return f"""query {{ analytics {{ __typename ... on UserError {{ message }}
        ... on Analytics {{ {selection} }} }} }}"""


async def _ask(client: httpx.AsyncClient, selection: str, token: str | None = ADMIN) -> Any:
    body = await graphql(client, _analytics(selection), token=token)
    assert "errors" not in body, body
    return body["data"]["analytics"]


def _today_value(series: dict[str, Any]) -> float:
    (point,) = series["points"]
    assert point["time"].startswith(TODAY.isoformat())
    return float(point["value"])


async def _follow(backends: Backends, analytics: AnalyticsConsumer) -> list[Event]:
    """Relays every outbox, applies the events to popularity and analytics, runs the due work."""
    await Relay(backends.shard_engines, backends.events).relay_once()
    await consume_available(backends.events, PopularityConsumer(backends))
    seen: list[Event] = []
    while deliveries := await backends.events.fetch(analytics.name, analytics.kinds, 500, 0):
        seen += [delivery.event for delivery in deliveries]
        await analytics.apply([delivery.event for delivery in deliveries])
        await backends.events.ack(analytics.name, deliveries)
    await analytics.tick()
    return seen


async def _recount_active(backends: Backends) -> Counter[int]:
    counts: Counter[int] = Counter()
    for shard in backends.shard_engines:
        rows = await shard.fetch_all(
            "SELECT typing_course_id, expires_at FROM user_typing_courses WHERE status = 'active'"
        )
        for course_id, expires_at in rows:
            if expires_at is None or str(expires_at)[:10] >= TODAY.isoformat():
                counts[int(course_id)] += 1
    return counts


async def _scenario(client: httpx.AsyncClient, backends: Backends) -> tuple[int, int]:
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


def _today(field: str, args: str = "") -> str:
    day = TODAY.isoformat()
    return f'{field}(from: "{day}", to: "{day}"{args}) {{ {_SERIES} }}'


async def test_the_figures_follow_the_events_and_equal_a_recount(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    free_id, paid_id = await _scenario(client, backends)
    analytics = AnalyticsConsumer(backends)
    await analytics.start()
    events = await _follow(backends, analytics)
    assert {EventKind.ORDER_PAID, EventKind.ORDER_REFUNDED} <= {e.kind for e in events}

    answer = await _ask(
        client,
        f"""
        enrolments: {_today("activity", ", activity: ENROLMENTS")}
        newSubscriptions: {_today("activity", ", activity: NEW_SUBSCRIPTIONS")}
        cancellations: {_today("activity", ", activity: CANCELLATIONS")}
        purchases: {_today("activity", f', activity: PURCHASES, courseId: "{paid_id}"')}
        refunds: {_today("activity", ", activity: REFUNDS, category: SPEED_BUILDING")}
        revenue: {_today("revenue")}
        paidRevenue: {_today("revenue", f', courseId: "{paid_id}"')}
        codingRevenue: {_today("revenue", ", category: CODING")}
        active: {_today("activeSubscriptions")}
        activeFree: {_today("activeSubscriptions", f', courseId: "{free_id}"')}
        activePaid: {_today("activeSubscriptions", ", category: SPEED_BUILDING")}
        popularCourses(window: WEEK, first: 5) {{
            ... on PopularCourseList {{ items {{ course {{ id }} newSubscriptions }} }} }}
        """,
    )

    figures = {name: _today_value(series) for name, series in answer.items() if "points" in series}
    active = await _recount_active(backends)
    assert figures == {
        "enrolments": 2,
        "newSubscriptions": 3,  # two enrolments and the first purchase
        "cancellations": 1,
        "purchases": 2,
        "refunds": 1,
        "revenue": 49_900,  # two captured payments less one refund
        "paidRevenue": 49_900,
        "codingRevenue": 0,
        "active": sum(active.values()),
        "activeFree": active[free_id],
        "activePaid": active[paid_id],
    }
    assert (figures["activeFree"], figures["activePaid"]) == (1, 0)  # the refund ended access
    assert answer["popularCourses"]["items"] == [
        {"course": {"id": str(free_id)}, "newSubscriptions": 2},
        {"course": {"id": str(paid_id)}, "newSubscriptions": 1},
    ]

    # A second delivery of every event (a consumer that died before its ack) changes nothing.
    await analytics.apply(events)
    await analytics.tick()
    again = await _ask(client, f"revenue: {_today('revenue')}")
    assert _today_value(again["revenue"]) == 49_900


async def test_the_expiration_forecast_counts_active_access_by_its_last_day(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends, price_paise=0, validity_days=3)
    for user_id in (51, 52, 53):
        await graphql(client, ENROLL, {"c": str(course.id)}, token_for(user_id))
    await graphql(client, CANCEL, {"c": str(course.id)}, token_for(53))
    await _follow(backends, AnalyticsConsumer(backends))

    answer = await _ask(client, f"expirationForecast(days: 7) {{ {_SERIES} }}")

    points = answer["expirationForecast"]["points"]
    assert [p["time"][:10] for p in points] == [
        (TODAY + timedelta(days=n)).isoformat() for n in range(7)
    ]
    expected = [2.0 if n == 3 else 0.0 for n in range(7)]  # two left, ending in 3 days
    assert [p["value"] for p in points] == expected


async def test_an_unreachable_series_store_keeps_the_counts_and_the_gateway_serving(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    working = backends.analytics
    backends.analytics = InfluxSeriesStore("http://127.0.0.1:9", "coursegate", timeout=1.0)
    course = await add_course(backends, price_paise=0)
    await graphql(client, ENROLL, {"c": str(course.id)}, token_for(61))
    analytics = AnalyticsConsumer(backends)
    await _follow(backends, analytics)  # the tick fails to export, and says so in the log

    down = await _ask(client, _today("activity", ", activity: ENROLMENTS"))
    assert down["activity"]["__typename"] == "AnalyticsUnavailable"
    served = await graphql(client, "{ courses { edges { node { id } } } }")
    assert [e["node"]["id"] for e in served["data"]["courses"]["edges"]] == [str(course.id)]
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "degraded"
    await backends.analytics.close()

    backends.analytics = working
    await analytics.tick()  # the store is back: the kept counts are exported
    up = await _ask(client, _today("activity", ", activity: ENROLMENTS"))
    assert _today_value(up["activity"]) == 1


async def test_only_admins_get_analytics_and_before_any_argument_is_read(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    bad_range = (
        'activity(activity: ENROLMENTS, from: "2026-02-01", to: "2026-01-01") { __typename }'
    )
    assert (await _ask(client, bad_range, token_for(5)))["__typename"] == "Forbidden"
    assert (await _ask(client, bad_range, None))["__typename"] == "Unauthenticated"


@pytest.mark.parametrize(
    ("selection", "field"),
    [
        ('activeSubscriptions(from: "2026-02-01", to: "2026-01-31")', "to"),
        ('activeSubscriptions(from: "2025-01-01", to: "2026-06-30")', "to"),
        ('revenue(from: "2018-01-01", to: "2026-01-01", interval: WEEK)', "to"),
        ('revenue(from: "2026-01-01", to: "2026-01-02", courseId: "x")', "courseId"),
        (
            'revenue(from: "2026-01-01", to: "2026-01-02", courseId: "1", category: KIDS)',
            "category",
        ),
        ("expirationForecast(days: 0)", "days"),
        ("expirationForecast(days: 91)", "days"),
    ],
)
async def test_bad_ranges_and_intervals_are_invalid_input(
    client: httpx.AsyncClient, backends: Backends, selection: str, field: str
) -> None:
    answer = await _ask(client, f"result: {selection} {{ __typename {_FIELDS} }}")
    assert answer["result"] == {"__typename": "InvalidInput", "field": field}


async def test_a_bad_first_for_popular_courses_is_invalid_input(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    answer = await _ask(client, f"popularCourses(first: 0) {{ __typename {_FIELDS} }}")
    assert answer["popularCourses"] == {"__typename": "InvalidInput", "field": "first"}


async def test_a_year_of_days_and_years_of_weeks_are_accepted_up_to_today(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    year_ago = (TODAY - timedelta(days=365)).isoformat()
    weeks_ago = (TODAY - timedelta(weeks=390)).isoformat()
    answer = await _ask(
        client,
        f"""days: activeSubscriptions(from: "{year_ago}", to: "{TODAY}") {{ {_SERIES} }}
        weeks: revenue(from: "{weeks_ago}", to: "{TODAY + timedelta(days=30)}", interval: WEEK)
            {{ {_SERIES} }}""",
    )
    assert "points" in answer["days"] and "points" in answer["weeks"], answer
    assert len(answer["days"]["points"]) == 366
    assert {p["value"] for p in answer["days"]["points"]} == {0}
    weeks = answer["weeks"]["points"]
    this_monday = TODAY - timedelta(days=TODAY.weekday())
    first_monday = this_monday - timedelta(weeks=390)
    assert weeks[0]["time"][:10] == first_monday.isoformat()
    assert weeks[-1]["time"][:10] == this_monday.isoformat()  # none in the future
    assert len(weeks) == 391
    assert all(datetime.fromisoformat(p["time"]).weekday() == 0 for p in weeks)  # Mondays
