"""`/healthz` (the process answers), `/readyz` (its backends answer) and `/metrics`."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from prometheus_client import CONTENT_TYPE_LATEST, Gauge
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from datasources.backends import Backends
from http_api.draining import Drain
from http_api.metrics_registry import exposition
from records.events import EventKind

EVENT_BACKLOG = Gauge(
    "coursegate_event_backlog",
    "Events not yet relayed (outbox:<shard>) or acked (consumer:<name>), and analytics day"
    " counts not yet in the series store (export:analytics), read at scrape",
    ["queue"],
    multiprocess_mode="mostrecent",  # the scraped worker read it from the databases
)


def health_routes(
    backends: Callable[[], Backends],
    consumers: Mapping[str, frozenset[EventKind]],
    drain: Drain,
) -> list[Route]:
    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        if drain.draining:  # out of rotation before it stops: http_api/draining.py
            return JSONResponse({"status": "draining"}, status_code=503)
        checks = await backends().readiness()
        # 503 only when this process cannot serve; a lost cache, replica or search engine
        # makes it slower (or search less rich), so it stays in rotation as `degraded`.
        ready = all(check.ok for check in checks.values() if check.required)
        degraded = not all(check.ok for check in checks.values())
        status = "unavailable" if not ready else "degraded" if degraded else "ready"
        return JSONResponse(
            {
                "status": status,
                "backends": {name: check.status for name, check in checks.items()},
                # Backlog never takes the process out of rotation: requests do not wait on it.
                "events": await backends().event_backlog(consumers),
            },
            status_code=200 if ready else 503,
        )

    async def metrics(request: Request) -> Response:
        for queue, count in (await backends().event_backlog(consumers)).items():
            # Unknown now: NaN (no value) rather than the last figure. Not removed: multiprocess
            # mode cannot remove a series.
            EVENT_BACKLOG.labels(queue).set(count if isinstance(count, int) else math.nan)
        return Response(exposition(), media_type=CONTENT_TYPE_LATEST)

    return [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
    ]
