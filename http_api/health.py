"""`/healthz` (the process answers), `/readyz` (its backends answer) and `/metrics`."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from datasources.backends import Backends


def health_routes(backends: Callable[[], Backends]) -> list[Route]:
    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        checks = await backends().readiness()
        # 503 only when this process cannot serve; a lost cache, replica or search engine
        # makes it slower (or search less rich), so it stays in rotation as `degraded`.
        ready = all(check.ok for check in checks.values() if check.required)
        degraded = not all(check.ok for check in checks.values())
        status = "unavailable" if not ready else "degraded" if degraded else "ready"
        return JSONResponse(
            {"status": status, "backends": {name: check.status for name, check in checks.items()}},
            status_code=200 if ready else 503,
        )

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
    ]
