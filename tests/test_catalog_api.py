"""The catalog over HTTP: pages, filters, details, categories and bad input."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx

from datasources.backends import Backends
from records.catalog import Category, Difficulty
from tests.conftest import graphql, token_for
from tests.factories import add_course, add_courses

PAGE = """query Page($first: Int!, $after: String, $filter: CourseFilterInput) {
  courses(first: $first, after: $after, filter: $filter) {
    edges { cursor node { id title category difficulty language isActive } }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def _all_pages(
    client: httpx.AsyncClient, first: int, **variables: object
) -> list[dict[str, Any]]:
    nodes, after = [], None
    while True:
        body = await graphql(client, PAGE, {"first": first, "after": after, **variables})
        connection = body["data"]["courses"]
        nodes += [edge["node"] for edge in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            return nodes
        after = connection["pageInfo"]["endCursor"]


async def test_pages_cover_every_active_course_once_in_a_stable_order(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    created = await add_courses(backends, 23)
    await add_course(backends, is_active=False)
    nodes = await _all_pages(client, first=5)
    assert [n["id"] for n in nodes] == [str(c.id) for c in created]
    assert await _all_pages(client, first=5) == nodes


async def test_filters_narrow_the_list(client: httpx.AsyncClient, backends: Backends) -> None:
    await add_courses(backends, 3, category=Category.CODING, language="hi")
    await add_courses(backends, 2, category=Category.CODING, difficulty=Difficulty.ADVANCED)
    await add_courses(backends, 4)
    coding = await _all_pages(client, 10, filter={"category": "CODING"})
    assert len(coding) == 5 and {n["category"] for n in coding} == {"CODING"}
    hindi = await _all_pages(client, 10, filter={"category": "CODING", "language": "hi"})
    assert len(hindi) == 3
    advanced = await _all_pages(client, 10, filter={"difficulty": "ADVANCED"})
    assert len(advanced) == 2


async def test_inactive_courses_are_listed_for_admins_only(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    await add_course(backends, is_active=False)
    query = "{ courses(filter: {activeOnly: false}) { edges { node { isActive } } } }"
    anonymous = await graphql(client, query)
    assert anonymous["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    admin = await graphql(client, query, token=token_for(1, admin=True))
    assert [e["node"]["isActive"] for e in admin["data"]["courses"]["edges"]] == [False]


async def test_course_by_id_and_by_slug_return_all_details(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(
        backends, tags=("python", "wpm-60"), price_paise=49900, validity_days=None
    )
    fields = (
        "id slug title description category difficulty language tags price currency isFree"
        " validityDays createdAt"
    )
    by_id = await graphql(client, f'{{ course(id: "{course.id}") {{ {fields} }} }}')
    by_slug = await graphql(client, f'{{ course(slug: "{course.slug}") {{ {fields} }} }}')
    assert by_id["data"]["course"] == by_slug["data"]["course"]
    details = by_id["data"]["course"]
    assert details["tags"] == ["python", "wpm-60"]
    assert (details["price"], details["isFree"], details["validityDays"]) == (49900, False, None)


async def test_unknown_and_inactive_courses_read_as_null(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    hidden = await add_course(backends, is_active=False)
    for course_id in ("999999", str(hidden.id)):
        body = await graphql(client, f'{{ course(id: "{course_id}") {{ id }} }}')
        assert body == {"data": {"course": None}}


async def test_categories_count_active_courses(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    await add_courses(backends, 3, category=Category.KIDS)
    await add_courses(backends, 2, category=Category.ACCURACY)
    await add_course(backends, category=Category.KIDS, is_active=False)
    body = await graphql(client, "{ categories { category courseCount } }")
    counts = Counter({c["category"]: c["courseCount"] for c in body["data"]["categories"]})
    assert counts == Counter({"KIDS": 3, "ACCURACY": 2})


async def test_bad_input_gets_a_clear_error_not_a_500(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    await add_courses(backends, 2)
    cases = {
        "{ courses(first: 101) { edges { cursor } } }": "between 1 and 100",
        "{ courses(first: 0) { edges { cursor } } }": "between 1 and 100",
        '{ courses(after: "not-a-cursor") { edges { cursor } } }': "cursor",
        '{ courses(after: "c3ViOjE6Mg") { edges { cursor } } }': "cursor",
        '{ course(id: "abc") { id } }': "positive integer",
        '{ course(id: "-4") { id } }': "positive integer",
        '{ course(id: "99999999999999999999999") { id } }': "positive integer",
        '{ course(id: "1", slug: "x") { id } }': "exactly one",
        "{ course { id } }": "exactly one",
        '{ courses(filter: {language: "english"}) { edges { cursor } } }': "ISO 639-1",
        "{ courses(filter: {category: CHESS}) { edges { cursor } } }": "CHESS",
        "{ courses { edges { nope } } }": "nope",
    }
    for query, expected in cases.items():
        body = await graphql(client, query)
        assert body["errors"], query
        assert expected in body["errors"][0]["message"], (query, body)
        assert "Traceback" not in str(body)


async def test_malformed_requests_are_400_with_a_graphql_error(client: httpx.AsyncClient) -> None:
    for content in (
        b"{not json",
        b"[]",
        b'{"query": 5}',
        b'{"query": "{ categories { category } }", "variables": []}',
    ):
        response = await client.post(
            "/graphql", content=content, headers={"content-type": "application/json"}
        )
        assert response.status_code == 400
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
