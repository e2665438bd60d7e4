"""The planned executor against graphql-core's, the reference (`schema/execution/`): the same
document, variables and caller through both, on both backends, must give the same data, the
same errors (message, path, locations, extensions, in the same order) and the same
extensions, partial results included.

Documents: the benchmarks' and the home screen's, hand-written ones for what a plan works out
(fragments on objects and unions, aliases, merged fields, `@skip`/`@include` from variables,
`__typename`, nested lists, arguments as literals and as variables), and queries generated
from the schema (hypothesis-graphql, over the fuzzing module's seeded data). A document the
plan does not cover must say so in `coursegate_graphql_reference_executions_total`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis_graphql import strategies as gql_st
from prometheus_client import REGISTRY
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from bench import cold, operations
from datasources.backends import Backends
from loaders import Loaders
from resolvers.auth import Principal
from resolvers.context import RequestContext
from schema import build_schema
from schema.error_log import ErrorLoggingSchema
from tests.test_schema_fuzzing import (
    _FUZZ_SETTINGS,
    ADMIN_ID,
    SDL,
    USER_ID,
    Seeded,
    _as_variables,
    _scalars,
    seeded,
)

__all__ = ["seeded"]  # the fuzzing module's fixture, used here

PLANNED = build_schema()
REFERENCE = build_schema(executor=StrawberryGraphQLCoreExecutionContext)
CALLERS = {
    "anonymous": None,
    "user": Principal(USER_ID),
    "admin": Principal(ADMIN_ID, is_admin=True),
}
NOW = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
EMBEDDED_EXAMPLES = 200
MARIADB_EXAMPLES = 100

COURSE_CARD = (
    "fragment CourseCard on Course { id title category difficulty price validityDays isFree }"
)
DOCUMENTS: dict[str, tuple[str, dict[str, Any]]] = {
    "catalog": (operations.CATALOG_QUERY, {}),
    "details": (operations.DETAILS_QUERY, {"id": "1"}),
    "subscriptions": (operations.SUBSCRIPTIONS_QUERY, {}),
    "recommendations": (operations.RECOMMENDATIONS_QUERY, {}),
    "home": (cold.HOME_QUERY, {"first": 5, "prefix": "fr", "withSuggestions": True}),
    "home without suggestions": (
        cold.HOME_QUERY,
        {"first": 3, "prefix": "fr", "withSuggestions": False},
    ),
    "fragments, aliases and merged fields": (
        "query { first: courses(first: 2) { edges { node { ...CourseCard id"
        " ... on Course { slug title } } cursor } pageInfo { hasNextPage endCursor } }"
        " again: courses(first: 1) { edges { node { __typename t: title title } } } }"
        f" {COURSE_CARD}",
        {},
    ),
    "skip and include from variables": (
        "query ($a: Boolean!, $b: Boolean!) { courses(first: 3) { edges { node {"
        " id title @include(if: $a) slug @skip(if: $b) ... on Course @include(if: $b)"
        " { price } } } } }",
        {"a": False, "b": True},
    ),
    "arguments as variables and nested lists": (
        "query ($first: Int!, $slug: String!) { courses(first: $first) { edges { node {"
        " id tags lessons(first: 2) { edges { node { id title } } }"
        " similar(first: 2) { id similar(first: 1) { id } } } } }"
        " bySlug: course(slug: $slug) { id title } categories { category courseCount } }",
        {"first": 4, "slug": "free-touch"},
    ),
    "a signed-in user's lists": (
        "{ me { __typename subscriptions(first: 5, status: ALL) { edges { node { id state"
        " daysLeft expiresAt course { ...CourseCard } } } pageInfo { hasNextPage } }"
        " expiringSubscriptions(withinDays: 30, first: 5) { edges { node { id } } } } }"
        f" {COURSE_CARD}",
        {},
    ),
    "unions": (
        "{ courses(first: 2) { edges { node { id lessons(first: 2) { edges { node { id"
        " exercises { __typename ... on ExerciseList { items { id } }"
        " ... on NotEntitled { message } } } } } } } } }",
        {},
    ),
}


@pytest.fixture
def no_new_fallbacks() -> Iterator[None]:
    before = _reference_executions()
    yield
    assert _reference_executions() == before, "a query the plan covers ran through graphql-core"


def _reference_executions() -> float:
    total = 0.0
    for metric in REGISTRY.collect():
        if metric.name == "coursegate_graphql_reference_executions":
            total += sum(s.value for s in metric.samples if s.name.endswith("_total"))
    return total


async def _answer(
    schema: ErrorLoggingSchema,
    backends: Backends,
    document: str,
    variables: dict[str, Any],
    principal: Principal | None,
) -> dict[str, Any]:
    context = RequestContext(
        backends=backends,
        loaders=Loaders.for_request(backends, None if principal is None else principal.user_id),
        principal=principal,
        request_id="differential",
        client="test",
        now=NOW,
    )
    result = await schema.execute(document, variable_values=variables, context_value=context)
    return {
        "data": result.data,
        "errors": [error.formatted for error in result.errors or ()],
        "extensions": result.extensions,
        "context extensions": context.extensions,
    }


async def _assert_same(backends: Backends, document: str, variables: dict[str, Any]) -> None:
    for caller, principal in CALLERS.items():
        reference = await _answer(REFERENCE, backends, document, variables, principal)
        planned = await _answer(PLANNED, backends, document, variables, principal)
        assert planned == reference, f"as {caller}:\n{document}\nvariables: {variables}"


@pytest.mark.parametrize("name", DOCUMENTS)
async def test_documents_answer_the_same_through_the_plan(
    backends: Backends, seeded: Seeded, no_new_fallbacks: None, name: str
) -> None:
    document, variables = DOCUMENTS[name]
    await _assert_same(backends, document, variables)
    answer = await _answer(PLANNED, backends, document, variables, CALLERS["user"])
    assert answer["data"], "the document answered nothing: it tests nothing"


async def test_a_failing_read_nulls_the_same_fields(
    backends: Backends, seeded: Seeded, no_new_fallbacks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Partial results: a course read that fails nulls each field that needed it (or the
    nearest nullable one above it) with the same errors, through both executors."""

    async def failing_get_courses(course_ids: list[int]) -> list[Any]:
        raise RuntimeError("the catalog read failed")

    monkeypatch.setattr(backends.catalog, "get_courses", failing_get_courses)
    # Nothing at hand in the snapshot either: every course is read, and the read fails.
    monkeypatch.setattr(backends.catalog, "held_now", lambda course_id: None)
    for name in ("subscriptions", "a signed-in user's lists", "details", "home"):
        document, variables = DOCUMENTS[name]
        await _assert_same(backends, document, variables)
    answer = await _answer(PLANNED, backends, *DOCUMENTS["subscriptions"], CALLERS["user"])
    assert answer["errors"], "no read failed: the test tests nothing"


async def test_what_a_plan_does_not_cover_runs_through_graphql_core(
    backends: Backends, seeded: Seeded
) -> None:
    before = _reference_executions()
    await _assert_same(backends, "{ __schema { queryType { name } } }", {})
    await _assert_same(
        backends, '{ __type(name: "Course") { name } courses(first: 1) { edges { cursor } } }', {}
    )
    # Only the planned executor counts them: twice per caller.
    assert _reference_executions() == before + 2 * len(CALLERS)


def _generated_queries(seeded: Seeded) -> st.SearchStrategy[str]:
    return gql_st.queries(SDL, custom_scalars=_scalars(seeded))


async def _differential(backends: Backends, seeded: Seeded, data: st.DataObject) -> None:
    document = data.draw(_generated_queries(seeded), label="document")
    variables: dict[str, Any] = {}
    if data.draw(st.booleans(), label="as variables"):
        document, variables = _as_variables(document)
    await _assert_same(backends, document, variables)


@pytest.mark.parametrize("settings", ["embedded"], indirect=True)
@hypothesis_settings(_FUZZ_SETTINGS, max_examples=EMBEDDED_EXAMPLES)
@given(data=st.data())
async def test_generated_queries_embedded(
    backends: Backends, seeded: Seeded, no_new_fallbacks: None, data: st.DataObject
) -> None:
    await _differential(backends, seeded, data)


@pytest.mark.parametrize("settings", ["mariadb"], indirect=True)
@hypothesis_settings(_FUZZ_SETTINGS, max_examples=MARIADB_EXAMPLES)
@given(data=st.data())
async def test_generated_queries_mariadb(
    backends: Backends, seeded: Seeded, no_new_fallbacks: None, data: st.DataObject
) -> None:
    await _differential(backends, seeded, data)


async def test_each_set_of_skip_and_include_values_is_planned_for_itself(
    backends: Backends, seeded: Seeded, no_new_fallbacks: None
) -> None:
    """A plan holds for the values its `@skip`/`@include` read: the same document with the
    other values must not be answered from the first one's plan."""
    document, _ = DOCUMENTS["skip and include from variables"]
    selected: set[tuple[str, ...]] = set()
    for a in (False, True):
        for b in (False, True):
            variables = {"a": a, "b": b}
            await _assert_same(backends, document, variables)
            answer = await _answer(PLANNED, backends, document, variables, None)
            node = answer["data"]["courses"]["edges"][0]["node"]
            selected.add(tuple(node))
    assert len(selected) == 4, selected
