"""One `POST /graphql` as the request pipeline sees it.

The raw body and the Authorization header are there at once; the parsed body and the verified
principal are worked out the first time something asks, so a response cache that answers from
the raw bytes costs neither.
"""

from __future__ import annotations

import time
from datetime import datetime
from functools import cached_property
from typing import Any

import orjson

from http_api.bearer_tokens import VerifiedTokens
from resolvers.auth import Principal


class BadRequestBody(ValueError):
    """The body is not a GraphQL request; the message says what is wrong."""


class GraphQLRequest:
    def __init__(
        self, raw_body: bytes, authorization: str | None, now: datetime, tokens: VerifiedTokens
    ) -> None:
        self.raw_body = raw_body
        self.authorization = authorization
        self.now = now
        self._tokens = tokens

    @cached_property
    def _parsed(self) -> tuple[str, dict[str, Any] | None, str | None]:
        try:
            body = orjson.loads(self.raw_body)
        except orjson.JSONDecodeError as error:
            raise BadRequestBody("the body is not valid JSON") from error
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            raise BadRequestBody("the body must be a JSON object with a `query` string")
        variables = body.get("variables")
        operation_name = body.get("operationName")
        if variables is not None and not isinstance(variables, dict):
            raise BadRequestBody("`variables` must be a JSON object")
        extensions = body.get("extensions")
        if extensions is not None and not isinstance(extensions, dict):
            raise BadRequestBody("`extensions` must be a JSON object")
        if operation_name is not None and not isinstance(operation_name, str):
            raise BadRequestBody("`operationName` must be a string")
        return body["query"], variables, operation_name

    @property
    def query(self) -> str:
        """Raises BadRequestBody, as do `variables` and `operation_name`."""
        return self._parsed[0]

    @property
    def variables(self) -> dict[str, Any] | None:
        return self._parsed[1]

    @property
    def operation_name(self) -> str | None:
        return self._parsed[2]

    @cached_property
    def principal(self) -> Principal | None:
        """None when anonymous; raises AuthenticationFailed for a bad token."""
        return self._tokens.principal(self.authorization, time.time())
