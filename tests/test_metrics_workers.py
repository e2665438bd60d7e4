"""`coursegate serve --workers 2`: whichever worker a scrape reaches, /metrics counts every
worker's requests (prometheus_client's multiprocess mode), and a gauge kept per worker carries
each worker's pid."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector

from datasources.backends import Backends
from settings import Settings
from tests import servers
from tests.conftest import production_env
from tests.gateway_process import serve

MOST_REQUESTS = 400  # enough for the kernel to hand connections to both workers
QUERY = "query WorkersProbe { __typename }"
_PROBE_COUNT = re.compile(
    r'^coursegate_request_duration_seconds_count\{kind="other",operation="WorkersProbe"\}'
    r" (\S+)$",
    re.MULTILINE,
)
_POOL_PIDS = re.compile(r'^coursegate_db_pool_size\{database="catalog",pid="(\d+)"\}', re.MULTILINE)


def _workers_that_counted(directory: Path) -> int:
    """How many workers recorded a probe, each in its own histogram_<pid>.db."""
    return sum(
        any(
            sample.name == "coursegate_request_duration_seconds_count"
            and sample.labels.get("operation") == "WorkersProbe"
            for metric in MultiProcessCollector.merge([str(path)])  # type: ignore[no-untyped-call]
            for sample in metric.samples
        )
        for path in directory.glob("histogram_*.db")
    )


@pytest.mark.parametrize("settings", ["mariadb"], indirect=True)
async def test_every_scrape_counts_the_requests_of_every_worker(
    settings: Settings, backends: Backends, tmp_path: Path
) -> None:
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    # What an earlier run left there: not wiped, it would break every scrape.
    (metrics_dir / "histogram_1.db").write_bytes(b"not a metrics file")
    port = servers.free_port()
    settings_env = {
        **production_env(settings, tmp_path),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    server = await serve(port, settings_env, tmp_path / "server.log", "--workers", "2")
    url = f"http://127.0.0.1:{port}"
    try:
        sent = 0
        # A new connection per request: uvicorn's workers share one listening socket, and the
        # kernel gives each connection to one of them.
        while sent < MOST_REQUESTS and _workers_that_counted(metrics_dir) < 2:
            async with httpx.AsyncClient(timeout=30.0) as http:
                response = await http.post(f"{url}/graphql", json={"query": QUERY})
            assert response.status_code == 200, response.text
            sent += 1
        assert _workers_that_counted(metrics_dir) == 2, f"one worker took all {sent}"
        for _ in range(4):  # scrapes on new connections, so more than one worker answers them
            async with httpx.AsyncClient(timeout=30.0) as http:
                scraped = (await http.get(f"{url}/metrics")).text
            counts = _PROBE_COUNT.findall(scraped)
            assert counts == [f"{float(sent)}"], scraped[:2000]
            assert len(set(_POOL_PIDS.findall(scraped))) == 2
    finally:
        server.terminate()
        await asyncio.wait_for(server.wait(), 60)
