"""Builds the ASGI app: /graphql (GraphiQL on GET), /healthz, /readyz, /metrics.

The lifespan opens the datasources the settings name and closes them on shutdown.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import orjson
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from strawberry.http.ides import get_graphql_ide_html

from checkout_page import sandbox_checkout_routes
from datasources.backends import SEARCH_CHECK, Backends, open_backends
from datasources.payments.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER
from domain.checkout.webhook_delivery import handle_razorpay_webhook
from jobs.indexer import SearchIndexer
from jobs.lifecycle import LifecycleRunner
from jobs.reconcile_loop import reconcile_periodically
from loaders import Loaders
from resolvers.auth import AuthenticationFailed
from resolvers.context import RequestContext
from resolvers.no_response_cache import NoResponseCache
from resolvers.response_cache import ResponseCache
from resolvers.search_response_cache import SearchResponseCache
from resolvers.user_response_cache import UserResponseCache
from resolvers.verified_tokens import VerifiedTokens
from schema import build_schema
from settings import Settings

log = logging.getLogger("coursegate")

MAX_BODY_BYTES = 64 * 1024
MAX_WEBHOOK_BODY_BYTES = 256 * 1024
_JSON = "application/json"


def _error_response(status: int, message: str, code: str, request_id: str) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return Response(
        orjson.dumps(body), status, media_type=_JSON, headers={"x-request-id": request_id}
    )


def _parse_graphql_body(raw: bytes) -> tuple[str, dict[str, Any] | None, str | None]:
    """(query, variables, operationName) or ValueError with what is wrong."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise ValueError("the body is not valid JSON") from error
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        raise ValueError("the body must be a JSON object with a `query` string")
    variables = body.get("variables")
    operation_name = body.get("operationName")
    if variables is not None and not isinstance(variables, dict):
        raise ValueError("`variables` must be a JSON object")
    if operation_name is not None and not isinstance(operation_name, str):
        raise ValueError("`operationName` must be a string")
    return body["query"], variables, operation_name


def create_app(settings: Settings | None = None, backends: Backends | None = None) -> Starlette:
    """`backends` given: the caller owns them (tests); otherwise the lifespan opens them."""
    settings = settings or Settings.from_env()
    schema = build_schema()
    graphiql_html = get_graphql_ide_html()
    # Given backends serve at once: an ASGI test transport never runs the lifespan.
    state: dict[str, Backends] = {} if backends is None else {"backends": backends}
    responses: ResponseCache | NoResponseCache = (
        ResponseCache(lambda: state["backends"].catalog.generation())
        if settings.cache_enabled
        else NoResponseCache()
    )
    # With the cache off the subscriptions entry is never there, so this never stores.
    user_responses = UserResponseCache(
        lambda: state["backends"].subscriptions, lambda: state["backends"].catalog.generation()
    )
    tokens = VerifiedTokens(settings.jwt_secret)
    # Keyed by the anonymous ticket: off with the cache, never for signed-in requests.
    search_responses = SearchResponseCache()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if backends is not None:
            yield
            return
        opened = await open_backends(settings)
        state["backends"] = opened
        # The embedded index has one writer: this process. Production runs `coursegate indexer`.
        stop_indexer = asyncio.Event()
        indexer: asyncio.Task[None] | None = None
        if settings.search_url is None:
            indexer = asyncio.create_task(SearchIndexer(opened).run(stop_indexer))
        # Embedded default: lifecycle jobs and the reconciler run here too. Production runs
        # `coursegate jobs` and `coursegate reconcile`.
        embedded_jobs: list[asyncio.Task[None]] = []
        if not settings.uses_mysql:
            embedded_jobs = [
                asyncio.create_task(LifecycleRunner(opened, stop=stop_indexer).run()),
                asyncio.create_task(reconcile_periodically(opened, stop_indexer)),
            ]
        gc.freeze()  # start-up objects never become garbage: keep them out of every GC pass
        try:
            yield
        finally:
            stop_indexer.set()
            if indexer is not None:
                await indexer
            for task in embedded_jobs:
                await task  # a lifecycle job stops after its current batches, resumes next start
            await opened.close()

    async def graphql_get(request: Request) -> Response:
        return HTMLResponse(graphiql_html)

    async def graphql_post(request: Request) -> Response:
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        raw = await request.body()
        if len(raw) > MAX_BODY_BYTES:
            return _error_response(413, "the request body is too large", "BAD_REQUEST", request_id)
        ticket = await responses.lookup(raw, request.headers.get("authorization"))
        if ticket.response is not None:
            return Response(ticket.response, media_type=_JSON, headers={"x-request-id": request_id})
        search_ticket = search_responses.lookup(ticket, state["backends"].search.index_version())
        if search_ticket.response is not None:
            return Response(
                search_ticket.response, media_type=_JSON, headers={"x-request-id": request_id}
            )
        try:
            query, variables, operation_name = _parse_graphql_body(raw)
        except ValueError as error:
            return _error_response(400, str(error), "BAD_REQUEST", request_id)
        try:
            principal = tokens.principal(request.headers.get("authorization"), time.time())
        except AuthenticationFailed as error:
            return _error_response(401, str(error), "UNAUTHENTICATED", request_id)
        now = datetime.now(UTC)
        mine = await user_responses.lookup(raw, query, operation_name, principal, now)
        if mine.response is not None:
            return Response(mine.response, media_type=_JSON, headers={"x-request-id": request_id})
        opened = state["backends"]
        context = RequestContext(
            backends=opened,
            loaders=Loaders.for_request(opened.catalog),
            principal=principal,
            request_id=request_id,
            now=now,
        )
        result = await schema.execute(
            query,
            variable_values=variables,
            context_value=context,
            operation_name=operation_name,
        )
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [error.formatted for error in result.errors]
        if context.extensions:
            payload["extensions"] = context.extensions
        body = orjson.dumps(payload)
        responses.store(ticket, query, operation_name, len(payload) == 1, body)
        user_responses.store(mine, query, len(payload) == 1, body, now)
        search_responses.store(search_ticket, query, operation_name, len(payload) == 1, body)
        return Response(body, media_type=_JSON, headers={"x-request-id": request_id})

    async def razorpay_webhook(request: Request) -> Response:
        raw = await request.body()
        if len(raw) > MAX_WEBHOOK_BODY_BYTES:
            return JSONResponse({"status": "too_large"}, status_code=413)
        reply = await handle_razorpay_webhook(
            state["backends"],
            raw,
            request.headers.get(SIGNATURE_HEADER),
            request.headers.get(EVENT_ID_HEADER),
            datetime.now(UTC),
        )
        return JSONResponse({"status": reply.value}, status_code=reply.http_status)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        checks = await state["backends"].readiness()
        # Search down still serves (queries fall back to the database): degraded, not unready.
        ready = all(status == "ok" for name, status in checks.items() if name != SEARCH_CHECK)
        degraded = not ready or checks.get(SEARCH_CHECK) != "ok"
        return JSONResponse(
            {"status": "degraded" if degraded else "ready", "backends": checks},
            status_code=200 if ready else 503,
        )

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return Starlette(
        routes=[
            Route("/graphql", graphql_get, methods=["GET"]),
            Route("/graphql", graphql_post, methods=["POST"]),
            Route("/webhooks/razorpay", razorpay_webhook, methods=["POST"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
            # The sandbox checkout page: embedded mode only.
            *([] if settings.uses_mysql else sandbox_checkout_routes(lambda: state["backends"])),
        ],
        lifespan=lifespan,
    )
