"""Each query limit over HTTP, on both backends: a document at the limit is answered, one just
over it is refused as a request error (errors without `data`: 400 for a client that accepts
application/graphql-response+json, 200 for an application/json one) and nothing runs.

The limits: depth (MAX_DEPTH, fragments included), aliases (MAX_ALIASES, counted once per
fragment spread), tokens (MAX_TOKENS, the parser stops at the first token over) and the body
(MAX_BODY_BYTES, 413). Variables are JSON the body limit bounds: a long one is processed, a
deeply nested one refused."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import orjson
import pytest
from graphql.language import Lexer, Source, TokenKind

from datasources.backends import Backends
from http_api.graphql_endpoint import MAX_BODY_BYTES
from http_api.graphql_over_http import GRAPHQL_RESPONSE_MEDIA_TYPE
from records.catalog import Category, Course
from schema import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS
from schema.document_limits import DocumentMeasures
from tests.conftest import token_for
from tests.content.test_lessons_api import add_lesson
from tests.db_state import written
from tests.factories import add_course
from tests.test_graphql_over_http import NEW_STYLE

LEARNER = 7
# Course.lessons -> LessonConnection.edges -> LessonEdge.node -> Lesson.course -> Course: a
# cycle of the schema that nests as deep as a test asks, one level per field.
CYCLE = ("lessons(first: 1)", "edges", "node", "course")
LEAF = {"lessons(first: 1)": "totalCount", "edges": "cursor", "node": "title", "course": "id"}
DEPTH_REFUSAL = f"'Deep' exceeds maximum operation depth of {MAX_DEPTH}"
TOKEN_REFUSAL = f"Syntax Error: Document contains more than {MAX_TOKENS} tokens. Parsing aborted."


# Requests -------------------------------------------------------------------------------------


async def _post(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
    token: str | None = None,
    accept: dict[str, str] | None = None,
) -> httpx.Response:
    """tests.conftest.graphql, with `operationName` and the Accept header it does not send."""
    body: dict[str, Any] = {"query": query, "variables": variables or {}}
    if operation_name is not None:
        body["operationName"] = operation_name
    headers = {**(accept or {}), **({"authorization": f"Bearer {token}"} if token else {})}
    return await client.post("/graphql", json=body, headers=headers)


async def _answered(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    """The operation ran without an error: its `data`."""
    response = await _post(client, query, variables, operation_name, token)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"data"}, body
    data: dict[str, Any] = body["data"]
    return data


async def _refused(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
    token: str | None = None,
) -> list[str]:
    """Refused before anything ran, the same errors for either kind of client: their
    messages."""
    new_style = await _post(client, query, variables, operation_name, token, NEW_STYLE)
    assert new_style.status_code == 400, new_style.text
    assert new_style.headers["content-type"] == GRAPHQL_RESPONSE_MEDIA_TYPE
    legacy = await _post(client, query, variables, operation_name, token)
    assert legacy.status_code == 200, legacy.text
    assert legacy.headers["content-type"] == "application/json"
    body = legacy.json()
    assert set(body) == {"errors"}, body  # no `data`: nothing executed
    assert new_style.json() == body
    messages = [str(error["message"]) for error in body["errors"]]
    assert "Internal error" not in messages  # a client error, not a masked bug
    return messages


# Documents ------------------------------------------------------------------------------------


def _nest(fields: Sequence[str], innermost: str) -> str:
    """`a { b { c { innermost } } }`: one level of depth per field."""
    selection = innermost
    for field in reversed(fields):
        selection = f"{field} {{ {selection} }}"
    return selection


def _under_course(count: int) -> list[str]:
    """`count` fields that nest below a Course, along CYCLE."""
    return list(itertools.islice(itertools.cycle(CYCLE), count))


def _deep_query(depth: int) -> str:
    """A query `depth` deep: course(id:), then the cycle."""
    fields = ["course(id: $id)", *_under_course(depth - 1)]
    return f"query Deep($id: ID!) {{ {_nest(fields, LEAF[fields[-1]])} }}"


def _deep_query_in_fragments(under: Sequence[str]) -> str:
    """course(id:) with the fields under it in a chain of fragments, one per turn of CYCLE
    (F0 spreads F1, which spreads F2, ...); the operation alone is 2 deep."""
    turns = [under[start : start + len(CYCLE)] for start in range(0, len(under), len(CYCLE))]
    fragments = []
    for number, turn in enumerate(turns):
        last = number == len(turns) - 1
        inner = LEAF[turn[-1]] if last else f"...F{number + 1}"
        fragments.append(f"fragment F{number} on Course {{ {_nest(turn, inner)} }}")
    return "query Deep($id: ID!) { course(id: $id) { ...F0 } } " + " ".join(fragments)


def _deep_enrolment(depth: int) -> str:
    """enroll, `depth` deep (the inline fragment adds none): enroll -> subscription -> course
    -> the cycle."""
    fields = ["subscription", "course", *_under_course(depth - 3)]
    inner = _nest(fields, LEAF[fields[-1]])
    return (
        f"mutation Deep($c: ID!) {{ enroll(courseId: $c) {{ __typename"
        f" ... on EnrollSuccess {{ {inner} }} }} }}"
    )


def _walk(data: Any, fields: Sequence[str]) -> Any:
    """Follow `fields` (their arguments left out) down an answer, the first item of a list."""
    for field in fields:
        data = data[field.partition("(")[0]]
        if isinstance(data, list):
            data = data[0]
    return data


def _aliased_enrolments(count: int) -> str:
    enrolments = " ".join(f"e{n}: enroll(courseId: $c) {{ __typename }}" for n in range(count))
    return f"mutation Many($c: ID!) {{ {enrolments} }}"


def _padded_enrolment(tokens: int) -> str:
    return _padded("mutation Enrol($c: ID!) { enroll(courseId: $c) { __typename } }", tokens)


def _tokens(document: str) -> int:
    """The document's tokens as the GraphQL lexer reads them (comments would count too)."""
    lexer, count = Lexer(Source(document)), 0
    while lexer.advance().kind is not TokenKind.EOF:
        count += 1
    return count


def _token_start(document: str, number: int) -> int:
    """Where the document's `number`th token (from 1) starts."""
    lexer = Lexer(Source(document))
    for _ in range(number):
        token = lexer.advance()
    return token.start


def _padded(document: str, tokens: int) -> str:
    """`document` and `query PadN { __typename }` operations (5 tokens each, the first one
    widened by a `__typename` a token) until it is `tokens` long; the padding adds no alias
    and no depth, and needs `operationName` to pick the operation that runs."""
    missing = tokens - _tokens(document)
    operations, extra = divmod(missing, 5)
    assert operations >= 1, missing
    padding = [f"query Pad{n} {{ __typename }}" for n in range(operations)]
    padding[0] = "query Pad0 { " + "__typename " * (1 + extra) + "}"
    padded = " ".join([document, *padding])
    assert _tokens(padded) == tokens
    return padded


async def _course_with_a_lesson(backends: Backends) -> tuple[Course, str]:
    course = await add_course(backends)
    lesson = await add_lesson(backends, course, "Home row", exercises=0)
    return course, lesson.title


# Depth ----------------------------------------------------------------------------------------


async def test_a_query_as_deep_as_the_limit_is_answered_and_one_level_more_refused(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course, _ = await _course_with_a_lesson(backends)
    variables = {"id": str(course.id)}
    at_limit = await _answered(client, _deep_query(MAX_DEPTH), variables)
    # The tenth level is a real answer: course -> lesson -> course -> lesson -> course.lessons.
    deepest = ["course", *_under_course(MAX_DEPTH - 1)]
    assert _walk(at_limit, deepest) == {"totalCount": 1}
    refused = await _refused(client, _deep_query(MAX_DEPTH + 1), variables)
    assert refused == [DEPTH_REFUSAL]


async def test_depth_spread_over_nested_fragments_counts_as_if_inline(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course, _ = await _course_with_a_lesson(backends)
    variables = {"id": str(course.id)}
    # course(id:) { ...F0 }, F0 spreads F1, F1 spreads F2: the fields of _deep_query, split up.
    at_limit = _deep_query_in_fragments(_under_course(MAX_DEPTH - 1))
    assert at_limit.count("fragment ") == 3
    inline = await _answered(client, _deep_query(MAX_DEPTH), variables)
    assert await _answered(client, at_limit, variables) == inline
    over = _deep_query_in_fragments(_under_course(MAX_DEPTH))
    assert await _refused(client, over, variables) == [DEPTH_REFUSAL]


async def test_a_long_chain_of_nesting_fragments_is_refused_with_the_depth_error(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends)
    # 50 fragments, each 4 levels deeper than the one spreading it: depth 201, far beyond the
    # limit; refused by the limiter (no recursion error, no 500), whose error comes first
    # (graphql-core adds "Validation aborted.": its own guard, at 200 levels of fragments).
    chain = _deep_query_in_fragments(list(CYCLE) * 50)
    assert chain.count("fragment ") == 50 and _tokens(chain) < MAX_TOKENS
    refused = await _refused(client, chain, {"id": str(course.id)})
    assert refused[0] == DEPTH_REFUSAL
    assert not any("recursion" in message.lower() for message in refused)


async def test_a_long_chain_of_fragments_that_nests_no_field_adds_no_depth(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    await add_course(backends)
    chain = "{ ...Q0 } " + " ".join(f"fragment Q{n} on Query {{ ...Q{n + 1} }}" for n in range(50))
    chain += " fragment Q50 on Query { categories { category courseCount } }"
    data = await _answered(client, chain)
    assert data == await _answered(client, "{ categories { category courseCount } }")
    assert data["categories"] == [{"category": "TOUCH_TYPING", "courseCount": 1}]


@pytest.mark.parametrize(
    "document",
    [
        "{ ...A } fragment A on Query { ...A }",
        "{ ...A } fragment A on Query { categories { category } ...B }"
        " fragment B on Query { ...A }",
        "query($id: ID!) { course(id: $id) { ...A } }"
        " fragment A on Course { lessons { edges { node { course { ...B } } } } }"
        " fragment B on Course { lessons { edges { node { course { ...A } } } } }",
    ],
    ids=["A spreads A", "A spreads B spreads A", "a cycle through nested fields"],
)
async def test_a_fragment_cycle_is_a_validation_error(
    client: httpx.AsyncClient, backends: Backends, document: str
) -> None:
    course = await add_course(backends)
    refused = await _refused(client, document, {"id": str(course.id)})
    assert any("Cannot spread fragment 'A' within itself" in message for message in refused)


def _counted(calls: Counter[str], name: str, function: Callable[..., int]) -> Callable[..., int]:
    def counting(*args: Any, **kwargs: Any) -> int:
        calls[name] += 1
        return function(*args, **kwargs)

    return counting


async def test_fragments_spread_twice_at_every_level_cost_the_limits_linear_work(
    client: httpx.AsyncClient, backends: Backends, monkeypatch: pytest.MonkeyPatch
) -> None:
    """strawberry's own limiters walked a fragment once per path to it: this document of 12
    levels cost them 24,575 steps, 20 levels held a worker for 9 s, 30 for hours."""
    await add_course(backends)
    calls: Counter[str] = Counter()
    # Both measures recurse through the class, so counting its methods counts every step.
    for name in ("depth", "aliases"):
        monkeypatch.setattr(
            DocumentMeasures, name, _counted(calls, name, getattr(DocumentMeasures, name))
        )
    levels = 12
    bomb = "{ ...B0 } " + " ".join(
        f"fragment B{n} on Query {{ ...B{n + 1} ...B{n + 1} }}" for n in range(levels)
    )
    bomb += f" fragment B{levels} on Query {{ categories {{ category }} }}"
    selections = 2 * levels + 3  # every spread and field the document has
    # The document is valid and merges into `{ categories { category } }`.
    data = await _answered(client, bomb)
    assert data == {"categories": [{"category": "TOUCH_TYPING"}]}
    assert calls["depth"] > 0 and calls["aliases"] > 0
    assert max(calls.values()) <= 10 * selections, calls


async def test_introspection_is_outside_the_depth_limit_and_capped_by_its_own_rule(
    client: httpx.AsyncClient,
) -> None:
    # The depth limit skips `__` fields and all below them (as strawberry's did): 12 levels pass.
    of_type = _nest(["type", *["ofType"] * 9], "name")
    deep = await _answered(
        client, f'{{ __type(name: "Course") {{ fields {{ name {of_type} }} }} }}'
    )
    tags = next(field for field in deep["__type"]["fields"] if field["name"] == "tags")
    # [String!]!: NON_NULL of LIST of NON_NULL of String, which wraps nothing.
    assert tags["type"] == {"ofType": {"ofType": {"ofType": {"ofType": None}}}}
    # What bounds it is graphql-core's introspection depth rule, on the lists that multiply.
    fan_out = _nest(["possibleTypes", "interfaces", "possibleTypes", "interfaces"], "name")
    refused = await _refused(client, f'{{ __type(name: "UserError") {{ {fan_out} }} }}')
    assert refused == ["Maximum introspection depth exceeded"]


# Aliases --------------------------------------------------------------------------------------


def _aliased_titles(count: int) -> str:
    return (
        "query Many($id: ID!) { "
        + " ".join(f"a{n}: course(id: $id) {{ title }}" for n in range(count))
        + " }"
    )


def _fragment_of_aliases(name: str, count: int) -> str:
    return f"fragment {name} on Course {{ " + " ".join(f"t{n}: title" for n in range(count)) + " }"


async def test_as_many_aliases_as_the_limit_are_answered_and_one_more_refused(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends)
    variables = {"id": str(course.id)}
    data = await _answered(client, _aliased_titles(MAX_ALIASES), variables)
    assert data == {f"a{n}": {"title": course.title} for n in range(MAX_ALIASES)}
    refused = await _refused(client, _aliased_titles(MAX_ALIASES + 1), variables)
    assert refused == [f"{MAX_ALIASES + 1} aliases found. Allowed: {MAX_ALIASES}"]


@pytest.mark.parametrize(
    ("document", "aliases"),
    [
        # One fragment of 10 aliases, spread 5 times: 50.
        (
            "query($id: ID!) { course(id: $id) { ...Ten ...Ten ...Ten ...Ten ...Ten } } "
            + _fragment_of_aliases("Ten", 10),
            50,
        ),
        # The spreads in two aliased fields, each of which runs them: 2 + 2 * 15.
        (
            "query($id: ID!) { a: course(id: $id) { ...Fifteen } b: course(id: $id) {"
            " ...Fifteen } } " + _fragment_of_aliases("Fifteen", 15),
            32,
        ),
        # Through a fragment that spreads another twice: 2 * 16.
        (
            "query($id: ID!) { course(id: $id) { ...Outer } }"
            " fragment Outer on Course { ...Sixteen ...Sixteen } "
            + _fragment_of_aliases("Sixteen", 16),
            32,
        ),
    ],
    ids=["10 aliases spread 5 times", "spread under 2 aliases", "spread by a spread fragment"],
)
async def test_aliases_in_a_fragment_count_once_per_spread(
    client: httpx.AsyncClient, backends: Backends, document: str, aliases: int
) -> None:
    course = await add_course(backends)
    refused = await _refused(client, document, {"id": str(course.id)})
    assert refused == [f"{aliases} aliases found. Allowed: {MAX_ALIASES}"]


async def test_aliases_spread_up_to_the_limit_are_answered(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends)
    # 2 aliased fields, each spreading 14 aliases: 30.
    document = (
        "query($id: ID!) { a: course(id: $id) { ...Fourteen } b: course(id: $id) {"
        " ...Fourteen } } " + _fragment_of_aliases("Fourteen", 14)
    )
    data = await _answered(client, document, {"id": str(course.id)})
    titles = {f"t{n}": course.title for n in range(14)}
    assert data == {"a": titles, "b": titles}


async def test_a_fragment_without_aliases_spread_many_times_merges_into_one_field(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends)
    variables = {"id": str(course.id)}
    once = "query($id: ID!) { ...Title } fragment Title on Query { course(id: $id) { title } }"
    many = once.replace("...Title", " ".join(["...Title"] * 100))
    assert await _answered(client, many, variables) == await _answered(client, once, variables)
    assert await _answered(client, once, variables) == {"course": {"title": course.title}}


async def test_the_same_root_field_many_times_without_aliases_is_answered_once(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    await add_course(backends)
    await add_course(backends, category=Category.CODING)
    field = "categories { category courseCount }"
    many = await _answered(client, "{ " + " ".join([field] * 100) + " }")
    assert many == await _answered(client, f"{{ {field} }}")
    assert sorted(many["categories"], key=str) == [
        {"category": "CODING", "courseCount": 1},
        {"category": "TOUCH_TYPING", "courseCount": 1},
    ]


# Tokens ---------------------------------------------------------------------------------------


def _catalogue_query() -> str:
    return (
        "query Catalogue($id: ID!) { course(id: $id) { title lessons(first: 1) { totalCount } }"
        " categories { category courseCount } }"
    )


async def test_a_document_of_as_many_tokens_as_the_limit_is_answered_and_one_more_refused(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course, _ = await _course_with_a_lesson(backends)
    variables = {"id": str(course.id)}
    at_limit = _padded(_catalogue_query(), MAX_TOKENS)
    data = await _answered(client, at_limit, variables, "Catalogue")
    assert data == {
        "course": {"title": course.title, "lessons": {"totalCount": 1}},
        "categories": [{"category": "TOUCH_TYPING", "courseCount": 1}],
    }
    over = _padded(_catalogue_query(), MAX_TOKENS + 1)
    assert await _refused(client, over, variables, "Catalogue") == [TOKEN_REFUSAL]


async def test_a_huge_document_is_refused_at_the_first_token_over_the_limit(
    client: httpx.AsyncClient,
) -> None:
    unit = "categories { category } "  # 4 tokens
    huge = "{ " + unit * 2600 + "}"
    assert _tokens(huge) > 5 * MAX_TOKENS
    assert len(orjson.dumps({"query": huge, "variables": {}})) < MAX_BODY_BYTES
    response = await _post(client, huge)
    assert response.status_code == 200
    (error,) = response.json()["errors"]
    assert error["message"] == TOKEN_REFUSAL
    # Where the parser stopped: at the first token over the limit, a fifth of the way in.
    (location,) = error["locations"]
    stopped_at = _token_start(huge, MAX_TOKENS + 1)
    assert location == {"line": 1, "column": stopped_at + 1}
    assert stopped_at < len(huge) // 4
    assert "data" not in response.json()


# Mutations: nothing runs ----------------------------------------------------------------------


LIMITS: dict[str, tuple[Callable[[int], str], str, int, str]] = {
    # name: (a mutation document of size n, its operation, the limit, the refusal over it)
    "depth": (_deep_enrolment, "Deep", MAX_DEPTH, DEPTH_REFUSAL),
    "aliases": (
        _aliased_enrolments,
        "Many",
        MAX_ALIASES,
        f"{MAX_ALIASES + 1} aliases found. Allowed: {MAX_ALIASES}",
    ),
    "tokens": (_padded_enrolment, "Enrol", MAX_TOKENS, TOKEN_REFUSAL),
}


@pytest.mark.parametrize("limit", sorted(LIMITS))
async def test_a_mutation_at_a_limit_runs_and_one_over_it_changes_nothing(
    client: httpx.AsyncClient, backends: Backends, limit: str
) -> None:
    document, operation, most, refusal = LIMITS[limit]
    token = token_for(LEARNER)
    at_limit, lesson_title = await _course_with_a_lesson(backends)
    over, _ = await _course_with_a_lesson(backends)
    data = await _answered(client, document(most), {"c": str(at_limit.id)}, operation, token)
    # The first enroll subscribes; with aliases, the 29 after it find the subscription.
    results = [result["__typename"] for result in data.values()]
    assert results[0] == "EnrollSuccess"
    assert set(results[1:]) <= {"AlreadySubscribed"}
    if limit == "depth":  # down to the lesson at the tenth level
        deepest = ["enroll", "subscription", "course", *_under_course(MAX_DEPTH - 3)]
        assert _walk(data, deepest) == {"title": lesson_title}
    before = await written(backends)
    refused = await _refused(client, document(most + 1), {"c": str(over.id)}, operation, token)
    assert refused == [refusal]
    assert await written(backends) == before


# The body and its variables -------------------------------------------------------------------


def _body_of(size: int, query: str, variables: dict[str, str]) -> bytes:
    """A JSON body of exactly `size` bytes: `variables` and a `pad` the operation ignores."""

    def body(pad: str) -> bytes:
        return orjson.dumps({"query": query, "variables": {**variables, "pad": pad}})

    padded = body("x" * (size - len(body(""))))
    assert len(padded) == size
    return padded


async def test_a_body_of_the_limit_runs_and_one_byte_more_is_413_and_changes_nothing(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    enrol = "mutation($c: ID!) { enroll(courseId: $c) { __typename } }"
    headers = {"content-type": "application/json", "authorization": f"Bearer {token_for(LEARNER)}"}
    at_limit, over = await add_course(backends), await add_course(backends)
    body = _body_of(MAX_BODY_BYTES, enrol, {"c": str(at_limit.id)})
    answered = await client.post("/graphql", content=body, headers=headers)
    assert answered.status_code == 200, answered.text
    assert answered.json() == {"data": {"enroll": {"__typename": "EnrollSuccess"}}}
    before = await written(backends)
    body = _body_of(MAX_BODY_BYTES + 1, enrol, {"c": str(over.id)})
    for accept in ({}, NEW_STYLE):
        refused = await client.post("/graphql", content=body, headers={**headers, **accept})
        assert refused.status_code == 413, refused.text
        assert refused.json() == {
            "errors": [
                {"message": "the request body is too large", "extensions": {"code": "BAD_REQUEST"}}
            ]
        }
    assert await written(backends) == before


async def test_a_string_variable_of_60_kib_is_passed_to_its_field(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    slug = "a" * (60 * 1024)
    query = "query($s: String) { course(slug: $s) { id } }"
    assert await _answered(client, query, {"s": slug}) == {"course": None}
    # The same document and a slug that exists: it is the variable's value that decided.
    course = await add_course(backends)
    assert await _answered(client, query, {"s": course.slug}) == {"course": {"id": str(course.id)}}


async def test_a_list_variable_of_60_kib_is_refused_by_its_field_with_the_limit(
    client: httpx.AsyncClient,
) -> None:
    tags = ["home-row"] * (60 * 1024 // len('"home-row",'))
    query = "query($t: [String!]) { search(filters: { tags: $t }) { totalCount } }"
    response = await _post(client, query, {"t": tags})
    assert response.status_code == 200, response.text
    (error,) = response.json()["errors"]
    assert error["message"] == "at most 20 `tags` values"
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["path"] == ["search"]  # it ran as far as the field, which refused it


async def test_deeply_nested_json_variables_are_refused_without_a_crash(
    client: httpx.AsyncClient,
) -> None:
    query = "query($s: String) { course(slug: $s) { id } }"
    headers = {"content-type": "application/json"}

    def body(levels: int) -> bytes:
        nested = b"[" * levels + b"]" * levels
        return b'{"query": ' + orjson.dumps(query) + b', "variables": {"s": ' + nested + b"}}"

    # 10,000 levels: more than orjson reads (1,024), so the body is refused before GraphQL.
    deep = await client.post("/graphql", content=body(10_000), headers=headers)
    assert deep.status_code == 400, deep.text
    assert deep.json() == {
        "errors": [{"message": "the body is not valid JSON", "extensions": {"code": "BAD_REQUEST"}}]
    }
    # 1,000 levels: read, then refused by GraphQL's coercion of the variables.
    for accept, status in (({}, 200), (NEW_STYLE, 400)):
        nested = await client.post("/graphql", content=body(1_000), headers={**headers, **accept})
        assert nested.status_code == status, nested.text
        assert nested.json() == {"errors": [{"message": "Variable values are nested too deeply."}]}
