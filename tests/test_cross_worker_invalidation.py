"""A catalog change made through one worker reaches another worker's response caches through
the event log (JetStream), not by waiting for the periodic recheck: here the recheck is an
hour away, so only the followed event can make the second worker answer the new title."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from datasources.backends import Backends, open_backends
from datasources.events.jetstream_log import JetStreamEventLog
from gateway import create_app
from http_api.response_caches import generation
from jobs.relay import Relay
from settings import Settings
from tests import servers
from tests.conftest import graphql, token_for
from tests.factories import add_course
from tests.live_server import serving

CATALOG = "{ courses { edges { node { id title } } } }"
RENAME = """mutation ($id: ID!) { updateCourse(id: $id, input: {title: "Home Row, Renamed"}) {
    __typename } }"""
DEADLINE_SECONDS = 10.0


@pytest.fixture
async def logs() -> AsyncIterator[tuple[JetStreamEventLog, JetStreamEventLog]]:
    """One test stream, a connection per worker."""
    servers.require(servers.nats_reachable(), "NATS with JetStream at 127.0.0.1:4222")
    tag = uuid.uuid4().hex[:10]
    opened = [
        await JetStreamEventLog.connect(
            servers.NATS_URL, stream=f"CGTEST_{tag}", subject_prefix=f"cgtest{tag}"
        )
        for _ in range(2)
    ]
    yield opened[0], opened[1]
    await opened[0].drop()
    for log in opened:
        await log.close()


@pytest.fixture
async def other_worker(settings: Settings) -> AsyncIterator[Backends]:
    opened = await open_backends(settings)
    yield opened
    await opened.close()


async def _titles(http: httpx.AsyncClient) -> list[str]:
    body = await graphql(http, CATALOG)
    return [edge["node"]["title"] for edge in body["data"]["courses"]["edges"]]


@pytest.mark.parametrize("settings", ["mariadb"], indirect=True)
async def test_a_course_change_reaches_the_other_workers_response_cache_through_the_log(
    settings: Settings,
    backends: Backends,
    other_worker: Backends,
    logs: tuple[JetStreamEventLog, JetStreamEventLog],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(generation, "RECHECK_SECONDS", 3600.0)
    backends.events, other_worker.events = logs
    course = await add_course(backends, title="Home Row")
    async with (
        serving(create_app(settings, backends)) as url_a,
        serving(create_app(settings, other_worker)) as url_b,
        httpx.AsyncClient(base_url=url_a) as worker_a,
        httpx.AsyncClient(base_url=url_b) as worker_b,
    ):
        assert await _titles(worker_b) == ["Home Row"]  # now in B's response cache
        renamed = await graphql(worker_a, RENAME, {"id": str(course.id)}, token_for(1, True))
        assert renamed["data"]["updateCourse"]["__typename"] == "CoursePayload"
        assert await _titles(worker_b) == ["Home Row"]  # B has not heard yet

        await Relay([backends.catalog_engine], backends.events).relay_once()

        deadline = time.monotonic() + DEADLINE_SECONDS
        while (titles := await _titles(worker_b)) != ["Home Row, Renamed"]:
            assert time.monotonic() < deadline, f"worker B still answers {titles}"
        assert await _titles(worker_a) == ["Home Row, Renamed"]
