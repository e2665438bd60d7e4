"""Admin analytics over GraphQL: the figures follow subscription and payment events (on the
embedded default's SQLite series and on MariaDB with a real InfluxDB), equal a recount from
the shards, survive duplicate delivery and an unreachable series store, and bad input and
non-admins get typed errors."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from datasources.analytics.influx_series import InfluxSeriesStore
from datasources.backends import Backends
from jobs.consumers.analytics import AnalyticsConsumer
from records.events import EventKind
from tests.analytics.scenario import (
    FIELDS,
    SERIES,
    TODAY,
    ask,
    follow,
    recount_active,
    scenario,
    today_series,
    today_value,
)
from tests.conftest import graphql, token_for
from tests.factories import add_course
from tests.graphql_flows import CANCEL, ENROLL


async def test_the_figures_follow_the_events_and_equal_a_recount(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    free_id, paid_id = await scenario(client, backends)
    analytics = AnalyticsConsumer(backends)
    await analytics.start()
    events = await follow(backends, analytics)
    assert {EventKind.ORDER_PAID, EventKind.ORDER_REFUNDED} <= {e.kind for e in events}

    answer = await ask(
        client,
        f"""
        enrolments: {today_series("activity", ", activity: ENROLMENTS")}
        newSubscriptions: {today_series("activity", ", activity: NEW_SUBSCRIPTIONS")}
        cancellations: {today_series("activity", ", activity: CANCELLATIONS")}
        purchases: {today_series("activity", f', activity: PURCHASES, courseId: "{paid_id}"')}
        refunds: {today_series("activity", ", activity: REFUNDS, category: SPEED_BUILDING")}
        revenue: {today_series("revenue")}
        paidRevenue: {today_series("revenue", f', courseId: "{paid_id}"')}
        codingRevenue: {today_series("revenue", ", category: CODING")}
        active: {today_series("activeSubscriptions")}
        activeFree: {today_series("activeSubscriptions", f', courseId: "{free_id}"')}
        activePaid: {today_series("activeSubscriptions", ", category: SPEED_BUILDING")}
        popularCourses(window: WEEK, first: 5) {{
            ... on PopularCourseList {{ items {{ course {{ id }} newSubscriptions }} }} }}
        """,
    )

    figures = {name: today_value(series) for name, series in answer.items() if "points" in series}
    active = await recount_active(backends)
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
    again = await ask(client, f"revenue: {today_series('revenue')}")
    assert today_value(again["revenue"]) == 49_900


async def test_the_expiration_forecast_counts_active_access_by_its_last_day(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends, price_paise=0, validity_days=3)
    for user_id in (51, 52, 53):
        await graphql(client, ENROLL, {"c": str(course.id)}, token_for(user_id))
    await graphql(client, CANCEL, {"c": str(course.id)}, token_for(53))
    await follow(backends, AnalyticsConsumer(backends))

    answer = await ask(client, f"expirationForecast(days: 7) {{ {SERIES} }}")

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
    await follow(backends, analytics)  # the tick fails to export, and says so in the log

    down = await ask(client, today_series("activity", ", activity: ENROLMENTS"))
    assert down["activity"]["__typename"] == "AnalyticsUnavailable"
    served = await graphql(client, "{ courses { edges { node { id } } } }")
    assert [e["node"]["id"] for e in served["data"]["courses"]["edges"]] == [str(course.id)]
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "degraded"
    assert ready.json()["events"]["export:analytics"] > 0  # the counts wait for the store
    await backends.analytics.close()

    backends.analytics = working
    await analytics.tick()  # the store is back: the kept counts are exported
    assert (await client.get("/readyz")).json()["events"]["export:analytics"] == 0
    up = await ask(client, today_series("activity", ", activity: ENROLMENTS"))
    assert today_value(up["activity"]) == 1


async def test_only_admins_get_analytics_and_before_any_argument_is_read(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    bad_range = (
        'activity(activity: ENROLMENTS, from: "2026-02-01", to: "2026-01-01") { __typename }'
    )
    assert (await ask(client, bad_range, token_for(5)))["__typename"] == "Forbidden"
    assert (await ask(client, bad_range, None))["__typename"] == "Unauthenticated"


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
    answer = await ask(client, f"result: {selection} {{ __typename {FIELDS} }}")
    assert answer["result"] == {"__typename": "InvalidInput", "field": field}


async def test_a_bad_first_for_popular_courses_is_invalid_input(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    answer = await ask(client, f"popularCourses(first: 0) {{ __typename {FIELDS} }}")
    assert answer["popularCourses"] == {"__typename": "InvalidInput", "field": "first"}


async def test_a_year_of_days_and_years_of_weeks_are_accepted_up_totoday_series(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    year_ago = (TODAY - timedelta(days=365)).isoformat()
    weeks_ago = (TODAY - timedelta(weeks=390)).isoformat()
    answer = await ask(
        client,
        f"""days: activeSubscriptions(from: "{year_ago}", to: "{TODAY}") {{ {SERIES} }}
        weeks: revenue(from: "{weeks_ago}", to: "{TODAY + timedelta(days=30)}", interval: WEEK)
            {{ {SERIES} }}""",
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
