"""OpenTelemetry traces: off unless an OTLP endpoint is configured; on, a request's server span
continues the caller's trace, says which GraphQL operation ran and whether a response cache
answered, and holds a span per SQL statement (placeholders, never values) and per Redis
command. Exported over OTLP/HTTP by a real `coursegate serve`, received by a stand-in."""

from __future__ import annotations

import asyncio
import http.server
import secrets
import signal
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from datasources.backends import Backends, open_backends
from gateway import create_app
from http_api.tracing import redis_commands_traced
from jobs.demo_data import DEMO_USERS
from jobs.indexer import SearchIndexer
from jobs.seed import seed_demo
from settings import Settings
from tests import servers
from tests.conftest import token_for
from tests.gateway_process import serve

CATALOG = "query CatalogPage { courses(first: 3) { edges { node { id title } } } }"


@dataclass
class Traced:
    http: httpx.AsyncClient
    spans: InMemorySpanExporter
    backends: Backends


@pytest.fixture
async def traced(settings: Settings, backends: Backends) -> AsyncIterator[Traced]:
    """The gateway on backends of its own, traced; `backends` has emptied the tables."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    opened = await open_backends(settings, provider.get_tracer("test"))
    try:
        await seed_demo(opened)
        exporter.clear()  # the set-up's statements
        transport = httpx.ASGITransport(app=create_app(settings, opened, provider))
        with redis_commands_traced(provider, settings.cache_prefix):
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
                yield Traced(http, exporter, opened)
    finally:
        await opened.close()
        provider.shutdown()


def _server_span(spans: tuple[ReadableSpan, ...]) -> ReadableSpan:
    (server,) = [span for span in spans if span.kind is SpanKind.SERVER]
    return server


def _descends_from(
    span: ReadableSpan, ancestor: ReadableSpan, by_id: dict[int, ReadableSpan]
) -> bool:
    parent = span.parent
    while parent is not None:
        if ancestor.context is not None and parent.span_id == ancestor.context.span_id:
            return True
        above = by_id.get(parent.span_id)
        parent = None if above is None else above.parent
    return False


def test_tracing_is_off_unless_an_otlp_endpoint_is_configured(tmp_path: Path) -> None:
    assert not Settings.from_env({"COURSEGATE_DATA_DIR": str(tmp_path)}).tracing
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        env = {"COURSEGATE_DATA_DIR": str(tmp_path), name: "http://127.0.0.1:4318"}
        assert Settings.from_env(env).tracing
    untraced = create_app(Settings.from_env({"COURSEGATE_DATA_DIR": str(tmp_path)}))
    middleware: list[object] = [m.cls for m in untraced.user_middleware]
    assert OpenTelemetryMiddleware not in middleware


async def test_a_request_continues_the_callers_trace_with_its_statements_under_it(
    traced: Traced, settings: Settings
) -> None:
    trace_id, parent_id = secrets.token_hex(16), secrets.token_hex(8)
    response = await traced.http.post(
        "/graphql",
        json={"query": CATALOG},
        headers={"traceparent": f"00-{trace_id}-{parent_id}-01"},
    )
    assert response.status_code == 200 and "errors" not in response.json()
    spans = traced.spans.get_finished_spans()
    server = _server_span(spans)
    assert server.context is not None and server.parent is not None
    assert (server.context.trace_id, server.parent.span_id) == (
        int(trace_id, 16),
        int(parent_id, 16),
    )
    assert server.attributes is not None
    expected = {
        "graphql.operation.name": "CatalogPage",
        "graphql.operation.type": "query",
        "coursegate.operation.kind": "catalog",
        "coursegate.response_cache": "miss",
    }
    assert {key: server.attributes.get(key) for key in expected} == expected
    by_id = {span.context.span_id: span for span in spans if span.context is not None}
    statements = [s for s in spans if s.attributes and "db.query.text" in s.attributes]
    # The bucket map watch polls the catalog every 0.25 s in the background (MariaDB): each
    # round is a trace of its own, and may finish while the request runs.
    watch = [
        s for s in statements if "bucket_map_" in str((s.attributes or {}).get("db.query.text"))
    ]
    assert all(s.context.trace_id != server.context.trace_id for s in watch if s.context)
    statements = [s for s in statements if s not in watch]
    assert statements, [span.name for span in spans]
    for statement in statements:
        assert statement.attributes is not None
        assert _descends_from(statement, server, by_id)
        assert statement.name.split()[0] == statement.attributes["db.operation.name"]
        assert statement.attributes["db.namespace"] in ("catalog", "shard-0", "shard-1")
    if settings.redis_url is not None:  # production: the catalog cache is Redis
        commands = [s for s in spans if s.attributes and s.attributes.get("db.system") == "redis"]
        assert commands and all(_descends_from(c, server, by_id) for c in commands)
        keyspaces = {
            c.attributes.get("coursegate.cache.keyspace") for c in commands if c.attributes
        }
        assert "catalog:generation" in keyspaces or "course:*:details" in keyspaces, keyspaces


async def test_a_dataloader_batch_is_one_span_over_its_keys(
    traced: Traced, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Courses the snapshot holds are taken from it with no batch: here it holds none at hand.
    monkeypatch.setattr(traced.backends.catalog, "held_now", lambda course_id: None)
    query = "{ me { subscriptions(first: 20) { edges { node { course { title } } } } } }"
    headers = {"authorization": f"Bearer {token_for(DEMO_USERS[0])}"}
    response = await traced.http.post("/graphql", json={"query": query}, headers=headers)
    edges = response.json()["data"]["me"]["subscriptions"]["edges"]
    assert len(edges) >= 2
    spans = traced.spans.get_finished_spans()
    by_id = {span.context.span_id: span for span in spans if span.context is not None}
    (batch,) = [span for span in spans if span.name == "load courses"]
    assert batch.attributes is not None
    assert batch.attributes["coursegate.loader.keys"] == len(edges)
    assert _descends_from(batch, _server_span(spans), by_id)


async def test_a_response_cache_hit_runs_no_statement_and_says_so(traced: Traced) -> None:
    assert (await traced.http.post("/graphql", json={"query": CATALOG})).status_code == 200
    traced.spans.clear()
    assert (await traced.http.post("/graphql", json={"query": CATALOG})).status_code == 200
    spans = traced.spans.get_finished_spans()
    server = _server_span(spans)
    assert server.attributes is not None
    assert server.attributes["coursegate.response_cache"] == "hit"
    assert [s for s in spans if s.attributes and "db.query.text" in s.attributes] == []


async def test_a_search_is_a_span_of_its_engine_without_the_text(
    settings: Settings, traced: Traced
) -> None:
    await SearchIndexer(traced.backends).rebuild()
    traced.spans.clear()
    query = '{ search(query: "speed") { totalCount } }'
    response = await traced.http.post("/graphql", json={"query": query})
    total = response.json()["data"]["search"]["totalCount"]
    spans = traced.spans.get_finished_spans()
    by_id = {span.context.span_id: span for span in spans if span.context is not None}
    engine = "opensearch" if settings.search_url else "tantivy"
    (search,) = [span for span in spans if span.name == f"search {engine}"]
    assert search.attributes is not None
    assert search.attributes["coursegate.search.total"] == total
    assert "speed" not in str(dict(search.attributes))
    assert _descends_from(search, _server_span(spans), by_id)


async def test_probes_and_scrapes_are_not_traced(traced: Traced) -> None:
    for path in ("/healthz", "/metrics"):
        assert (await traced.http.get(path)).status_code == 200
    assert [
        s
        for s in traced.spans.get_finished_spans()
        if s.attributes and "http.route" in s.attributes
    ] == []


class _Collector(http.server.BaseHTTPRequestHandler):
    """Stand-in for an OpenTelemetry Collector's OTLP/HTTP receiver (none can be installed
    here): keeps every ExportTraceServiceRequest posted to /v1/traces, decoded."""

    received: list[ExportTraceServiceRequest]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        if self.path == "/v1/traces":
            request = ExportTraceServiceRequest()
            request.ParseFromString(body)
            self.received.append(request)
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def collector() -> Iterator[tuple[str, list[ExportTraceServiceRequest]]]:
    received: list[ExportTraceServiceRequest] = []
    handler = type("Collector", (_Collector,), {"received": received})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        thread.join()


async def test_a_served_gateway_exports_its_spans_over_otlp(
    tmp_path: Path, collector: tuple[str, list[ExportTraceServiceRequest]]
) -> None:
    endpoint, received = collector
    port = servers.free_port()
    settings = {
        "COURSEGATE_DATA_DIR": str(tmp_path),
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_SERVICE_NAME": "coursegate-test",
    }
    server = await serve(port, settings, tmp_path / "server.log")
    try:
        async with httpx.AsyncClient(timeout=30.0) as http:
            response = await http.post(f"http://127.0.0.1:{port}/graphql", json={"query": CATALOG})
        assert response.status_code == 200
    finally:
        server.send_signal(signal.SIGTERM)  # the lifespan's shutdown sends what is batched
        await asyncio.wait_for(server.wait(), 60)
    resource_spans = [rs for request in received for rs in request.resource_spans]
    services = {
        attribute.value.string_value
        for rs in resource_spans
        for attribute in rs.resource.attributes
        if attribute.key == "service.name"
    }
    assert services == {"coursegate-test"}
    spans = [span for rs in resource_spans for ss in rs.scope_spans for span in ss.spans]
    operations = {
        attribute.value.string_value
        for span in spans
        for attribute in span.attributes
        if attribute.key == "graphql.operation.name"
    }
    assert operations == {"CatalogPage"}
    assert any(span.name.startswith("SELECT ") for span in spans)
