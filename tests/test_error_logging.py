"""The log of a request's errors: a client's mistake is at most one INFO line with the request id
and no stack, rationed so a flood stays small; a bug is one ERROR record with the request id
and the stack, while the client sees only "Internal error"."""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx
import pytest
import strawberry
from graphql import GraphQLError

from datasources.backends import Backends
from datasources.sql.engine import DatabaseUnavailable
from resolvers.errors import ClientError
from schema import CLIENT_ERROR_LINES, CLIENT_ERROR_WINDOW_SECONDS
from schema.error_log import LineBudget, RequestErrorLog, is_client_error
from tests.clock import ManualClock
from tests.conftest import token_for

# Lines that are not about the request: httpx notes every request the test's client sends, the
# cache notes Redis not answering within its timeout, which a loaded machine can cause at any
# moment (the request is then served from the database, which other tests cover), and the
# process notes loading its catalog into memory on whichever request reads it first.
_NOT_ABOUT_THE_REQUEST = (
    "httpx",
    "httpcore",
    "datasources.cache.redis_cache",
    "coursegate.catalog_snapshot",
)


async def _post(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
    request_id: str = "req-1",
) -> httpx.Response:
    headers = {"x-request-id": request_id}
    if token:
        headers["authorization"] = f"Bearer {token}"
    return await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )


def _gateway_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if not r.name.startswith(_NOT_ABOUT_THE_REQUEST)]


CLIENT_MISTAKES: dict[str, tuple[str, dict[str, Any], str | None, str]] = {
    # name: (query, variables, token, a part of the message the INFO line carries)
    "bad first": ("{ courses(first: 0) { edges { cursor } } }", {}, None, "`first` must be"),
    "bad id": ('{ course(id: "abc") { id } }', {}, None, "`id` must be a positive"),
    "unknown field": ("{ nope }", {}, None, "Cannot query field 'nope'"),
    "syntax": ("{ courses( ", {}, None, "Syntax Error"),
    "missing token": ("{ me { userId } }", {}, None, "sign in first"),
    "missing admin (anonymous)": ('{ job(id: "1") { id } }', {}, None, "sign in first"),
    "missing admin (user)": ('{ job(id: "1") { id } }', {}, token_for(5), "admin role"),
    "bad variable": (
        "query($first: Int!) { courses(first: $first) { edges { cursor } } }",
        {"first": "x" * 5000},
        None,
        "Variable '$first'",
    ),
    "null argument": (
        "query($first: Int) { courses(first: $first) { edges { cursor } } }",
        {"first": None},
        None,
        "Argument 'first'",
    ),
    "several in one request": (
        '{ a: course(id: "x") { id } b: course(id: "y") { id } }',
        {},
        None,
        "(+1 more)",
    ),
}


@pytest.mark.parametrize("name", CLIENT_MISTAKES)
async def test_a_client_mistake_is_one_info_line_without_a_stack(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    query, variables, token, logged = CLIENT_MISTAKES[name]
    caplog.set_level(logging.INFO)
    response = await _post(client, query, variables, token, request_id=f"mistake-{len(name)}")
    assert response.json()["errors"] and "Internal error" not in response.text
    records = _gateway_records(caplog)
    assert [r for r in records if r.levelno >= logging.WARNING] == []
    assert [r for r in caplog.records if r.exc_info] == []
    assert len(records) == 1, [r.getMessage() for r in records]
    line = records[0].getMessage()
    assert records[0].levelno == logging.INFO and "\n" not in line
    assert f"mistake-{len(name)}" in line and logged in line
    assert len(line) < 400  # the 5,000 characters of a bad variable are not quoted back whole


async def test_a_typed_mutation_result_is_not_an_error(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    mutation = 'mutation { enroll(courseId: "abc") { __typename } }'
    body = (await _post(client, mutation)).json()
    assert body == {"data": {"enroll": {"__typename": "Unauthenticated"}}}
    assert _gateway_records(caplog) == []


async def test_a_bug_is_one_error_record_with_the_request_id_and_the_stack(
    client: httpx.AsyncClient, backends: Backends, caplog: pytest.LogCaptureFixture
) -> None:
    original = backends.catalog.category_counts

    async def broken():  # type: ignore[no-untyped-def]
        raise RuntimeError("password=hunter2 leaked from a driver")

    backends.catalog.category_counts = broken  # type: ignore[method-assign]
    caplog.set_level(logging.INFO)
    try:
        response = await _post(client, "{ categories { category } }", request_id="req-bug-42")
    finally:
        backends.catalog.category_counts = original  # type: ignore[method-assign]
    assert response.json()["errors"][0]["message"] == "Internal error"
    assert "hunter2" not in response.text
    (record,) = _gateway_records(caplog)
    assert record.levelno == logging.ERROR and "req-bug-42" in record.getMessage()
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError
    assert record.exc_info[2] is not None  # the stack


async def test_several_bugs_in_one_request_are_one_error_record(
    client: httpx.AsyncClient, backends: Backends, caplog: pytest.LogCaptureFixture
) -> None:
    original = backends.catalog.get_course_by_slug

    async def broken(slug: str):  # type: ignore[no-untyped-def]
        raise RuntimeError("driver fell over")

    backends.catalog.get_course_by_slug = broken  # type: ignore[method-assign]
    caplog.set_level(logging.INFO)
    query = '{ a: course(slug: "a") { id } b: course(slug: "b") { id } c: course(id: "x") { id } }'
    try:
        response = await _post(client, query, request_id="req-bugs")
    finally:
        backends.catalog.get_course_by_slug = original  # type: ignore[method-assign]
    messages = [error["message"] for error in response.json()["errors"]]
    assert sorted(messages) == [
        "Internal error",
        "Internal error",
        "`id` must be a positive integer id",
    ]
    errors = [r for r in _gateway_records(caplog) if r.levelno == logging.ERROR]
    infos = [r for r in _gateway_records(caplog) if r.levelno == logging.INFO]
    assert len(errors) == 1 and len(infos) == 1
    assert "req-bugs" in errors[0].getMessage() and "also at" in errors[0].getMessage()
    assert errors[0].exc_info is not None and infos[0].exc_info is None


async def test_a_flood_of_bad_requests_writes_a_bounded_number_of_lines(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    mistakes = [
        "{ courses(first: -%d) { edges { cursor } } }",
        '{ course(id: "x%d") { id } }',
        "{ nope%d }",
        "{ me { userId } } # %d",
    ]
    started = time.monotonic()
    for n in range(500):
        response = await _post(client, mistakes[n % len(mistakes)] % n, request_id=f"flood-{n}")
        assert response.status_code == 200
    elapsed = time.monotonic() - started
    records = _gateway_records(caplog)
    assert [r for r in records if r.levelno != logging.INFO or r.exc_info] == []
    # A window restarts only with a line after it ended: at most elapsed / window + 1 windows.
    windows = int(elapsed // CLIENT_ERROR_WINDOW_SECONDS) + 1
    assert 1 <= len(records) <= CLIENT_ERROR_LINES * windows


def test_the_budget_counts_what_it_suppressed(caplog: pytest.LogCaptureFixture) -> None:
    clock = ManualClock()
    error_log = RequestErrorLog(LineBudget(3, 10.0, clock))
    caplog.set_level(logging.INFO)
    for n in range(10):
        error_log.log([ClientError(f"mistake {n}")], f"r{n}")
    assert [r.getMessage() for r in caplog.records] == [
        f"request r{n}: client error: mistake {n}" for n in range(3)
    ]
    clock.now += 10.0
    error_log.log([ClientError("after the window")], "r10")
    assert caplog.records[-1].getMessage() == (
        "request r10: client error: after the window [7 client-error lines suppressed before this]"
    )
    error_log.log([ClientError("next")], "r11")
    assert caplog.records[-1].getMessage() == "request r11: client error: next"


def test_an_unreachable_database_is_an_outage_not_a_bug(caplog: pytest.LogCaptureFixture) -> None:
    error_log = RequestErrorLog(LineBudget(3, 10.0, ManualClock()))
    caplog.set_level(logging.INFO)
    down = DatabaseUnavailable("shard-2", '(2003, "Can\'t connect")', 1.0)
    located = GraphQLError(
        "shard-2 is unavailable", path=["me", "subscriptions"], original_error=down
    )
    error_log.log([located], "r1")
    (record,) = caplog.records
    assert (record.name, record.levelno, record.exc_info) == (
        "coursegate.outages",
        logging.WARNING,
        None,
    )
    assert record.getMessage().startswith("request r1: shard-2 is unavailable")
    assert record.getMessage().endswith("at me.subscriptions")


@strawberry.type
class _Query:
    @strawberry.field
    def too_big(self) -> int:
        return 2**40

    @strawberry.field
    def echo(self, n: int = 5) -> int:
        return n


async def _errors(query: str, variables: dict[str, Any]) -> list[GraphQLError]:
    result = await strawberry.Schema(query=_Query).execute(query, variable_values=variables)
    assert result.errors is not None
    return result.errors


async def test_graphql_refusing_the_request_is_the_client_but_an_unrepresentable_result_a_bug() -> (
    None
):
    (variable,) = await _errors("query($n: Int!) { echo(n: $n) }", {"n": "x"})
    (argument,) = await _errors("query($n: Int) { echo(n: $n) }", {"n": None})
    (result,) = await _errors("{ tooBig }", {})
    assert is_client_error(variable) and is_client_error(argument)
    assert not is_client_error(result)


@pytest.mark.parametrize(
    "body",
    [
        {"query": ""},
        {"query": "query A { categories { category } }", "operationName": "B"},
    ],
)
async def test_a_request_without_one_operation_to_run_is_a_bad_request(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, body: dict[str, Any]
) -> None:
    caplog.set_level(logging.INFO)
    response = await client.post("/graphql", json=body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert [r for r in _gateway_records(caplog) if r.levelno >= logging.WARNING or r.exc_info] == []


async def test_an_unprintable_or_huge_request_id_is_replaced_before_it_reaches_a_log_line(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    query = "{ courses(first: 0) { edges { cursor } } }"
    kept = await _post(client, query, request_id="abc-123")
    assert kept.headers["x-request-id"] == "abc-123"
    replaced = await _post(client, query, request_id="x" * 5000)
    new_id = replaced.headers["x-request-id"]
    assert new_id != "x" * 5000 and len(new_id) == 32
    assert new_id in _gateway_records(caplog)[-1].getMessage()
