"""`/graphql` as the GraphQL over HTTP specification has it: POST with a JSON body, GET with the
request in the query string (queries only: a mutation over GET is refused with 405, so a GET can
be cached and can change nothing); GraphiQL on a GET without a query (its files served by the
gateway: `http_api/graphiql.py`).

body limit -> response caches -> body parsing -> bearer token -> execution -> caches keep it.
Every refusal before execution is a GraphQL-shaped error body with its HTTP status. A client
that accepts `application/graphql-response+json` gets it, and a request error (a document that
does not parse or validate, variables that do not fit it) answered 400 without `data`; others
get `application/json`, where the specification keeps 200 for those.
"""

from __future__ import annotations

import math
import re
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from graphql import GraphQLError
from opentelemetry.trace import Tracer
from prometheus_client import Counter
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from strawberry import Schema
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from datasources.backends import Backends
from domain.rate_limits import REQUESTS
from http_api import csrf, persisted_queries
from http_api.bearer_tokens import VerifiedTokens
from http_api.client_identity import TrustedProxies, client_key
from http_api.compression import MIN_BYTES, CompressedBodies, compress, preferred_encoding
from http_api.errors import error_response
from http_api.graphiql import graphiql_html
from http_api.graphql_over_http import (
    GRAPHQL_RESPONSE_MEDIA_TYPE,
    QUERIES_ONLY,
    get_request_body,
    is_json,
    is_request_error,
    response_media_type,
)
from http_api.graphql_request import BadRequestBody, GraphQLRequest
from http_api.persisted_queries import PersistedQueryRefused
from http_api.request_metrics import OperationLabel, OperationLabels, count_errors, count_refusal
from http_api.response_caches.chain import Answer, ResponseCacheChain
from http_api.tracing import describe_request
from loaders import Loaders
from resolvers.auth import AuthenticationFailed
from resolvers.context import RequestContext
from resolvers.rate_limits import RATE_LIMITED, rate_limited_message

MAX_BODY_BYTES = 64 * 1024

RATE_LIMITED_REQUESTS = Counter(
    "coursegate_rate_limited",
    "Requests refused with 429 by the budget they had spent (requests, or mutations or cost)",
    ["budget"],
)
# A caller's x-request-id is kept (and echoed) when it is this short and printable; it goes
# into log lines, so anything else is replaced by one of ours.
_REQUEST_ID = re.compile(r"[!-~]{1,128}")


class GraphQLEndpoint:
    def __init__(
        self,
        schema: Schema,
        backends: Callable[[], Backends],
        tokens: VerifiedTokens,
        caches: ResponseCacheChain,
        persisted_only: bool = False,
        public_max_age_seconds: int = 0,
        csrf_prevention: bool = True,
        proxies: TrustedProxies | None = None,
        tracer: Tracer | None = None,
    ) -> None:
        self._tracer = tracer  # label the request's span, trace its batches (http_api/tracing.py)
        self._proxies = proxies or TrustedProxies(())
        self._public_cache_control = f"public, max-age={public_max_age_seconds}"
        self._schema = schema
        self._persisted_only = persisted_only  # the safelist: registered documents only
        self._csrf_prevention = csrf_prevention  # http_api/csrf.py
        self._backends = backends
        self._tokens = tokens
        self._caches = caches
        self._graphiql_html = graphiql_html()  # its assets from /graphiql/, not a CDN
        self._compressed = CompressedBodies()
        self._labels = OperationLabels()

    async def get(self, request: Request) -> Response:
        params = request.query_params
        if "query" not in params and "extensions" not in params:
            return HTMLResponse(self._graphiql_html)
        exchange = _Exchange.of(request, self._labels.unread)
        try:
            if self._csrf_prevention and not csrf.would_be_preflighted(exchange.headers):
                return _refusal(exchange, 400, csrf.REFUSAL, "BAD_REQUEST")
            try:
                raw = get_request_body(params)
            except BadRequestBody as error:
                return _refusal(exchange, 400, str(error), "BAD_REQUEST")
            return await self._serve(exchange, raw, QUERIES_ONLY)
        finally:
            self._answered(exchange)

    async def post(self, request: Request) -> Response:
        exchange = _Exchange.of(request, self._labels.unread)
        try:
            # Before the media type: the refusal a form POST gets names the header to send.
            if self._csrf_prevention and not csrf.would_be_preflighted(exchange.headers):
                return _refusal(exchange, 400, csrf.REFUSAL, "BAD_REQUEST")
            if not is_json(exchange.headers.get("content-type")):
                return _refusal(
                    exchange, 415, "a POST body is application/json", "UNSUPPORTED_MEDIA_TYPE"
                )
            raw = await request.body()
            if len(raw) > MAX_BODY_BYTES:
                return _refusal(exchange, 413, "the request body is too large", "BAD_REQUEST")
            return await self._serve(exchange, raw, None)
        finally:
            self._answered(exchange)

    async def _serve(
        self, exchange: _Exchange, raw: bytes, allowed: frozenset[OperationType] | None
    ) -> Response:
        graphql_request = GraphQLRequest(
            raw, exchange.headers.get("authorization"), datetime.now(UTC), self._tokens
        )
        # Who asks comes first: a request over its client's budget costs nothing more.
        try:
            principal = graphql_request.principal
        except AuthenticationFailed as error:
            return _refusal(exchange, 401, str(error), "UNAUTHENTICATED")
        address = self._proxies.client_address(
            exchange.peer, exchange.headers.get("x-forwarded-for")
        )
        client = client_key(principal, address)
        wait = await self._backends().rate_limits.charge_request(client)
        if wait:
            return self._rate_limited(exchange, wait, REQUESTS)
        if persisted_queries.may_involve(raw, self._persisted_only):
            try:
                await persisted_queries.decide(
                    graphql_request, self._backends().persisted_queries, self._persisted_only
                )
            except BadRequestBody as error:
                return _refusal(exchange, 400, str(error), "BAD_REQUEST")
            except PersistedQueryRefused as refused:
                count_refusal(refused.code)
                problem = {"message": str(refused), "extensions": {"code": refused.code}}
                return self._request_error(exchange, [problem], refused)
        try:
            cached = await self._caches.lookup(graphql_request)
            if isinstance(cached, Answer):
                exchange.operation = cached.operation or exchange.operation
                exchange.cache_hit = True
                # A cache keeps data-only answers, and an anonymous one none that carry links.
                public = graphql_request.authorization is None
                return self._json(exchange, cached.body, repeated=True, public=public)
            query = graphql_request.query
            exchange.operation = self._labels.of_request(query, graphql_request.operation_name)
        except BadRequestBody as error:
            return _refusal(exchange, 400, str(error), "BAD_REQUEST")
        backends = self._backends()
        context = RequestContext(
            backends=backends,
            loaders=Loaders.for_request(
                backends,
                None if principal is None else principal.user_id,
                self._tracer,
                graphql_request.my_entry,
            ),
            principal=principal,
            request_id=exchange.request_id,
            now=graphql_request.now,
            client=client,
        )
        try:
            result = await self._schema.execute(
                query,
                variable_values=graphql_request.variables,
                context_value=context,
                operation_name=graphql_request.operation_name,
                allowed_operation_types=allowed,
            )
        except (MissingQueryError, CannotGetOperationTypeError):
            # strawberry raises these rather than answering: an empty query, or no single
            # operation to run (an unknown operationName, or several operations and none named).
            message = (
                "`query` is empty, or `operationName` does not name one of its operations"
                " (it must when there are several)"
            )
            return _refusal(exchange, 400, message, "BAD_REQUEST")
        except InvalidOperationTypeError:
            refusal = _refusal(
                exchange,
                405,
                "a GET request runs queries only: POST mutations",
                "METHOD_NOT_ALLOWED",
            )
            refusal.headers["allow"] = "POST"
            return refusal
        if is_request_error(result):
            assert result.errors
            retry_after = _retry_after(result.errors[0])
            if retry_after is not None:
                return self._rate_limited(exchange, retry_after, "mutations or cost")
            count_errors(result.errors)
            formatted = [error.formatted for error in result.errors]
            return self._request_error(exchange, formatted)
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            count_errors(result.errors)
            payload["errors"] = [error.formatted for error in result.errors]
        if context.extensions:
            payload["extensions"] = context.extensions
        body = orjson.dumps(payload)
        answer = Answer(body, len(payload) == 1, context.links_expire_at, exchange.operation)
        self._caches.store(cached, graphql_request, answer)
        public = principal is None and answer.data_only and answer.links_expire_at is None
        return self._json(exchange, body, repeated=False, public=public)

    def _answered(self, exchange: _Exchange) -> None:
        exchange.operation.observe(time.perf_counter() - exchange.started)
        if self._tracer is not None:
            describe_request(exchange.operation, exchange.cache_hit)

    def _rate_limited(self, exchange: _Exchange, wait_seconds: float, budget: str) -> Response:
        RATE_LIMITED_REQUESTS.labels(budget).inc()
        count_refusal(RATE_LIMITED)
        seconds = max(1, math.ceil(wait_seconds))
        problem = {
            "message": rate_limited_message(wait_seconds),
            "extensions": {"code": RATE_LIMITED, "retryAfterSeconds": seconds},
        }
        refusal = self._json(exchange, orjson.dumps({"errors": [problem]}), False, 429)
        refusal.headers["retry-after"] = str(seconds)
        return refusal

    def _request_error(
        self,
        exchange: _Exchange,
        errors: Sequence[Mapping[str, Any]],
        refused: PersistedQueryRefused | None = None,
    ) -> Response:
        """Nothing ran: `errors` without `data`, as 400 for graphql-response+json clients and
        200 for application/json ones (a refused persisted query may be a plain bad request)."""
        bad_request = refused is not None and not refused.request_error
        new_style = exchange.media_type == GRAPHQL_RESPONSE_MEDIA_TYPE
        status = 400 if bad_request or new_style else 200
        body = orjson.dumps({"errors": list(errors)})
        return self._json(exchange, body, repeated=False, status=status)

    def _json(
        self,
        exchange: _Exchange,
        body: bytes,
        repeated: bool,
        status: int = 200,
        public: bool = False,
    ) -> Response:
        """`repeated`: a cached body, whose compressed forms are kept for the next hit.
        `public`: the same for everyone (anonymous, data only, no signed links), which a CDN
        may keep for a while when it came over GET; any other GET answer is no-store."""
        headers = {"x-request-id": exchange.request_id, "vary": "accept-encoding"}
        if exchange.is_get:
            headers["vary"] = "accept, accept-encoding, authorization"
            headers["cache-control"] = (
                self._public_cache_control if public and status == 200 else "private, no-store"
            )
        encoding = (
            preferred_encoding(exchange.headers.get("accept-encoding"))
            if len(body) >= MIN_BYTES
            else None
        )
        if encoding is not None:
            headers["content-encoding"] = encoding
            body = self._compressed.get(body, encoding) if repeated else compress(body, encoding)
        return Response(body, status, media_type=exchange.media_type, headers=headers)


@dataclass(slots=True)
class _Exchange:
    """What answering one request needs to know about it, and what the metrics count it as."""

    headers: dict[str, str]  # lower-case names; one pass over the raw list (Starlette's
    # Headers scans it on every get, which five gets a request made a measurable cost)
    request_id: str
    media_type: str  # of the answer
    is_get: bool
    peer: str | None  # the connection's address
    operation: OperationLabel  # known once its document is
    started: float
    cache_hit: bool = False

    @classmethod
    def of(cls, request: Request, unread: OperationLabel) -> _Exchange:
        headers = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in request.scope["headers"]
        }
        return cls(
            headers,
            _request_id(headers.get("x-request-id")),
            response_media_type(headers.get("accept")),
            request.method == "GET",
            client[0] if (client := request.scope.get("client")) else None,
            unread,
            time.perf_counter(),
        )


def _refusal(exchange: _Exchange, status: int, message: str, code: str) -> Response:
    """The request stops here, before its document runs."""
    count_refusal(code)
    return error_response(status, message, code, exchange.request_id)


def _retry_after(error: GraphQLError) -> float | None:
    """How long a request refused by its client's budgets should wait; None for any other."""
    extensions = error.extensions or {}
    if extensions.get("code") != RATE_LIMITED:
        return None
    return float(extensions["retryAfterSeconds"])


def _request_id(given: str | None) -> str:
    return given if given is not None and _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
