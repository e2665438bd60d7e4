"""The four operations under load, each as the list of POST requests wrk rotates through."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from bench.dataset import LoadedData
from bench.wrk_driver import LoadRequest
from resolvers.auth import issue_token

CATALOG_QUERY = (
    "query CatalogPage { courses(first: 20) { edges { node "
    "{ id title category difficulty price validityDays isFree } } } }"
)
DETAILS_QUERY = (
    "query CourseDetails($id: ID!) { course(id: $id) { id slug title description category "
    "difficulty language tags price currency isFree validityDays } }"
)
SUBSCRIPTIONS_QUERY = (
    "query MySubscriptions { me { subscriptions(first: 20) { edges { node "
    "{ id courseId enrolledAt expiresAt state daysLeft course { title } } } } } }"
)
LESSON_QUERY = (
    "query Lesson($id: ID!) { lesson(id: $id) { id title kind durationSeconds"
    " exercises { ... on ExerciseList { items { id text language keyboardLayout targetWpm"
    " targetAccuracy } } ... on NotEntitled { message } }"
    " assets { ... on AssetList { items { id kind contentType url expiresAt } }"
    " ... on NotEntitled { message } } } }"
)
RECOMMENDATIONS_QUERY = (
    "query Recommendations { me { recommendations(first: 10) { course { id title category"
    " price } reason score } } }"
)
SEARCH_TEXTS = ("typing", "speed", "python", "hindi", "accuracy", "exam", "data entry", "keys")
_INTROSPECT_QUERY_FIELDS = (
    "{ __schema { queryType { fields { name args { name type { kind name ofType "
    "{ kind name } } } } } } }"
)


@dataclass(frozen=True)
class Operation:
    name: str
    requests: tuple[LoadRequest, ...]


def _body(query: str, variables: dict[str, Any] | None = None) -> bytes:
    return orjson.dumps({"query": query, "variables": variables or {}})


def catalog_page() -> Operation:
    return Operation("catalog", (LoadRequest(_body(CATALOG_QUERY)),))


def compressed(operation: Operation, encoding: str = "br") -> Operation:
    """The same requests asking for a compressed answer: what compression costs in req/s."""
    return Operation(
        f"{operation.name}-{encoding}",
        tuple(dataclasses.replace(r, accept_encoding=encoding) for r in operation.requests),
    )


def course_details(data: LoadedData) -> Operation:
    requests = tuple(
        LoadRequest(_body(DETAILS_QUERY, {"id": str(i)})) for i in data.active_course_ids
    )
    return Operation("details", requests)


def my_subscriptions(data: LoadedData, jwt_secret: str) -> Operation:
    requests = tuple(
        LoadRequest(_body(SUBSCRIPTIONS_QUERY), f"Bearer {issue_token(jwt_secret, user)}")
        for user in data.user_ids
    )
    return Operation("subscriptions", requests)


def recommendations(data: LoadedData, jwt_secret: str) -> Operation:
    """A signed-in user's ten recommendations, blended at request time from the model."""
    requests = tuple(
        LoadRequest(_body(RECOMMENDATIONS_QUERY), f"Bearer {issue_token(jwt_secret, user)}")
        for user in data.user_ids
    )
    return Operation("recommendations", requests)


def lesson(data: LoadedData, jwt_secret: str) -> Operation:
    """A subscribed user's lesson: its exercises and three signed image links."""
    requests = tuple(
        LoadRequest(
            _body(LESSON_QUERY, {"id": str(lesson_id)}), f"Bearer {issue_token(jwt_secret, user)}"
        )
        for user, lesson_id in data.lessons
    )
    return Operation("lesson", requests)


def search_operation(base_url: str) -> tuple[Operation | None, str]:
    """The search operation if the schema has `search`, else None and why it was skipped."""
    response = httpx.post(base_url + "/graphql", json={"query": _INTROSPECT_QUERY_FIELDS})
    fields = response.json()["data"]["__schema"]["queryType"]["fields"]
    search = next((f for f in fields if f["name"] == "search"), None)
    if search is None:
        return None, "the schema has no `search` query yet (search integration not merged)"
    query = _search_query(base_url, search["args"])
    if query is None:
        return None, "`search` exists but its arguments are not ones the bench knows"
    requests = tuple(LoadRequest(_body(query, {"text": text})) for text in SEARCH_TEXTS)
    return Operation("search", requests), ""


def _search_query(base_url: str, args: Sequence[dict[str, Any]]) -> str | None:
    names = {arg["name"] for arg in args}
    text_arg = next((n for n in ("query", "text", "q", "term") if n in names), None)
    if text_arg is None:
        return None
    size = "first: 20" if "first" in names else ""
    selection = _selection_of(base_url, "search")
    return f"query Search($text: String!) {{ search({text_arg}: $text {size}) {selection} }}"


def _selection_of(base_url: str, field: str, depth: int = 3) -> str:
    """Every scalar of the field's result, nested objects to `depth`, fields with args left out."""
    query = (
        "{ __schema { queryType { fields { name type { ...T } } } types { name kind fields "
        "{ name args { name } type { ...T } } } } } fragment T on __Type "
        "{ kind name ofType { kind name ofType { kind name ofType { kind name } } } }"
    )
    schema = httpx.post(base_url + "/graphql", json={"query": query}).json()["data"]["__schema"]
    types = {t["name"]: t for t in schema["types"]}
    root = next(f for f in schema["queryType"]["fields"] if f["name"] == field)
    return _select(types, _named(root["type"]), depth)


def _named(type_ref: dict[str, Any]) -> str:
    while type_ref.get("ofType"):
        type_ref = type_ref["ofType"]
    return str(type_ref["name"])


def _select(types: dict[str, Any], type_name: str, depth: int) -> str:
    parts: list[str] = []
    for field in types[type_name]["fields"] or []:
        if field["args"] or field["name"].startswith("__"):
            continue
        inner = types[_named(field["type"])]
        if inner["kind"] in ("SCALAR", "ENUM"):
            parts.append(field["name"])
        elif inner["kind"] == "OBJECT" and depth > 1:
            nested = _select(types, inner["name"], depth - 1)
            if nested:
                parts.append(f"{field['name']} {nested}")
    return "{ " + " ".join(parts) + " }" if parts else ""
