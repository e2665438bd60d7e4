"""The anonymous response cache returns what the normal path returns, follows catalog
writes, and never holds or serves a signed-in user's data."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY

from datasources.backends import Backends
from http_api.response_caches.catalog import Kind, operation_kind
from tests.conftest import graphql, token_for
from tests.factories import add_course, add_courses

PAGE = "{ courses(first: 5) { edges { node { id title price isFree } } pageInfo { hasNextPage } } }"
DETAILS = "query D($id: ID!) { course(id: $id) { id slug title tags validityDays } }"
MY_COURSES = "{ me { userId subscriptions { edges { node { courseId course { title } } } } } }"
ENROLL = "mutation E($id: ID!) { enroll(courseId: $id) { __typename } }"
UPDATE = """mutation U($id: ID!, $input: UpdateCourseInput!) {
  updateCourse(id: $id, input: $input) { __typename } }"""
ADMIN = token_for(1, admin=True)


def _response_hits() -> float:
    return (
        REGISTRY.get_sample_value(
            "coursegate_cache_lookups_total", {"keyspace": "response", "result": "hit"}
        )
        or 0.0
    )


async def test_cached_answers_equal_the_normal_path(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    courses = await add_courses(backends, 8)
    cases: list[tuple[str, dict[str, Any] | None]] = [
        (PAGE, None),
        (DETAILS, {"id": str(courses[3].id)}),
        ("{ categories { category courseCount } }", None),
    ]
    for query, variables in cases:
        hits_before = _response_hits()
        first = await graphql(client, query, variables)
        second = await graphql(client, query, variables)
        assert _response_hits() == hits_before + 1
        # A signed-in request never uses the cache: it is the normal path.
        normal = await graphql(client, query, variables, token_for(99))
        assert first == second == normal
        assert "errors" not in first


async def test_a_catalog_write_shows_at_once(client: httpx.AsyncClient, backends: Backends) -> None:
    course = await add_course(backends, title="Old Title")
    variables = {"id": str(course.id)}
    assert (await graphql(client, DETAILS, variables))["data"]["course"]["title"] == "Old Title"
    await graphql(client, DETAILS, variables)
    changed = await graphql(
        client, UPDATE, {"id": str(course.id), "input": {"title": "New"}}, ADMIN
    )
    assert changed["data"]["updateCourse"]["__typename"] == "CoursePayload"
    assert (await graphql(client, DETAILS, variables))["data"]["course"]["title"] == "New"
    listed = await graphql(client, PAGE)
    assert [e["node"]["title"] for e in listed["data"]["courses"]["edges"]] == ["New"]


async def test_errors_are_not_cached(client: httpx.AsyncClient, backends: Backends) -> None:
    hits_before = _response_hits()
    for _ in range(2):
        body = await graphql(client, DETAILS, {"id": "not-a-number"})
        assert body["errors"]
    assert _response_hits() == hits_before


async def test_users_never_see_each_others_subscriptions(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    first, second = await add_courses(backends, 2, price_paise=0)
    await graphql(client, ENROLL, {"id": str(first.id)}, token_for(101))
    await graphql(client, ENROLL, {"id": str(second.id)}, token_for(202))
    hits_before = _response_hits()
    for _ in range(2):
        mine = await graphql(client, MY_COURSES, token=token_for(101))
        theirs = await graphql(client, MY_COURSES, token=token_for(202))
        anonymous = await graphql(client, MY_COURSES)
        assert mine["data"]["me"]["userId"] == "101"
        assert [e["node"]["courseId"] for e in mine["data"]["me"]["subscriptions"]["edges"]] == [
            str(first.id)
        ]
        assert [e["node"]["courseId"] for e in theirs["data"]["me"]["subscriptions"]["edges"]] == [
            str(second.id)
        ]
        assert anonymous["data"] is None and anonymous["errors"]
    assert _response_hits() == hits_before


async def test_a_bad_token_is_refused_even_for_a_cached_body(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    await add_course(backends)
    await graphql(client, PAGE)
    await graphql(client, PAGE)
    response = await client.post(
        "/graphql", json={"query": PAGE, "variables": {}}, headers={"authorization": "Bearer x"}
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("query", "operation_name", "kind"),
    [
        (PAGE, None, Kind.PUBLIC_QUERY),
        ("query A { courses { edges { cursor } } }", "A", Kind.PUBLIC_QUERY),
        ("query A { courses { edges { cursor } } }", "B", Kind.OTHER),
        (MY_COURSES, None, Kind.OTHER),
        ("{ courses { edges { cursor } } me { userId } }", None, Kind.OTHER),
        ("{ ...F } fragment F on Query { me { userId } }", None, Kind.OTHER),
        (
            "query A { courses { pageInfo { hasNextPage } } } query B { me { userId } }",
            "A",
            Kind.OTHER,
        ),
        (ENROLL, None, Kind.MUTATION),
        ("{ courses(", None, Kind.OTHER),
    ],
)
def test_only_public_catalog_queries_are_cacheable(
    query: str, operation_name: str | None, kind: Kind
) -> None:
    assert operation_kind(query, operation_name) is kind
