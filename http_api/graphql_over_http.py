"""The rules of the GraphQL over HTTP specification the endpoint follows: which request media
types a POST may have, which response media type a client gets, how a GET request's query
string becomes a request body, and which results are request errors (no `data`)."""

from __future__ import annotations

from typing import Any, Final

import orjson
from starlette.datastructures import QueryParams
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from http_api.errors import JSON_MEDIA_TYPE
from http_api.graphql_request import BadRequestBody

GRAPHQL_RESPONSE_MEDIA_TYPE: Final = "application/graphql-response+json"
QUERIES_ONLY: Final = frozenset({OperationType.QUERY})
_GET_OBJECTS: Final = ("variables", "extensions")


def is_json(content_type: str | None) -> bool:
    """A POST body's type: application/json, in UTF-8 when a charset is given."""
    if content_type == JSON_MEDIA_TYPE:  # what nearly every client sends: no parsing
        return True
    if content_type is None:
        return False
    media_type, *params = (part.strip().lower() for part in content_type.split(";"))
    if media_type != JSON_MEDIA_TYPE:
        return False
    charsets = [value for name, _, value in (p.partition("=") for p in params) if name == "charset"]
    return all(charset.strip('"') == "utf-8" for charset in charsets)


def response_media_type(accept: str | None) -> str:
    """application/graphql-response+json when the client accepts it, else application/json
    (which is also what a client that sends no Accept gets)."""
    if accept is None or GRAPHQL_RESPONSE_MEDIA_TYPE not in accept:
        return JSON_MEDIA_TYPE
    for item in accept.split(","):
        media_type, *params = (part.strip().lower() for part in item.split(";"))
        if media_type == GRAPHQL_RESPONSE_MEDIA_TYPE and "q=0" not in params:
            return GRAPHQL_RESPONSE_MEDIA_TYPE
    return JSON_MEDIA_TYPE


def get_request_body(params: QueryParams) -> bytes:
    """The JSON body a GET request's parameters stand for: `query` and `operationName` as
    given, `variables` and `extensions` decoded from the JSON they hold. Raises
    BadRequestBody."""
    body: dict[str, Any] = {}
    for name in ("query", "operationName"):
        if name in params:
            body[name] = params[name]
    for name in _GET_OBJECTS:
        if name in params:
            try:
                body[name] = orjson.loads(params[name])
            except orjson.JSONDecodeError as error:
                raise BadRequestBody(f"`{name}` is not a JSON object") from error
            if not isinstance(body[name], dict):
                raise BadRequestBody(f"`{name}` is not a JSON object")
    return orjson.dumps(body)


def is_request_error(result: ExecutionResult) -> bool:
    """The document did not parse or validate, or the variables did not fit it: nothing ran.
    (A field error that nulls the whole `data` carries the path of its field.)"""
    if isinstance(result, PreExecutionError):
        return True
    return (
        result.data is None
        and bool(result.errors)
        and all(error.path is None for error in result.errors or ())
    )
