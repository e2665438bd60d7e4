"""What /metrics says about GraphQL requests: each request once in the latency histogram under
its operation's kind and name (response cache hits under the same labels as the miss before
them), operation names bounded, and each error of an answer or refusal once under its code."""

from __future__ import annotations

import httpx
import pytest
from graphql import parse
from prometheus_client import REGISTRY

from datasources.backends import Backends
from http_api.request_metrics import ANONYMOUS, OTHER_NAME, UNREAD, OperationLabels
from schema import build_schema
from schema.operation_kinds import ROOT_FIELD_KINDS, OperationKind, operation_kind, operation_of
from tests.conftest import token_for


def _requests(kind: str, operation: str) -> float:
    labels = {"kind": kind, "operation": operation}
    return REGISTRY.get_sample_value("coursegate_request_duration_seconds_count", labels) or 0.0


def _errors(code: str) -> float:
    return REGISTRY.get_sample_value("coursegate_graphql_errors_total", {"code": code}) or 0.0


def _kind(query: str, operation_name: str | None = None) -> OperationKind:
    document = parse(query)
    operation = operation_of(document, operation_name)
    assert operation is not None
    return operation_kind(document, operation)


def test_every_query_root_field_has_a_kind() -> None:
    query_type = build_schema()._schema.query_type
    assert query_type is not None
    assert set(query_type.fields) == set(ROOT_FIELD_KINDS)


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ("{ courses { edges { cursor } } }", OperationKind.CATALOG),
        ("{ categories { category } courses { edges { cursor } } }", OperationKind.CATALOG),
        ('{ course(slug: "a") { id } __typename }', OperationKind.DETAILS),
        ("{ me { subscriptions { edges { cursor } } } }", OperationKind.SUBSCRIPTIONS),
        ('{ search(query: "x") { totalCount } }', OperationKind.SEARCH),
        ('{ lesson(id: "1") { id } }', OperationKind.CONTENT),
        ('mutation { enroll(courseId: "1") { __typename } }', OperationKind.MUTATION),
        ("{ __typename }", OperationKind.OTHER),
        ("{ __schema { queryType { name } } }", OperationKind.OTHER),
        # A frontend's home page: root fields of several kinds, through fragments and aliases.
        (
            "query Home($signedIn: Boolean!) { page: courses { edges { cursor } }"
            " ...Mine @include(if: $signedIn) ... on Query { categories { category } } }"
            " fragment Mine on Query { me { userId } }",
            OperationKind.MIXED,
        ),
        (
            "{ ...Page } fragment Page on Query { ...List } fragment List on Query { courses {"
            " edges { cursor } } }",
            OperationKind.CATALOG,
        ),
    ],
)
def test_an_operation_has_the_kind_of_its_root_fields(query: str, kind: OperationKind) -> None:
    assert _kind(query) is kind


def test_the_operation_named_is_the_one_classified() -> None:
    query = (
        "query A { courses { edges { cursor } } } mutation B { enroll(courseId: 1) { __typename } }"
    )
    assert _kind(query, "A") is OperationKind.CATALOG
    assert _kind(query, "B") is OperationKind.MUTATION
    assert operation_of(parse(query), None) is None  # several and none named: nothing runs


def test_a_fragment_cycle_does_not_hang_the_label() -> None:
    # Labels are worked out before validation refuses the cycle.
    labels = OperationLabels()
    label = labels.of_request("{ ...A } fragment A on Query { ...A courses { total } }", None)
    assert label.kind is OperationKind.CATALOG


def test_operation_names_are_bounded_label_values() -> None:
    labels = OperationLabels(max_names=3)  # one of them is taken by the unread label
    first = labels.of_request("query First { courses { edges { cursor } } }", None)
    second = labels.of_request("query Second { courses { edges { cursor } } }", None)
    third = labels.of_request("query Third { courses { edges { cursor } } }", None)
    assert (first.name, second.name, third.name) == ("First", "Second", OTHER_NAME)
    assert labels.of_request("query First { categories { category } }", None).name == "First"
    assert labels.of_request("{ categories { category } }", None).name == OTHER_NAME
    long_name = "L" * 65
    assert OperationLabels().of_request(f"query {long_name} {{ __typename }}", None).name == (
        OTHER_NAME
    )
    assert OperationLabels().of_request("{ __typename }", None).name == ANONYMOUS
    assert OperationLabels().of_request("{ nope( ", None).name == UNREAD


def test_a_latency_counts_in_every_bucket_whose_bound_it_does_not_exceed() -> None:
    label = OperationLabels().label(OperationKind.OTHER, "BucketProbe")
    for seconds in (0.0004, 0.001, 0.0011, 0.5, 20.0):
        label.observe(seconds)
    series = {"kind": "other", "operation": "BucketProbe"}

    def sample(suffix: str, **more: str) -> float | None:
        name = f"coursegate_request_duration_seconds_{suffix}"
        return REGISTRY.get_sample_value(name, {**series, **more})

    buckets = [sample("bucket", le=le) for le in ("0.001", "0.0025", "0.5", "10.0", "+Inf")]
    assert buckets == [2, 3, 4, 4, 5]
    assert sample("count") == 5
    assert sample("sum") == pytest.approx(20.5025)


async def test_each_request_is_counted_once_under_its_kind_cache_hits_included(
    client: httpx.AsyncClient,
) -> None:
    query = "query CatalogPage { courses(first: 5) { edges { node { id title } } } }"
    before = _requests("catalog", "CatalogPage")
    for _ in range(3):  # a miss, then two response cache hits
        response = await client.post("/graphql", json={"query": query})
        assert response.status_code == 200 and "errors" not in response.json()
    assert _requests("catalog", "CatalogPage") == before + 3


async def test_a_signed_in_users_subscriptions_count_as_subscriptions(
    client: httpx.AsyncClient,
) -> None:
    query = "query Mine { me { subscriptions { edges { cursor } } } }"
    headers = {"authorization": f"Bearer {token_for(41)}"}
    before = _requests("subscriptions", "Mine")
    for _ in range(2):
        response = await client.post("/graphql", json={"query": query}, headers=headers)
        assert response.status_code == 200 and "errors" not in response.json()
    assert _requests("subscriptions", "Mine") == before + 2


async def test_a_request_refused_before_its_document_is_read_is_counted_as_unread(
    client: httpx.AsyncClient,
) -> None:
    before = (_requests("other", UNREAD), _errors("UNSUPPORTED_MEDIA_TYPE"))
    response = await client.post(
        "/graphql", content=b"{}", headers={"content-type": "application/x-custom"}
    )
    assert response.status_code == 415
    assert (_requests("other", UNREAD), _errors("UNSUPPORTED_MEDIA_TYPE")) == (
        before[0] + 1,
        before[1] + 1,
    )


async def test_a_bug_is_counted_as_internal_and_says_so_to_the_client(
    client: httpx.AsyncClient, backends: Backends, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken() -> None:
        raise RuntimeError("driver fell over")

    monkeypatch.setattr(backends.catalog, "category_counts", broken)
    before = _errors("INTERNAL")
    response = await client.post("/graphql", json={"query": "{ categories { category } }"})
    (error,) = response.json()["errors"]
    assert error["message"] == "Internal error" and error["extensions"] == {"code": "INTERNAL"}
    assert error["path"] == ["categories"]
    assert _errors("INTERNAL") == before + 1


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ courses( ", "GRAPHQL_PARSE_FAILED"),
        ("{ nope }", "GRAPHQL_VALIDATION_FAILED"),
        ('{ course(id: "abc") { id } }', "BAD_USER_INPUT"),
        ("{ me { userId } }", "UNAUTHENTICATED"),
    ],
)
async def test_each_client_error_is_counted_once_under_its_code(
    client: httpx.AsyncClient, query: str, code: str
) -> None:
    before = _errors(code)
    response = await client.post("/graphql", json={"query": query})
    assert len(response.json()["errors"]) == 1
    assert _errors(code) == before + 1
