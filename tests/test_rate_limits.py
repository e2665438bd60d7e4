"""Per-client rate limits over HTTP on both backends: the request budget (cached answers
included), the mutation and cost budgets, 429 with Retry-After and a GraphQL error body, who
the client is (user, address, X-Forwarded-For only from trusted proxies), several gateways
sharing one Redis, and Redis unreachable (fail open to a limit per process, said at /readyz)."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from datasources.backends import Backends
from datasources.limits.rate_limits import RateLimits
from datasources.limits.redis_buckets import RedisBuckets
from domain.rate_limits import Budgets
from gateway import create_app
from settings import Settings
from tests.conftest import production_env, token_for
from tests.db_state import written
from tests.factories import add_course, add_courses
from tests.graphql_flows import ENROLL

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CATALOG = "{ courses(first: 5) { edges { node { id } } } }"  # costs 11
Gateway = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def gateway(settings: Settings, backends: Backends) -> Gateway:
    """The gateway with the budgets given, on the test's backends (the same buckets store)."""

    @asynccontextmanager
    async def serve(budgets: Budgets, **changes: Any) -> AsyncIterator[httpx.AsyncClient]:
        limited = dataclasses.replace(settings, rate_limits=budgets, **changes)
        backends.rate_limits = RateLimits(budgets, backends.rate_limits.buckets)
        app = create_app(limited, backends)
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
            yield http

    return serve


async def _ask(
    http: httpx.AsyncClient,
    query: str = CATALOG,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    sent = {"authorization": f"Bearer {token}"} if token else {}
    return await http.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={**sent, **(headers or {})},
    )


def _assert_rate_limited(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    seconds = int(response.headers["retry-after"])
    assert 1 <= seconds <= 60
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "RATE_LIMITED", "retryAfterSeconds": seconds}
    assert f"retry after {seconds} s" in error["message"]


async def test_a_client_gets_its_budget_of_requests_and_then_429(
    gateway: Gateway, backends: Backends
) -> None:
    await add_course(backends)
    async with gateway(Budgets(requests=3)) as http:
        answered = [await _ask(http) for _ in range(3)]  # the 2nd and 3rd from the cache
        assert [r.status_code for r in answered] == [200, 200, 200]
        assert all("errors" not in r.json() for r in answered)
        _assert_rate_limited(await _ask(http))
        # Another client has a budget of its own: a signed-in user is counted by user id.
        for user in (7, 8):
            assert (await _ask(http, token=token_for(user))).status_code == 200
        # ...whichever address it comes from.
        for _ in range(2):
            assert (await _ask(http, token=token_for(7))).status_code == 200
        _assert_rate_limited(await _ask(http, token=token_for(7)))


async def test_mutations_have_a_budget_of_their_own_and_a_refused_one_writes_nothing(
    gateway: Gateway, backends: Backends
) -> None:
    courses = await add_courses(backends, 3)
    token = token_for(7)
    async with gateway(Budgets(requests=100, mutations=2)) as http:
        for course in courses[:2]:
            enrolled = await _ask(http, ENROLL, {"c": str(course.id)}, token)
            assert enrolled.json()["data"]["enroll"]["__typename"] == "EnrollSuccess"
        before = await written(backends)
        _assert_rate_limited(await _ask(http, ENROLL, {"c": str(courses[2].id)}, token))
        assert await written(backends) == before
        # Queries still run: only the mutation budget is spent.
        assert (await _ask(http, token=token)).status_code == 200


async def test_the_cost_budget_is_spent_by_estimated_cost(
    gateway: Gateway, backends: Backends
) -> None:
    await add_course(backends)
    async with gateway(Budgets(requests=100, cost=30)) as http:
        # 11 + 11 of 30 (two texts: an answer from the response cache runs nothing and costs
        # nothing); 9 more does not fit, 3 more does.
        for document in (CATALOG, CATALOG + " "):
            assert (await _ask(http, document)).status_code == 200
        _assert_rate_limited(await _ask(http, CATALOG.replace("5", "4")))
        cheap = await _ask(http, "{ courses(first: 1) { edges { node { id } } } }")
        assert cheap.status_code == 200 and "errors" not in cheap.json()


async def test_x_forwarded_for_names_the_client_only_behind_a_trusted_proxy(
    gateway: Gateway, backends: Backends
) -> None:
    await add_course(backends)
    spoofed = [{"x-forwarded-for": f"198.51.100.{n}"} for n in range(3)]
    async with gateway(Budgets(requests=1)) as http:
        # The peer is not a trusted proxy: X-Forwarded-For is the client's own word, ignored.
        assert (await _ask(http, headers=spoofed[0])).status_code == 200
        _assert_rate_limited(await _ask(http, headers=spoofed[1]))
    async with gateway(Budgets(requests=1), trusted_proxies=("203.0.113.0/24",)) as http:
        # Behind the trusted proxy each forwarded address is a client of its own; what the
        # client itself put before the proxy's entry changes nothing.
        for headers in spoofed:
            assert (await _ask(http, headers=headers)).status_code == 200
        forged = {"x-forwarded-for": "192.0.2.1, 198.51.100.0"}
        _assert_rate_limited(await _ask(http, headers=forged))


async def test_a_bad_token_is_refused_before_it_spends_anything(
    gateway: Gateway, backends: Backends
) -> None:
    async with gateway(Budgets(requests=1)) as http:
        refused = await _ask(http, token="not-a-token")
        assert refused.status_code == 401
        assert (await _ask(http)).status_code == 200


@pytest.mark.parametrize("settings", ["mariadb"], indirect=True)
async def test_leases_save_redis_calls_and_never_admit_more_than_the_budget(
    settings: Settings,
) -> None:
    """Two processes' limiters on one Redis, one client's requests alternating between them."""
    assert settings.redis_url
    budget = 1200  # a minute's; each limiter may lease 12 ahead
    charges = Budgets(requests=budget).charges(requests=1)
    prefix = f"cgtest:{uuid.uuid4().hex}:"
    limiters = [RedisBuckets(settings.redis_url, prefix) for _ in range(2)]
    started = time.monotonic()
    waits = [await limiters[n % 2].take("user:7", charges) for n in range(budget + 200)]
    refilled = (time.monotonic() - started) * budget / 60
    admitted = waits.count(0.0)
    assert admitted <= budget + refilled + 1  # never more than the budget (and its refill)
    assert admitted >= budget - 2 * 12  # at most each limiter's last lease unspent
    calls = sum(limiter.script_calls for limiter in limiters)
    assert calls < len(waits) / 4, calls
    for limiter in limiters:
        await limiter.close()


@pytest.mark.parametrize("settings", ["mariadb"], indirect=True)
async def test_with_redis_unreachable_each_process_limits_on_its_own_and_says_so(
    settings: Settings, backends: Backends
) -> None:
    unreachable = RedisBuckets("redis://127.0.0.1:9/0", timeout_seconds=0.2)
    backends.rate_limits = RateLimits(Budgets(requests=2), unreachable)
    app = create_app(dataclasses.replace(settings, rate_limits=Budgets(requests=2)), backends)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
        statuses = [(await _ask(http, "{ __typename }")).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]  # failed open, to a limit kept in this process
        ready = await http.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["status"] == "degraded"
        assert ready.json()["backends"]["rate_limits:redis"] == "down: LimitingLocally"
        metrics = (await http.get("/metrics")).text
        assert "coursegate_rate_limits_local 1.0" in metrics
        assert 'coursegate_rate_limited_total{budget="requests"}' in metrics
    await unreachable.close()


@pytest.mark.parametrize("settings", ["mariadb"], indirect=True)
async def test_four_uvicorn_processes_sharing_redis_admit_the_budget_once_in_total(
    settings: Settings, backends: Backends, tmp_path: Path
) -> None:
    """Four gateway processes (uvicorn, production settings), each on a socket of its own, and
    the requests sent round the four in turn: a budget kept per process would admit 4N."""
    budget = 10
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("COURSEGATE_", "RAZORPAY_"))},
        **production_env(settings, tmp_path),
        "COURSEGATE_RATE_LIMIT_REQUESTS_PER_MINUTE": str(budget),
    }
    # Each socket listens before its uvicorn starts: requests wait in its backlog until the
    # process has started and accepts them.
    sockets = [socket.create_server(("127.0.0.1", 0)) for _ in range(4)]
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            *("-m", "uvicorn", "gateway:create_app", "--factory", "--log-level", "warning"),
            *("--fd", str(listening.fileno())),
            cwd=PROJECT_ROOT,
            env=env,
            pass_fds=[listening.fileno()],
        )
        for listening in sockets
    ]
    urls = [f"http://127.0.0.1:{listening.getsockname()[1]}/graphql" for listening in sockets]
    try:
        async with httpx.AsyncClient(timeout=120.0) as http:
            statuses = await asyncio.gather(
                *(
                    http.post(urls[n % 4], json={"query": "{ __typename }"})
                    for n in range(4 * budget)
                )
            )
        codes = [response.status_code for response in statuses]
        assert codes.count(200) == budget, codes
        assert codes.count(429) == 3 * budget
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            await asyncio.wait_for(process.wait(), 30)
        for listening in sockets:
            listening.close()
