"""My subscriptions, enrolment and cancellation over HTTP, with auth and cache behaviour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest

from datasources.backends import Backends
from records.subscriptions import NewSubscription
from resolvers.auth import issue_token
from tests.conftest import JWT_SECRET, graphql, token_for
from tests.factories import add_course, add_courses

MY_SUBSCRIPTIONS = """query Mine($status: SubscriptionStatusFilter!, $first: Int!, $after: String) {
  me { subscriptions(status: $status, first: $first, after: $after) {
    edges { cursor node {
      courseId course { id title } enrolledAt expiresAt isActive daysLeft state
    } }
    pageInfo { hasNextPage endCursor }
  } }
}"""
ENROLL = """mutation Enroll($id: ID!) { enroll(courseId: $id) {
  __typename
  ... on EnrollSuccess { subscription { courseId enrolledAt expiresAt isActive daysLeft } }
  ... on UserError { message }
  ... on InvalidInput { field }
} }"""
CANCEL = """mutation Cancel($id: ID!) { cancelSubscription(courseId: $id) {
  __typename ... on CancelSuccess { subscription { state isActive } } ... on UserError { message }
} }"""


async def _mine(
    client: httpx.AsyncClient, user: int, status: str = "ALL", first: int = 50
) -> list[dict[str, Any]]:
    body = await graphql(
        client, MY_SUBSCRIPTIONS, {"status": status, "first": first}, token_for(user)
    )
    assert "errors" not in body, body
    return [edge["node"] for edge in body["data"]["me"]["subscriptions"]["edges"]]


async def test_enrol_in_a_free_course_sets_expiry_from_validity(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    limited = await add_course(backends, validity_days=30)
    lifetime = await add_course(backends, validity_days=None)
    body = await graphql(client, ENROLL, {"id": str(limited.id)}, token_for(7))
    subscription = body["data"]["enroll"]["subscription"]
    enrolled = datetime.fromisoformat(subscription["enrolledAt"])
    assert datetime.fromisoformat(subscription["expiresAt"]) - enrolled == timedelta(days=30)
    assert (subscription["isActive"], subscription["daysLeft"]) == (True, 30)
    body = await graphql(client, ENROLL, {"id": str(lifetime.id)}, token_for(7))
    subscription = body["data"]["enroll"]["subscription"]
    assert (subscription["expiresAt"], subscription["daysLeft"]) == (None, None)


async def test_enrolment_problems_are_typed_and_write_nothing(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    free = await add_course(backends)
    paid = await add_course(backends, price_paise=49900)
    hidden = await add_course(backends, is_active=False)
    await graphql(client, ENROLL, {"id": str(free.id)}, token_for(8))
    cases = {
        str(free.id): "AlreadySubscribed",
        str(paid.id): "PaymentRequired",
        str(hidden.id): "NotFound",
        "424242": "NotFound",
        "x1": "InvalidInput",
        "-3": "InvalidInput",
    }
    for course_id, typename in cases.items():
        body = await graphql(client, ENROLL, {"id": course_id}, token_for(8))
        assert body["data"]["enroll"]["__typename"] == typename, course_id
    anonymous = await graphql(client, ENROLL, {"id": str(free.id)})
    assert anonymous["data"]["enroll"]["__typename"] == "Unauthenticated"
    assert [s["courseId"] for s in await _mine(client, 8)] == [str(free.id)]


async def test_reads_after_writes_see_every_change(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    first, second = await add_courses(backends, 2)
    assert await _mine(client, 9) == []  # cached empty list
    await graphql(client, ENROLL, {"id": str(first.id)}, token_for(9))
    assert [s["courseId"] for s in await _mine(client, 9, "ACTIVE")] == [str(first.id)]
    await graphql(client, ENROLL, {"id": str(second.id)}, token_for(9))
    assert len(await _mine(client, 9, "ACTIVE")) == 2
    body = await graphql(client, CANCEL, {"id": str(first.id)}, token_for(9))
    assert body["data"]["cancelSubscription"]["subscription"] == {
        "state": "CANCELLED",
        "isActive": False,
    }
    assert [s["courseId"] for s in await _mine(client, 9, "ACTIVE")] == [str(second.id)]
    assert [s["state"] for s in await _mine(client, 9, "EXPIRED")] == ["CANCELLED"]
    again = await graphql(client, CANCEL, {"id": str(first.id)}, token_for(9))
    assert again["data"]["cancelSubscription"]["__typename"] == "NotFound"
    # A cancelled course can be taken again.
    body = await graphql(client, ENROLL, {"id": str(first.id)}, token_for(9))
    assert body["data"]["enroll"]["__typename"] == "EnrollSuccess"
    assert len(await _mine(client, 9, "ACTIVE")) == 2


async def test_status_filters_and_pages_of_my_subscriptions(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    courses = await add_courses(backends, 12)
    now = datetime.now(UTC)
    await backends.uncached_subscriptions.bulk_insert(
        [
            NewSubscription(
                11,
                course.id,
                now - timedelta(days=40 + i),
                now - timedelta(days=1) if i % 3 == 0 else now + timedelta(days=5),
                "test",
            )
            for i, course in enumerate(courses)
        ]
    )
    assert len(await _mine(client, 11, "EXPIRED")) == 4
    assert len(await _mine(client, 11, "ACTIVE")) == 8
    seen, after = [], None
    while True:
        body = await graphql(
            client,
            MY_SUBSCRIPTIONS,
            {"status": "ALL", "first": 5, "after": after},
            token_for(11),
        )
        connection = body["data"]["me"]["subscriptions"]
        seen += [edge["node"] for edge in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    enrolled = [datetime.fromisoformat(s["enrolledAt"]) for s in seen]
    assert len(seen) == 12 and enrolled == sorted(enrolled, reverse=True)
    assert all(s["course"]["id"] == s["courseId"] for s in seen)


async def test_a_page_of_subscriptions_costs_one_catalog_read_at_most(
    client: httpx.AsyncClient, backends: Backends, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Courses the snapshot holds cost no read; those it does not are read in one batch."""
    courses = await add_courses(backends, 15)
    now = datetime.now(UTC)
    await backends.uncached_subscriptions.bulk_insert(
        [NewSubscription(12, c.id, now, None, "test") for c in courses]
    )
    calls: list[list[int]] = []
    original = backends.catalog.get_courses

    async def counting(ids):  # type: ignore[no-untyped-def]
        calls.append(list(ids))
        return await original(ids)

    monkeypatch.setattr(backends.catalog, "get_courses", counting)
    await backends.catalog.catch_up()  # no check of the snapshot falls due within the request
    nodes = await _mine(client, 12, first=15)
    assert len(nodes) == 15 and all(n["course"] for n in nodes)
    assert calls == []  # the snapshot held them all (add_courses waits for it)
    monkeypatch.setattr(backends.catalog, "held_now", lambda course_id: None)
    # Another body (the response cache kept the first answer): it is executed.
    assert await _mine(client, 12, first=16) == nodes
    assert len(calls) == 1 and sorted(calls[0]) == sorted(c.id for c in courses)


async def test_me_needs_a_valid_token(client: httpx.AsyncClient) -> None:
    body = await graphql(client, "{ me { userId } }")
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    now = datetime.now(UTC)
    bad_tokens = {
        "garbage": "malformed",
        issue_token("another-secret-of-sufficient-length!!", 1): "signature",
        issue_token(JWT_SECRET, 1, ttl=timedelta(seconds=-5)): "expired",
        jwt.encode({"sub": "abc", "exp": now + timedelta(hours=1)}, JWT_SECRET): "subject",
        jwt.encode({"sub": "1"}, JWT_SECRET): "malformed",
        jwt.encode({"sub": "1", "exp": now + timedelta(hours=1)}, JWT_SECRET, "HS512"): "",
    }
    for token, reason in bad_tokens.items():
        body = await graphql(client, "{ me { userId } }", token=token, expect_status=401)
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert reason in body["errors"][0]["message"]
    response = await client.post(
        "/graphql", json={"query": "{ me { userId } }"}, headers={"authorization": "Basic abc"}
    )
    assert response.status_code == 401
    assert (await graphql(client, "{ me { userId } }", token=token_for(5)))["data"] == {
        "me": {"userId": "5"}
    }
