"""Admin course writes: validation, authorisation, and read-after-write through the caches."""

from __future__ import annotations

from typing import Any

import httpx

from datasources.backends import Backends
from tests.conftest import graphql, token_for
from tests.factories import add_course

CREATE = """mutation Create($input: CreateCourseInput!) { createCourse(input: $input) {
  __typename ... on CoursePayload { course { id slug title validityDays } }
  ... on UserError { message } ... on InvalidInput { field }
} }"""
UPDATE = """mutation Update($id: ID!, $input: UpdateCourseInput!) {
  updateCourse(id: $id, input: $input) {
  __typename ... on CoursePayload { course { id title price isActive validityDays } }
  ... on UserError { message } ... on InvalidInput { field }
} }"""
ADMIN = token_for(1, admin=True)


def _input(**overrides: Any) -> dict[str, Any]:
    return {
        "slug": "python-speed",
        "title": "Python Speed Typing",
        "description": "Type Python code fast.",
        "category": "CODING",
        "difficulty": "INTERMEDIATE",
        "language": "en",
        "tags": ["python"],
        "pricePaise": 49900,
        "validityDays": 365,
        **overrides,
    }


async def _course_count(backends: Backends) -> int:
    return await backends.uncached_catalog.count_courses()


async def test_admin_creates_a_course_that_lists_at_once(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    listed_before = await graphql(client, "{ courses { edges { node { id } } } }")
    assert listed_before["data"]["courses"]["edges"] == []
    body = await graphql(client, CREATE, {"input": _input()}, ADMIN)
    course = body["data"]["createCourse"]["course"]
    assert (course["slug"], course["validityDays"]) == ("python-speed", 365)
    listed = await graphql(client, "{ courses { edges { node { id } } } }")
    assert [e["node"]["id"] for e in listed["data"]["courses"]["edges"]] == [course["id"]]


async def test_invalid_course_input_names_the_field_and_writes_nothing(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    await add_course(backends, slug="taken-slug")
    cases = {
        "slug": _input(slug="Not A Slug"),
        "title": _input(title="ab"),
        "pricePaise": _input(pricePaise=-1),
        "validityDays": _input(validityDays=0),
        "language": _input(language="eng"),
        "tags": _input(tags=["Bad Tag"]),
        "currency": _input(currency="XYZ"),
    }
    cases_with_duplicate = {**cases, "slug-duplicate": _input(slug="taken-slug")}
    for field, course_input in cases_with_duplicate.items():
        body = await graphql(client, CREATE, {"input": course_input}, ADMIN)
        result = body["data"]["createCourse"]
        assert result["__typename"] == "InvalidInput", field
        assert result["field"] == field.split("-")[0]
    too_long = await graphql(client, CREATE, {"input": _input(validityDays=3651)}, ADMIN)
    assert too_long["data"]["createCourse"]["field"] == "validityDays"
    unknown_enum = await graphql(client, CREATE, {"input": _input(category="CHESS")}, ADMIN)
    assert "CHESS" in unknown_enum["errors"][0]["message"]
    assert await _course_count(backends) == 1


async def test_only_admins_write_courses(client: httpx.AsyncClient, backends: Backends) -> None:
    course = await add_course(backends)
    user = await graphql(client, CREATE, {"input": _input()}, token_for(2))
    assert user["data"]["createCourse"]["__typename"] == "Forbidden"
    anonymous = await graphql(client, UPDATE, {"id": str(course.id), "input": {"title": "New"}})
    assert anonymous["data"]["updateCourse"]["__typename"] == "Unauthenticated"
    update = await graphql(
        client, UPDATE, {"id": str(course.id), "input": {"title": "Hacked"}}, token_for(2)
    )
    assert update["data"]["updateCourse"]["__typename"] == "Forbidden"
    assert (await backends.uncached_catalog.get_courses([course.id]))[
        course.id
    ].title == course.title
    assert await _course_count(backends) == 1


async def test_updates_are_seen_by_the_next_read(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends, validity_days=30)
    details = f'{{ course(id: "{course.id}") {{ title price validityDays }} }}'
    assert (await graphql(client, details))["data"]["course"]["title"] == course.title  # cached
    body = await graphql(
        client,
        UPDATE,
        {
            "id": str(course.id),
            "input": {"title": "Renamed Course", "pricePaise": 100},
        },
        ADMIN,
    )
    assert body["data"]["updateCourse"]["course"]["title"] == "Renamed Course"
    assert (await graphql(client, details))["data"]["course"] == {
        "title": "Renamed Course",
        "price": 100,
        "validityDays": 30,
    }
    await graphql(client, UPDATE, {"id": str(course.id), "input": {"isActive": False}}, ADMIN)
    assert (await graphql(client, details))["data"]["course"] is None
    listed = await graphql(client, "{ courses { edges { node { id } } } }")
    assert listed["data"]["courses"]["edges"] == []


async def test_validity_changes_only_through_change_course_validity(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    """updateCourse would change the course without re-deriving any subscription's expiry."""
    course = await add_course(backends, validity_days=30)
    for validity in (90, None):
        variables = {"id": str(course.id), "input": {"title": "Renamed", "validityDays": validity}}
        refused = (await graphql(client, UPDATE, variables, ADMIN))["data"]["updateCourse"]
        assert refused["__typename"] == "InvalidInput"
        assert refused["field"] == "validityDays"
        assert "changeCourseValidity" in refused["message"]
    unchanged = await backends.uncached_catalog.get_courses([course.id])
    assert (unchanged[course.id].title, unchanged[course.id].validity_days) == (course.title, 30)


async def test_update_problems(client: httpx.AsyncClient, backends: Backends) -> None:
    course = await add_course(backends)
    other = await add_course(backends)
    cases = [
        ("999999", {"title": "Whatever"}, "NotFound"),
        ("abc", {"title": "Whatever"}, "InvalidInput"),
        (str(course.id), {}, "InvalidInput"),
        (str(course.id), {"slug": other.slug}, "InvalidInput"),
        (str(course.id), {"title": None}, "InvalidInput"),
        (str(course.id), {"category": None}, "InvalidInput"),
    ]
    for course_id, changes, typename in cases:
        body = await graphql(client, UPDATE, {"id": course_id, "input": changes}, ADMIN)
        assert body["data"]["updateCourse"]["__typename"] == typename, (course_id, changes)
    unchanged = (await backends.uncached_catalog.get_courses([course.id]))[course.id]
    assert unchanged == course


async def test_null_tags_are_an_invalid_input_not_an_internal_error(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends, tags=("python",))
    body = await graphql(client, UPDATE, {"id": str(course.id), "input": {"tags": None}}, ADMIN)
    assert body["data"]["updateCourse"]["__typename"] == "InvalidInput"
    assert body["data"]["updateCourse"]["field"] == "tags"
    assert (await backends.uncached_catalog.get_courses([course.id]))[course.id].tags == ("python",)
