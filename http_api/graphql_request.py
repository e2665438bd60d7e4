"""One GraphQL request as the request pipeline sees it (a POST body, or a GET's parameters as
one).

The raw body and the Authorization header are there at once; the parsed body and the verified
principal are worked out the first time something asks, so a response cache that answers from
the raw bytes costs neither.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

import orjson

from datasources.cache.cached_subscriptions import CachedEntry
from http_api.bearer_tokens import VerifiedTokens
from resolvers.auth import Principal


class BadRequestBody(ValueError):
    """The body is not a GraphQL request; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class _Body:
    query: str | None
    variables: dict[str, Any] | None
    operation_name: str | None
    persisted: dict[str, Any] | None


class GraphQLRequest:
    def __init__(
        self, raw_body: bytes, authorization: str | None, now: datetime, tokens: VerifiedTokens
    ) -> None:
        self.raw_body = raw_body
        self.authorization = authorization
        self.now = now
        self._tokens = tokens
        self._document: str | None = None
        # The signed-in user's subscriptions entry once a response cache has read it: the
        # request's loaders start from it rather than reading it again.
        self.my_entry: CachedEntry | None = None

    @cached_property
    def _parsed(self) -> _Body:
        try:
            body = orjson.loads(self.raw_body)
        except orjson.JSONDecodeError as error:
            raise BadRequestBody("the body is not valid JSON") from error
        if not isinstance(body, dict):
            raise BadRequestBody("the body must be a JSON object with a `query` string")
        query, variables = body.get("query"), body.get("variables")
        operation_name, extensions = body.get("operationName"), body.get("extensions")
        if extensions is not None and not isinstance(extensions, dict):
            raise BadRequestBody("`extensions` must be a JSON object")
        persisted = None if extensions is None else extensions.get("persistedQuery")
        if persisted is not None and not isinstance(persisted, dict):
            raise BadRequestBody("`extensions.persistedQuery` must be a JSON object")
        if not isinstance(query, str) and not (query is None and persisted is not None):
            raise BadRequestBody("the body must be a JSON object with a `query` string")
        if variables is not None and not isinstance(variables, dict):
            raise BadRequestBody("`variables` must be a JSON object")
        if operation_name is not None and not isinstance(operation_name, str):
            raise BadRequestBody("`operationName` must be a string")
        return _Body(query, variables, operation_name, persisted)

    @property
    def given_query(self) -> str | None:
        """The document's text as sent; None when only a persisted query's hash was."""
        return self._parsed.query

    @property
    def persisted_query(self) -> dict[str, Any] | None:
        """`extensions.persistedQuery` as sent."""
        return self._parsed.persisted

    def use_document(self, query: str) -> None:
        """The document persisted queries decided on, for the text the body names by hash."""
        self._document = query

    @property
    def query(self) -> str:
        """Raises BadRequestBody, as do `variables` and `operation_name`."""
        if self._document is not None:
            return self._document
        query = self._parsed.query
        if query is None:
            raise BadRequestBody("the body must be a JSON object with a `query` string")
        return query

    @property
    def variables(self) -> dict[str, Any] | None:
        return self._parsed.variables

    @property
    def operation_name(self) -> str | None:
        return self._parsed.operation_name

    @cached_property
    def principal(self) -> Principal | None:
        """None when anonymous; raises AuthenticationFailed for a bad token."""
        return self._tokens.principal(self.authorization, time.time())
