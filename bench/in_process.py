"""What the gateway's own Python costs per warm request, without HTTP or a load generator: the
ASGI app on the embedded default with demo data, called directly, one request at a time.

    python -m bench.in_process [--requests 20000] [--rounds 5]

Prints microseconds per request (the median round, and the best) for a warm catalog page, course
details and a signed-in user's subscriptions. Useful to compare two revisions of the request
path (run it in each checkout, alternating); wrk figures (`bench.run`) also hold the server's
HTTP parsing and the client's share of the core.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import orjson

from bench.operations import CATALOG_QUERY, DETAILS_QUERY, SUBSCRIPTIONS_QUERY
from datasources.backends import open_backends
from domain.rate_limits import Budgets
from gateway import create_app, settle
from jobs.demo_data import DEMO_USERS
from jobs.seed import seed_demo
from records.catalog import CourseFilter
from resolvers.auth import issue_token
from settings import Settings

JWT_SECRET = "in-process-bench-only-" + "x" * 16

Message = MutableMapping[str, Any]
App = Callable[
    [Message, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]


def _scope(headers: list[tuple[bytes, bytes]]) -> Message:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def _request(app: App, body: bytes, headers: list[tuple[bytes, bytes]]) -> int:
    status = 0
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(_scope(headers), receive, send)
    return status


async def _measure(
    app: App, body: bytes, headers: list[tuple[bytes, bytes]], requests: int, rounds: int
) -> list[float]:
    assert await _request(app, body, headers) == 200  # warms the caches
    per_round = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(requests):
            await _request(app, body, headers)
        per_round.append((time.perf_counter() - started) / requests * 1e6)
    return per_round


async def _main(requests: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(data_dir=Path(data_dir), jwt_secret=JWT_SECRET, rate_limits=Budgets())
        backends = await open_backends(settings)
        try:
            await backends.migrate()
            await seed_demo(backends)
            app: App = create_app(settings, backends)
            await settle(backends)  # as the gateway's start does
            json = [(b"content-type", b"application/json")]
            token = issue_token(JWT_SECRET, DEMO_USERS[0]).encode()
            (course,) = await backends.uncached_catalog.list_courses(CourseFilter(), None, 1)
            cases = {
                "catalog": (orjson.dumps({"query": CATALOG_QUERY}), json),
                "details": (
                    orjson.dumps({"query": DETAILS_QUERY, "variables": {"id": str(course.id)}}),
                    json,
                ),
                "subscriptions": (
                    orjson.dumps({"query": SUBSCRIPTIONS_QUERY}),
                    [*json, (b"authorization", b"Bearer " + token)],
                ),
            }
            for name, (body, headers) in cases.items():
                figures = await _measure(app, body, headers, requests, rounds)
                print(
                    f"{name:14} median {statistics.median(figures):7.1f} us/request"
                    f"   best {min(figures):7.1f}   ({rounds} rounds of {requests})"
                )
        finally:
            await backends.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(_main(args.requests, args.rounds))


if __name__ == "__main__":
    main()
