"""A request's estimated cost (schema/query_cost.py) and its limit (schema/demand_control.py): what
the estimate counts, that every list of the schema says its size, and over HTTP on both
backends that a request over the limit is refused with its figures before anything runs."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLUnionType,
    get_named_type,
    get_nullable_type,
    is_composite_type,
    is_list_type,
    parse,
)

from datasources.backends import Backends
from gateway import create_app
from http_api.graphql_over_http import GRAPHQL_RESPONSE_MEDIA_TYPE
from schema import build_schema
from schema.demand_control import KnownCosts
from schema.query_cost import MAX_COST, MUTATION_COST, query_cost
from settings import Settings
from tests.conftest import graphql, token_for
from tests.db_state import written
from tests.factories import add_course
from tests.graphql_flows import ENROLL

SCHEMA = build_schema()._schema
COSTS = query_cost(SCHEMA)
COURSES = "query($n: Int) { courses(first: $n) { edges { node { id title } } } }"


def estimate(
    document: str, variables: dict[str, Any] | None = None, name: str | None = None
) -> int:
    return COSTS.estimate(parse(document), name, variables or {})


def test_a_connection_costs_its_edges_times_the_first_asked_for() -> None:
    # The connection (1) and, per edge, the edge (1) and its course (1); scalars are free.
    assert estimate(COURSES, {"n": 7}) == 1 + 7 * 2
    assert estimate("{ courses(first: 3) { edges { node { id } } } }") == 1 + 3 * 2
    # Left out, `first` counts at its default (20); a variable's own default comes first.
    assert estimate("{ courses { edges { node { id } } } }") == 1 + 20 * 2
    assert estimate(COURSES.replace("$n: Int", "$n: Int = 4")) == 1 + 4 * 2
    assert estimate(COURSES.replace("$n: Int", "$n: Int = 4"), {"n": 9}) == 1 + 9 * 2


def test_nested_lists_multiply() -> None:
    document = """query($n: Int!, $m: Int!) { courses(first: $n) { edges { node {
        lessons(first: $m) { edges { node { id title } } } } } } }"""
    assert estimate(document, {"n": 10, "m": 5}) == 1 + 10 * (2 + (1 + 5 * 2))
    assert estimate(document, {"n": 100, "m": 100}) == 1 + 100 * (2 + (1 + 100 * 2))


def test_an_estimate_past_what_json_carries_exactly_is_capped() -> None:
    nested = "similar(first: 2000000000) { id }"
    for _ in range(6):
        nested = f"similar(first: 2000000000) {{ {nested} }}"
    assert estimate(f"{{ course(id: 1) {{ {nested} }} }}") == MAX_COST


def test_aliases_count_each_and_a_field_selected_twice_counts_once() -> None:
    one = estimate("{ courses(first: 5) { edges { node { id } } } }")
    aliased = """{ a: courses(first: 5) { edges { node { id } } }
        b: courses(first: 5) { edges { node { id } } } }"""
    assert estimate(aliased) == 2 * one
    merged = """{ courses(first: 5) { edges { node { id } } }
        courses(first: 5) { edges { node { title } } } }"""
    assert estimate(merged) == one


def test_fragments_count_where_they_apply_and_skip_include_follow_the_variables() -> None:
    spread = """query($skip: Boolean!) { ...Page courses(first: 2) @skip(if: $skip) {
        edges { node { id } } } }
        fragment Page on Query { courses(first: 5) { edges { node { ...Line } } } }
        fragment Line on Course { id title }"""
    assert estimate(spread, {"skip": True}) == 1 + 5 * 2
    # Not skipped, `courses` is one field selected twice (the same key): it merges, and the
    # larger `first` of the two is not what runs; the first selection's arguments are.
    assert estimate(spread, {"skip": False}) == 1 + 5 * 2
    included = """query($with: Boolean!) { courses(first: 5) { edges { node {
        lessons(first: 10) @include(if: $with) { edges { node { id } } } } } } }"""
    assert estimate(included, {"with": False}) == 1 + 5 * 2
    assert estimate(included, {"with": True}) == 1 + 5 * (2 + 1 + 10 * 2)


def test_of_a_unions_types_the_dearest_counts() -> None:
    # Lesson.exercises answers ExercisesResult = ExerciseList | NotEntitled.
    document = """{ courses(first: 1) { edges { node { lessons(first: 1) { edges { node {
        exercises { ... on ExerciseList { items { id text } } ... on NotEntitled { message } }
    } } } } } } }"""
    exercises = estimate(document) - estimate(document.replace("exercises {", "x: id #"))
    assert exercises == 1 + 20 * 1  # the union object and the 20 exercises a lesson is assumed


def test_kept_costs_follow_the_variables_they_were_read_from() -> None:
    document = """query($with: Boolean!, $m: Int) { courses(first: 5) { edges { node {
        lessons(first: $m) @include(if: $with) { edges { node { id } } } } } } }"""
    known = KnownCosts()
    parsed = parse(document)
    asked: list[dict[str, Any]] = [
        {"with": False, "m": 1},
        {"with": False, "m": 100},  # $m is not read: the kept cost answers
        {"with": True, "m": 1},
        {"with": True, "m": 100},
        {"with": True},  # $m left to its default (none: `lessons` takes its own, 50)
        {"with": True, "m": 1},
    ]
    for variables in asked:
        kept = known.of(SCHEMA, (document, None), parsed, variables)
        assert kept == estimate(document, variables), variables
    assert estimate(document, {"with": True}) == 1 + 5 * (2 + 1 + 50 * 2)
    assert len({known.of(SCHEMA, (document, None), parsed, v) for v in asked}) == 4


def test_a_mutation_costs_more_and_a_list_argument_sizes_its_answer() -> None:
    assert estimate(ENROLL, {"c": "1"}) == MUTATION_COST
    reorder = """mutation($ids: [ID!]!) { reorderLessons(courseId: "1", lessonIds: $ids) {
        ... on LessonsPayload { lessons { id } } } }"""
    assert estimate(reorder, {"ids": ["1", "2", "3"]}) == MUTATION_COST + 3
    assert estimate(reorder, {"ids": [str(n) for n in range(40)]}) == MUTATION_COST + 40


def test_engine_queries_weigh_more_than_a_batched_field() -> None:
    search = estimate('{ search(query: "a", first: 5) { edges { node { id } } } }')
    browse = estimate("{ courses(first: 5) { edges { node { id } } } }")
    assert search > browse


def test_no_operation_to_run_costs_nothing() -> None:
    assert estimate("query A { __typename } query B { __typename }") == 0
    assert estimate("query A { courses { edges { node { id } } } }", name="Missing") == 0


def test_every_list_of_objects_says_its_size() -> None:
    """So no estimate falls back to a guess: each list field has @listSize, or is the sized
    child of one that has (a connection's `edges`)."""
    sized = {
        (member.name, child)
        for (owner, name), cost in COSTS.fields.items()
        for child in cost.sized_fields
        for member in _object_types(get_named_type(_object(owner).fields[name].type))
    }
    unsized = [
        f"{owner.name}.{name}"
        for owner in SCHEMA.type_map.values()
        if isinstance(owner, GraphQLObjectType) and not owner.name.startswith("__")
        for name, field in owner.fields.items()
        if is_list_type(get_nullable_type(field.type))
        and is_composite_type(get_named_type(field.type))
        and (owner.name, name) not in COSTS.fields
        and (owner.name, name) not in sized
    ]
    assert unsized == []


def _object(name: str) -> GraphQLObjectType:
    found = SCHEMA.get_type(name)
    assert isinstance(found, GraphQLObjectType)
    return found


def _object_types(named: GraphQLNamedType) -> Sequence[GraphQLObjectType]:
    if isinstance(named, GraphQLObjectType):
        return [named]
    assert isinstance(named, GraphQLInterfaceType | GraphQLUnionType)
    return SCHEMA.get_possible_types(named)


def test_the_sdl_shows_the_weights() -> None:
    sdl = str(build_schema())
    assert "directive @listSize(" in sdl and "directive @cost(weight: Int!)" in sdl
    assert '@listSize(slicingArguments: ["first"], sizedFields: ["edges"])' in sdl


@pytest.fixture
async def limited(settings: Settings, backends: Backends) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway with a limit of 50: a page of 24 courses (49) passes, 25 (51) does not."""
    app = create_app(dataclasses.replace(settings, max_query_cost=50), backends)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
        yield http


async def test_a_request_just_over_the_limit_is_refused_with_its_figures(
    limited: httpx.AsyncClient, backends: Backends
) -> None:
    await add_course(backends, title="Cost Course")
    at_limit = await graphql(limited, COURSES, {"n": 24})
    assert "errors" not in at_limit
    assert [e["node"]["title"] for e in at_limit["data"]["courses"]["edges"]] == ["Cost Course"]
    # The same document, variables asking for more: the cost follows the variables, not a
    # cached verdict on the document.
    refused = await limited.post(
        "/graphql",
        json={"query": COURSES, "variables": {"n": 25}},
        headers={"accept": GRAPHQL_RESPONSE_MEDIA_TYPE},
    )
    assert refused.status_code == 400, refused.text
    body = refused.json()
    assert "data" not in body
    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "COST_LIMIT_EXCEEDED",
        "cost": {"estimated": 51, "limit": 50},
    }
    assert "51" in error["message"] and "50" in error["message"]
    legacy = await graphql(limited, COURSES, {"n": 25})  # application/json: 200, as specified
    assert legacy == {"errors": body["errors"]}


async def test_a_refused_mutation_changes_nothing(settings: Settings, backends: Backends) -> None:
    course = await add_course(backends, price_paise=0)
    app = create_app(dataclasses.replace(settings, max_query_cost=MUTATION_COST - 1), backends)
    before = await written(backends)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway"
    ) as http:
        refused = await graphql(http, ENROLL, {"c": str(course.id)}, token_for(7))
    assert refused["errors"][0]["extensions"]["code"] == "COST_LIMIT_EXCEEDED"
    assert await written(backends) == before


async def test_the_default_limit_admits_the_pages_frontends_ask_for(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    await add_course(backends)
    page = """query { courses(first: 100) { edges { node { id title lessons { edges { node {
        id title } } } } } } }"""
    assert "errors" not in await graphql(client, page)
    hostile = """query { courses(first: 100) { edges { node { lessons(first: 100) { edges {
        node { exercises { ... on ExerciseList { items { id } } } } } } } } } }"""
    refused = await graphql(client, hostile)
    assert refused["errors"][0]["extensions"]["code"] == "COST_LIMIT_EXCEEDED"
