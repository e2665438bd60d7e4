"""Stopping a gateway under load (a real `coursegate serve` process on the embedded default):
SIGTERM fails readiness at once while serving goes on for the drain period, so clients that
leave when readiness fails (as a load balancer does) see every request answered; then the
process stops on its own, its lifespan shut down. A second SIGTERM stops it at once."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import httpx

from tests import servers
from tests.gateway_process import serve

DRAIN_SECONDS = 3
CLIENTS = 8
QUERY = "{ courses(first: 5) { edges { node { id title } } } }"


def _settings(data_dir: Path, drain_seconds: int) -> dict[str, str]:
    return {
        "COURSEGATE_DATA_DIR": str(data_dir),
        "COURSEGATE_DRAIN_SECONDS": str(drain_seconds),
        # One address sends everything here: no per-client budget.
        "COURSEGATE_RATE_LIMIT_REQUESTS_PER_MINUTE": "0",
    }


async def test_sigterm_under_load_drains_answers_everything_and_stops(tmp_path: Path) -> None:
    port = servers.free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    server = await serve(port, _settings(tmp_path, DRAIN_SECONDS), log)
    statuses: list[int] = []
    failures: list[str] = []
    answered_after_sigterm = 0
    sigterm_at: float | None = None
    out_of_rotation = asyncio.Event()
    loaded = asyncio.Event()

    async def client() -> None:
        nonlocal answered_after_sigterm
        async with httpx.AsyncClient(base_url=url, timeout=30.0) as http:
            while not out_of_rotation.is_set():
                try:
                    response = await http.post("/graphql", json={"query": QUERY})
                except httpx.TransportError as error:
                    failures.append(repr(error))
                    return
                statuses.append(response.status_code)
                if sigterm_at is not None:
                    answered_after_sigterm += 1
                if len(statuses) >= CLIENTS * 20:
                    loaded.set()

    async def balancer() -> float:
        """Polls readiness as a load balancer does; the seconds SIGTERM took to fail it."""
        async with httpx.AsyncClient(base_url=url, timeout=30.0) as http:
            while True:
                response = await http.get("/readyz")
                if response.status_code == 503:
                    assert response.json() == {"status": "draining"}
                    assert sigterm_at is not None
                    out_of_rotation.set()
                    return time.monotonic() - sigterm_at
                await asyncio.sleep(0.05)  # a balancer's check interval

    try:
        clients = [asyncio.create_task(client()) for _ in range(CLIENTS)]
        await asyncio.wait_for(loaded.wait(), 60)
        sigterm_at = time.monotonic()
        server.send_signal(signal.SIGTERM)
        took = await asyncio.wait_for(balancer(), DRAIN_SECONDS)
        await asyncio.gather(*clients)
        await asyncio.wait_for(server.wait(), DRAIN_SECONDS + 30)
        stopped_after = time.monotonic() - sigterm_at
    finally:
        if server.returncode is None:
            server.kill()
    assert failures == []
    assert set(statuses) == {200}
    assert answered_after_sigterm > 0  # it went on serving once told to stop
    assert took < DRAIN_SECONDS
    assert stopped_after >= DRAIN_SECONDS  # and left only once the drain was over
    output = log.read_text()
    assert "Application shutdown complete." in output, output[-2000:]
    assert "Traceback" not in output, output[-4000:]


async def test_a_second_sigterm_stops_without_waiting_for_the_drain(tmp_path: Path) -> None:
    drain_seconds = 120
    port = servers.free_port()
    server = await serve(port, _settings(tmp_path, drain_seconds), tmp_path / "server.log")
    try:
        server.send_signal(signal.SIGTERM)
        async with httpx.AsyncClient(timeout=10.0) as http:
            while True:
                if (await http.get(f"http://127.0.0.1:{port}/readyz")).status_code == 503:
                    break
                await asyncio.sleep(0.05)  # polling another process's readiness
        server.send_signal(signal.SIGTERM)
        await asyncio.wait_for(server.wait(), 30)  # far less than the 120 s drain
    finally:
        if server.returncode is None:
            server.kill()
