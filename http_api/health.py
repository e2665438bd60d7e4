"""`/healthz` (the process answers), `/readyz` (its backends answer) and `/metrics`."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from datasources.backends import SEARCH_CHECK, Backends


def health_routes(backends: Callable[[], Backends]) -> list[Route]:
    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        checks = await backends().readiness()
        # Search down still serves (queries fall back to the database): degraded, not unready.
        ready = all(status == "ok" for name, status in checks.items() if name != SEARCH_CHECK)
        degraded = not ready or checks.get(SEARCH_CHECK) != "ok"
        return JSONResponse(
            {"status": "degraded" if degraded else "ready", "backends": checks},
            status_code=200 if ready else 503,
        )

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
    ]
