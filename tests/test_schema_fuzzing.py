"""Fuzzing in the suite: queries and mutations generated from the gateway's own schema
(hypothesis-graphql), each sent through the real app anonymously, as a user and as an admin.

Whatever the document, the gateway answers without a 5xx, without a masked bug ("Internal
error", and the ERROR record on `coursegate.errors` that goes with it), without traceback text;
and a mutation that is refused (an error, or a typed error result) writes nothing.

The database is seeded first (free, paid, inactive and lifetime courses, a user with active,
cancelled and expired subscriptions, a paid and an open order, a lifecycle job, the search
index), and the generated ids and strings are drawn partly from what was seeded, so that
documents reach the code behind a found course, order or job and not only the "no such id"
answers. Half the documents carry their root arguments as variables. The run is bounded and
derandomized: the same documents on every run.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import graphql
import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode
from hypothesis_graphql import nodes as gql_nodes
from hypothesis_graphql import strategies as gql_st

from datasources.backends import Backends
from datasources.payments.sandbox import SandboxProvider, SandboxSettings
from jobs.indexer import SearchIndexer
from records.catalog import Category
from records.subscriptions import NewSubscription
from schema import build_schema
from tests.conftest import graphql as send_graphql
from tests.conftest import token_for
from tests.db_state import written
from tests.factories import add_course

ADMIN_ID, USER_ID, OTHER_USER_ID = 1, 2, 3
CALLERS: dict[str, str | None] = {
    "anonymous": None,
    "user": token_for(USER_ID),
    "admin": token_for(ADMIN_ID, admin=True),
}
MASKED = "Internal error"  # schema/__init__.py: MaskErrors(error_message=...)
TRACEBACK_MARKS = ("Traceback (most recent call last)", 'File "', ", line ")
# Documents per run. Each is sent three times (anonymous, user, admin); MariaDB gets fewer.
EMBEDDED_EXAMPLES = 600
MARIADB_EXAMPLES = 400

SDL = str(build_schema())
SCHEMA = graphql.build_schema(SDL)


def _user_error_types() -> frozenset[str]:
    interface = SCHEMA.get_type("UserError")
    assert isinstance(interface, graphql.GraphQLInterfaceType)
    return frozenset(t.name for t in SCHEMA.get_implementations(interface).objects)


USER_ERRORS = _user_error_types()
_TYPENAME = graphql.FieldNode(name=graphql.NameNode(value="__typename"))


@dataclasses.dataclass(frozen=True)
class Seeded:
    """What the fuzzer's ids and strings are partly drawn from."""

    ids: tuple[str, ...]
    strings: tuple[str, ...]


def _with_typenames(document: graphql.DocumentNode) -> str:
    """The document with `__typename` on every root field that has a selection: a mutation's
    result then says whether it is a success or one of its typed errors."""
    definitions: list[graphql.DefinitionNode] = []
    for definition in document.definitions:
        if isinstance(definition, graphql.OperationDefinitionNode):
            selections = tuple(_typename_in(s) for s in definition.selection_set.selections)
            definition = dataclasses.replace(
                definition, selection_set=graphql.SelectionSetNode(selections=selections)
            )
        definitions.append(definition)
    return graphql.print_ast(graphql.DocumentNode(definitions=tuple(definitions)))


def _typename_in(selection: graphql.SelectionNode) -> graphql.SelectionNode:
    if not isinstance(selection, graphql.FieldNode) or selection.selection_set is None:
        return selection
    selections = (_TYPENAME, *selection.selection_set.selections)
    return dataclasses.replace(
        selection, selection_set=graphql.SelectionSetNode(selections=selections)
    )


def _scalars(seeded: Seeded) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    """Built-in scalars overridden to mix what was seeded with edge cases and noise; DateTime
    (output only today) and Date (analytics ranges) get valid and invalid values."""
    int_values = st.one_of(
        st.integers(min_value=1, max_value=20),
        st.integers(min_value=-2, max_value=120),
        st.sampled_from([365, 366, 1000, 1001, 3650, 3651, 99_999, 2**31 - 1, -(2**31)]),
        st.integers(min_value=-(2**31), max_value=2**31 - 1),
    )
    texts = st.one_of(
        st.text(max_size=12),
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=30),
        st.sampled_from(["", " ", "\x00", "%", "_", "'", "\\", "é", "😀", "x" * 250]),
        # Query syntax, for search and autocomplete: none of it is meant as syntax there.
        st.sampled_from(['"', "title:", "(", "a AND", "OR", "*", "~2", "^3", "-", "+", "[a TO z]"]),
    )
    seeded_ids = st.sampled_from(seeded.ids)
    seeded_strings = st.sampled_from(seeded.strings)
    return {
        "Int": int_values.map(gql_nodes.Int),
        "String": st.one_of(seeded_strings, seeded_strings, texts).map(gql_nodes.String),
        "ID": st.one_of(
            seeded_ids.map(gql_nodes.String),
            seeded_ids.map(gql_nodes.String),
            seeded_ids.map(lambda value: gql_nodes.Int(int(value))),
            st.sampled_from(["0", "-1", "9" * 20, "1.5", "\uff11", "0x10", " 1"]).map(
                gql_nodes.String
            ),
            texts.map(gql_nodes.String),
            int_values.map(gql_nodes.Int),
        ),
        "DateTime": st.one_of(
            st.datetimes(timezones=st.just(UTC)).map(lambda moment: moment.isoformat()),
            texts,
        ).map(gql_nodes.String),
        "Date": st.one_of(
            st.dates().map(lambda day: day.isoformat()),
            st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)).map(str),
            texts,
        ).map(gql_nodes.String),
    }


@functools.cache
def _operations(seeded: Seeded) -> st.SearchStrategy[str]:
    """Each root field equally often (one field per document); then documents with several
    root fields (queries run concurrently, mutations one after another); and documents with
    one schema violation (refused by validation, before anything runs)."""
    scalars = _scalars(seeded)
    assert SCHEMA.query_type is not None and SCHEMA.mutation_type is not None
    per_field = [
        make(SDL, fields=[name], custom_scalars=scalars, print_ast=_with_typenames)
        for make, root in (
            (gql_st.queries, SCHEMA.query_type),
            (gql_st.mutations, SCHEMA.mutation_type),
        )
        for name in root.fields
    ]
    several = [
        make(SDL, custom_scalars=scalars, print_ast=_with_typenames)
        for make in (gql_st.queries, gql_st.mutations)
    ]
    invalid = gql_st.from_schema(
        SDL, custom_scalars=scalars, mode=Mode.NEGATIVE, print_ast=_with_typenames
    )
    return st.one_of(*per_field, *several, invalid)


@pytest.fixture
async def seeded(client: httpx.AsyncClient, backends: Backends) -> Seeded:
    sandbox = SandboxProvider(SandboxSettings(key_secret="fuzz-key", webhook_secret="fuzz-hook"))
    backends.payments = sandbox
    now = datetime.now(UTC)
    free = await add_course(backends, slug="free-touch", tags=("home-row", "basics"))
    other_free = await add_course(backends, slug="free-code", category=Category.CODING)
    paid = await add_course(backends, slug="paid-speed", price_paise=49_900)
    lifetime = await add_course(backends, slug="paid-life", price_paise=99_900, validity_days=None)
    inactive = await add_course(backends, slug="gone-course", is_active=False, language="hi")
    courses = (free, other_free, paid, lifetime, inactive)

    user = CALLERS["user"]
    assert await _typename(client, f'enroll(courseId: "{free.id}")', user) == "EnrollSuccess"
    assert await _typename(client, f'enroll(courseId: "{other_free.id}")', user) == "EnrollSuccess"
    cancel = f'cancelSubscription(courseId: "{other_free.id}")'
    assert await _typename(client, cancel, user) == "CancelSuccess"
    await backends.uncached_subscriptions.bulk_insert(
        [
            NewSubscription(USER_ID, inactive.id, now - timedelta(days=40), now, "seed"),
            NewSubscription(OTHER_USER_ID, free.id, now, now + timedelta(days=3), "seed"),
        ]
    )
    paid_order = await _start_checkout(client, paid.id, "fuzz-paid")
    payment_id, signature = sandbox.pay(paid_order)
    confirm = (
        f'confirmPayment(orderId: "{paid_order}", paymentId: "{payment_id}",'
        f' signature: "{signature}")'
    )
    assert await _typename(client, confirm, user) == "ConfirmPaymentSuccess"
    open_order = await _start_checkout(client, lifetime.id, "fuzz-open")
    extend = f'extendSubscriptions(courseId: "{free.id}", days: 5)'
    body = await send_graphql(
        client,
        f"mutation {{ {extend} {{ ... on LifecycleJobPayload {{ job {{ id }} }} }} }}",
        token=CALLERS["admin"],
    )
    job_id = body["data"]["extendSubscriptions"]["job"]["id"]

    await SearchIndexer(backends).drain_once()  # search answers from its index, not the fallback
    cursors = await _cursors(client)
    ids = tuple(dict.fromkeys((*(str(course.id) for course in courses), job_id, "1", "2", "3")))
    strings = (
        *(course.slug for course in courses),
        paid_order,
        open_order,
        payment_id,
        signature,
        "fuzz-paid",
        "fuzz-new",
        "en",
        "hi",
        "INR",
        "home-row",
        "typing",
        "a new title",
        *cursors,
    )
    return Seeded(ids=ids, strings=strings)


async def _cursors(client: httpx.AsyncClient) -> list[str]:
    """A cursor from each list, for `after` (and for the wrong list's `after`)."""
    page = "(first: 1) { pageInfo { endCursor } }"
    body = await send_graphql(
        client,
        f"{{ courses{page} search{page} me {{ subscriptions(first: 1, status: ALL)"
        " { pageInfo { endCursor } } expiringSubscriptions(withinDays: 30, first: 1)"
        " { pageInfo { endCursor } } } }",
        token=CALLERS["user"],
    )
    data = body["data"]
    lists = [data["courses"], data["search"], *data["me"].values()]
    return [found["pageInfo"]["endCursor"] for found in lists if found["pageInfo"]["endCursor"]]


async def _typename(client: httpx.AsyncClient, mutation: str, token: str | None) -> str:
    body = await send_graphql(client, f"mutation {{ {mutation} {{ __typename }} }}", token=token)
    name: str = next(iter(body["data"].values()))["__typename"]
    return name


async def _start_checkout(client: httpx.AsyncClient, course_id: int, key: str) -> str:
    body = await send_graphql(
        client,
        f'mutation {{ startCheckout(courseId: "{course_id}", idempotencyKey: "{key}")'
        " { ... on StartCheckoutSuccess { order { orderId } } } }",
        token=CALLERS["user"],
    )
    order_id: str = body["data"]["startCheckout"]["order"]["orderId"]
    return order_id


def _as_variables(document: str) -> tuple[str, dict[str, Any]]:
    """The root fields' argument values moved into variables of the arguments' types: the
    same values then go through variable coercion, a different path from literals."""
    variables: dict[str, Any] = {}

    def argument(
        field: graphql.GraphQLField, literal: graphql.ArgumentNode
    ) -> tuple[graphql.ArgumentNode, graphql.VariableDefinitionNode | None]:
        declared = field.args.get(literal.name.value)
        if declared is None:
            return literal, None  # not in the schema (an invalid document): left as it is
        name = f"v{len(variables)}"
        variables[name] = graphql.value_from_ast_untyped(literal.value)
        variable = graphql.VariableNode(name=graphql.NameNode(value=name))
        definition = graphql.VariableDefinitionNode(
            variable=variable, type=graphql.parse_type(str(declared.type))
        )
        return dataclasses.replace(literal, value=variable), definition

    parsed = graphql.parse(document)
    definitions: list[graphql.DefinitionNode] = []
    for operation in parsed.definitions:
        root = (
            SCHEMA.get_root_type(operation.operation)
            if isinstance(operation, graphql.OperationDefinitionNode)
            else None
        )
        if root is None:
            definitions.append(operation)
            continue
        assert isinstance(operation, graphql.OperationDefinitionNode)
        declared_variables = list(operation.variable_definitions or ())
        selections: list[graphql.SelectionNode] = []
        for selection in operation.selection_set.selections:
            field = (
                root.fields.get(selection.name.value)
                if isinstance(selection, graphql.FieldNode)
                else None
            )
            if field is None or not isinstance(selection, graphql.FieldNode):
                selections.append(selection)
                continue
            arguments: list[graphql.ArgumentNode] = []
            for literal in selection.arguments or ():
                moved, definition = argument(field, literal)
                arguments.append(moved)
                if definition is not None:
                    declared_variables.append(definition)
            selections.append(dataclasses.replace(selection, arguments=tuple(arguments)))
        definitions.append(
            dataclasses.replace(
                operation,
                variable_definitions=tuple(declared_variables),
                selection_set=graphql.SelectionSetNode(selections=tuple(selections)),
            )
        )
    printed = graphql.print_ast(graphql.DocumentNode(definitions=tuple(definitions)))
    return printed, variables


def _is_mutation(document: str) -> bool:
    parsed = graphql.parse(document)
    return any(
        isinstance(d, graphql.OperationDefinitionNode)
        and d.operation is graphql.OperationType.MUTATION
        for d in parsed.definitions
    )


def _refused(body: dict[str, Any]) -> bool:
    """Every root field of the answer is null (an error) or a typed error result."""
    data = body.get("data")
    if not isinstance(data, dict):
        return True
    return all(
        value is None or (isinstance(value, dict) and value.get("__typename") in USER_ERRORS)
        for value in data.values()
    )


async def _post(
    client: httpx.AsyncClient, payload: dict[str, Any], headers: dict[str, str], where: str
) -> httpx.Response:
    """The app's answer. A CancelledError out of the app when nobody cancelled this test is a
    bug in the app (a server drops the connection): an assertion, so Hypothesis shrinks it."""
    try:
        return await client.post("/graphql", json=payload, headers=headers)
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
        raise AssertionError(f"{where}: a CancelledError escaped the app") from None


def _check_answer(
    response: httpx.Response, bugs: Sequence[logging.LogRecord], where: str
) -> dict[str, Any]:
    text = response.text
    assert response.status_code < 500, f"{where}: HTTP {response.status_code}\n{text}"
    for mark in TRACEBACK_MARKS:
        assert mark not in text, f"{where}: traceback text {mark!r} in the answer\n{text}"
    body: dict[str, Any] = response.json()
    masked = [e for e in body.get("errors") or () if e.get("message") == MASKED]
    logged = "\n".join(f"{r.getMessage()}\n{r.exc_text or ''}" for r in bugs)
    assert not masked, f"{where}: masked internal error {masked}\n{logged}"
    assert not bugs, f"{where}: a bug was logged\n{logged}"
    return body


async def _fuzz(
    client: httpx.AsyncClient,
    backends: Backends,
    caplog: pytest.LogCaptureFixture,
    document: str,
    as_variables: bool,
) -> None:
    mutation = _is_mutation(document)
    variables: dict[str, Any] = {}
    if as_variables:
        document, variables = _as_variables(document)
    before = await written(backends) if mutation else None
    for caller, token in CALLERS.items():
        caplog.clear()
        headers = {"authorization": f"Bearer {token}"} if token else {}
        payload = {"query": document, "variables": variables}
        where = f"as {caller}:\n{document}\nvariables: {variables}"
        response = await _post(client, payload, headers, where)
        bugs = [r for r in caplog.records if r.name == "coursegate.errors"]
        body = _check_answer(response, bugs, where)
        if before is not None:
            after = await written(backends)
            if _refused(body):
                assert after == before, f"{where}\nrefused ({body}) but wrote to the database"
            before = after


async def _fuzz_drawn(
    client: httpx.AsyncClient,
    backends: Backends,
    seeded: Seeded,
    caplog: pytest.LogCaptureFixture,
    data: st.DataObject,
) -> None:
    caplog.set_level(logging.ERROR, logger="coursegate.errors")
    document = data.draw(_operations(seeded), label="document")
    await _fuzz(client, backends, caplog, document, data.draw(st.booleans(), label="as variables"))


_FUZZ_SETTINGS = hypothesis_settings(
    deadline=None,
    database=None,
    derandomize=True,  # the same documents on every run, here and in CI
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("settings", ["embedded"], indirect=True)
@hypothesis_settings(_FUZZ_SETTINGS, max_examples=EMBEDDED_EXAMPLES)
@given(data=st.data())
async def test_generated_operations_embedded(
    client: httpx.AsyncClient,
    backends: Backends,
    seeded: Seeded,
    caplog: pytest.LogCaptureFixture,
    data: st.DataObject,
) -> None:
    await _fuzz_drawn(client, backends, seeded, caplog, data)


@pytest.mark.parametrize("settings", ["mariadb"], indirect=True)
@hypothesis_settings(_FUZZ_SETTINGS, max_examples=MARIADB_EXAMPLES)
@given(data=st.data())
async def test_generated_operations_mariadb(
    client: httpx.AsyncClient,
    backends: Backends,
    seeded: Seeded,
    caplog: pytest.LogCaptureFixture,
    data: st.DataObject,
) -> None:
    await _fuzz_drawn(client, backends, seeded, caplog, data)
