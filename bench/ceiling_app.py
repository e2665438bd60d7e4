"""The ceiling: a minimal Starlette endpoint that reads the POST body and returns fixed bytes.

Every `*.json` file in $COURSEGATE_BENCH_CEILING_DIR is served at `/ceiling/<stem>`, so one
server measures the ceiling of every operation with that operation's own response bytes.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

CEILING_DIR_ENV = "COURSEGATE_BENCH_CEILING_DIR"


def _endpoint(payload: bytes) -> Callable[[Request], Awaitable[Response]]:
    async def serve(request: Request) -> Response:
        await request.body()
        return Response(payload, media_type="application/json")

    return serve


def create_app() -> Starlette:
    directory = Path(os.environ[CEILING_DIR_ENV])
    routes = [
        Route(f"/ceiling/{path.stem}", _endpoint(path.read_bytes()), methods=["POST"])
        for path in sorted(directory.glob("*.json"))
    ]
    return Starlette(routes=routes)
