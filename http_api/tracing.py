"""OpenTelemetry traces: on when an OTLP endpoint is configured (`settings.tracing`: the SDK's own
OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, which the exporter reads, as
it does OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER and its headers and timeout). Off, nothing is
traced and nothing costs: no middleware, no wrapped engine, no instrumented client.

A request's trace: the ASGI middleware's server span (continuing a caller's W3C `traceparent`),
which the GraphQL endpoint labels with the operation it ran; under it a span per SQL statement
(datasources/sql/traced_engine.py), per search engine call (datasources/search/traced_engine.py),
per DataLoader batch (loaders/traced_batches.py) and per
Redis command (OpenTelemetry's redis instrumentation, each span naming the cache keyspace of
the command's key).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.sdk.resources import OTELResourceDetector, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, get_current_span
from starlette.middleware import Middleware

from http_api.request_metrics import OperationLabel
from schema.operation_kinds import OperationKind

SERVICE_NAME = "coursegate"  # unless OTEL_SERVICE_NAME says otherwise
UNTRACED_PATHS = "/healthz,/readyz,/metrics"  # probes and scrapes, every few seconds


def otlp_tracer_provider() -> TracerProvider:
    """Spans batched to the OTLP/HTTP endpoint the environment names."""
    # The environment's resource attributes (OTEL_SERVICE_NAME among them) win over the default.
    resource = Resource.create({"service.name": SERVICE_NAME}).merge(
        OTELResourceDetector().detect()
    )
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


def tracing_middleware(provider: TracerProvider) -> Middleware:
    return Middleware(
        OpenTelemetryMiddleware,
        tracer_provider=provider,
        excluded_urls=UNTRACED_PATHS,
        exclude_spans=["receive", "send"],  # a span per ASGI message says nothing here
    )


@contextmanager
def redis_commands_traced(provider: TracerProvider | None, key_prefix: str) -> Iterator[None]:
    """Every Redis client of the process traced while it lasts (the instrumentation patches
    redis-py's classes, so it is process-wide); nothing without a provider."""
    if provider is None:
        yield
        return
    instrumentor = RedisInstrumentor()
    instrumentor.instrument(tracer_provider=provider, request_hook=_keyspace_of(key_prefix))
    try:
        yield
    finally:
        instrumentor.uninstrument()


def _keyspace_of(key_prefix: str) -> Callable[[Span, object, Sequence[object], object], None]:
    """A command's first key as its keyspace: `cg:course:17:details` is `course:*:details`."""
    prefix = key_prefix.encode()

    def hook(span: Span, instance: object, args: Sequence[object], kwargs: object) -> None:
        key = args[1] if len(args) > 1 else None
        if isinstance(key, str):
            key = key.encode()
        if not isinstance(key, bytes) or not key.startswith(prefix):
            return  # no key (PING), or a script's sha
        parts = key[len(prefix) :].decode(errors="replace").split(":")
        keyspace = ":".join("*" if part.isdigit() else part for part in parts)
        span.set_attribute("coursegate.cache.keyspace", keyspace)

    return hook


def describe_request(operation: OperationLabel, cache_hit: bool) -> None:
    """Labels the request's server span with the GraphQL operation it ran."""
    span = get_current_span()
    if not span.is_recording():
        return
    is_mutation = operation.kind is OperationKind.MUTATION
    span.set_attributes(
        {
            "graphql.operation.name": operation.name,
            "graphql.operation.type": "mutation" if is_mutation else "query",
            "coursegate.operation.kind": operation.kind.value,
            "coursegate.response_cache": "hit" if cache_hit else "miss",
        }
    )
