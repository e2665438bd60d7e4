"""Composes the ASGI app from the HTTP layer (`http_api/`): /graphql (and GraphiQL's files at
/graphiql), /webhooks/razorpay, /healthz, /readyz, /metrics, /admin/analytics, /content (media of
the embedded store), and on the embedded default the /checkout sandbox page and the /learn page;
CORS for the browser origins the settings name (`http_api/cors.py`).

The lifespan opens the datasources the settings name, starts the background work the embedded
default runs in-process, and closes everything on shutdown.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from opentelemetry.sdk.trace import TracerProvider
from starlette.applications import Starlette
from starlette.routing import Route

from datasources.backends import Backends, open_backends
from http_api.admin_analytics import admin_analytics_routes
from http_api.bearer_tokens import VerifiedTokens
from http_api.client_identity import TrustedProxies
from http_api.content_files import content_file_routes
from http_api.cors import cors_middleware
from http_api.draining import Drain
from http_api.graphiql import graphiql_asset_routes
from http_api.graphql_endpoint import GraphQLEndpoint
from http_api.health import health_routes
from http_api.learn_page import learn_page_routes
from http_api.metrics_registry import process_stopped
from http_api.playlists import playlist_routes
from http_api.response_caches import response_cache_chain
from http_api.response_caches.catalog_changes import following
from http_api.sandbox_checkout import sandbox_checkout_routes
from http_api.tracing import otlp_tracer_provider, redis_commands_traced, tracing_middleware
from http_api.webhooks import webhook_routes
from jobs.consumers.registry import CONSUMER_KINDS, CONSUMERS
from jobs.consumers.runner import consume
from jobs.indexer import SearchIndexer
from jobs.lifecycle import LifecycleRunner
from jobs.metrics_sampler import sample_metrics
from jobs.recommend_daily import recommend_daily
from jobs.reconcile_loop import reconcile_periodically
from jobs.relay import Relay
from resolvers.auth import token_verifier
from schema import build_schema
from settings import Settings


async def settle(backends: Backends) -> None:
    """What a process keeps for its life is read now and kept out of every GC pass: the
    catalog in memory (left to the first request, its courses made a warm catalog page 26 %
    slower in bench.in_process: every full collection walked them), then every other start-up
    object."""
    await backends.catalog.load()
    gc.freeze()


def create_app(
    settings: Settings | None = None,
    backends: Backends | None = None,
    tracer_provider: TracerProvider | None = None,
) -> Starlette:
    """`backends` given: the caller owns them (tests); otherwise the lifespan opens them.
    `tracer_provider` given: requests are traced to it (tests), otherwise to OTLP when the
    settings say so (http_api/tracing.py)."""
    settings = settings or Settings.from_env()
    cors = cors_middleware(settings)  # first: a CORS setting that cannot work is refused
    if tracer_provider is None and settings.tracing:
        tracer_provider = otlp_tracer_provider()
    tracing = [] if tracer_provider is None else [tracing_middleware(tracer_provider)]
    tracer = None if tracer_provider is None else tracer_provider.get_tracer("coursegate")
    # Given backends serve at once: an ASGI test transport never runs the lifespan.
    state: dict[str, Backends] = {} if backends is None else {"backends": backends}

    def current_backends() -> Backends:
        return state["backends"]

    caches = response_cache_chain(settings.cache_enabled, current_backends)
    drain = Drain()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if backends is not None:
            async with following(backends.events, caches.generation):
                yield
            return
        opened = await open_backends(settings, tracer)
        state["backends"] = opened
        stop = asyncio.Event()
        background = _background_work(settings, opened, stop)
        await settle(opened)
        restore_sigterm = drain.on_sigterm(settings.drain_seconds)
        try:
            with redis_commands_traced(tracer_provider, settings.cache_prefix):
                async with following(opened.events, caches.generation):
                    yield
        finally:
            restore_sigterm()
            stop.set()
            for task in background:
                await task  # a lifecycle job stops after its current batches, resumes next start
            await opened.close()
            process_stopped()
            if tracer_provider is not None:
                tracer_provider.shutdown()  # sends the spans still batched

    endpoint = GraphQLEndpoint(
        build_schema(settings.max_query_cost),
        current_backends,
        VerifiedTokens(token_verifier(settings)),
        caches,
        settings.persisted_only,
        settings.public_max_age_seconds,
        settings.csrf_prevention,
        TrustedProxies(settings.trusted_proxies),
        tracer=tracer,
    )
    return Starlette(
        routes=[
            Route("/graphql", endpoint.get, methods=["GET"]),
            Route("/graphql", endpoint.post, methods=["POST"]),
            *graphiql_asset_routes(),
            *webhook_routes(current_backends),
            *content_file_routes(current_backends),
            *playlist_routes(current_backends),
            *health_routes(current_backends, CONSUMER_KINDS, drain),
            *admin_analytics_routes(),
            # The sandbox checkout page: embedded mode only.
            *([] if settings.production else sandbox_checkout_routes(current_backends)),
            *([] if settings.production else learn_page_routes()),  # the /learn page
        ],
        middleware=[*tracing, *cors],
        lifespan=lifespan,
    )


def _background_work(
    settings: Settings, backends: Backends, stop: asyncio.Event
) -> list[asyncio.Task[None]]:
    """What this process runs beside serving, until `stop` is set."""
    tasks: list[asyncio.Task[None]] = []
    # Every process: its own pools' use, and the active subscriptions figure, for /metrics.
    tasks.append(asyncio.create_task(sample_metrics(backends, stop)))
    # The embedded index has one writer: this process. Production runs `coursegate indexer`.
    if settings.search_url is None:
        tasks.append(asyncio.create_task(SearchIndexer(backends).run(stop)))
    # Embedded default: lifecycle jobs, the reconciler, the recommendation job, the event relay
    # and the consumers run here too. Production runs `coursegate jobs`, `reconcile`,
    # `recommend`, `relay` and `consume NAME`.
    if not settings.production:
        tasks.append(asyncio.create_task(LifecycleRunner(backends, stop=stop).run()))
        tasks.append(asyncio.create_task(reconcile_periodically(backends, stop)))
        tasks.append(asyncio.create_task(recommend_daily(backends, stop)))
        tasks.append(asyncio.create_task(Relay(backends.outbox_engines, backends.events).run(stop)))
        for make_consumer in CONSUMERS.values():
            consumer = make_consumer(backends)
            tasks.append(asyncio.create_task(consume(backends.events, consumer, stop)))
    return tasks
