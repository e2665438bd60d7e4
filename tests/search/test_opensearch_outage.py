"""An OpenSearch that cannot be reached, or hangs, reports SearchUnavailable, so callers fall back;
after a failure, queries skip it for a moment rather than each waiting on it."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest

from datasources.breaker import Breaker
from datasources.search.contract import SearchRequest, SearchUnavailable
from datasources.search.opensearch_engine import OpenSearchEngine
from tests.search import corpus


def unused_local_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def unreachable() -> AsyncIterator[OpenSearchEngine]:
    engine = OpenSearchEngine.connect(
        f"http://127.0.0.1:{unused_local_port()}", max_retries=0, timeout=2
    )
    yield engine
    await engine.close()


async def test_ping_is_false(unreachable: OpenSearchEngine) -> None:
    assert not await unreachable.ping()


async def test_every_call_raises_search_unavailable(unreachable: OpenSearchEngine) -> None:
    with pytest.raises(SearchUnavailable):
        await unreachable.search(SearchRequest("typing"))
    with pytest.raises(SearchUnavailable):
        await unreachable.autocomplete("typ", 5)
    with pytest.raises(SearchUnavailable):
        await unreachable.has_index()
    with pytest.raises(SearchUnavailable):
        await unreachable.upsert(corpus.hand_written_courses()[:1])
    with pytest.raises(SearchUnavailable):
        await unreachable.delete([1])
    with pytest.raises(SearchUnavailable):
        await unreachable.rebuild([corpus.hand_written_courses()])


class HungServer:
    """Accepts connections and never answers, like a server stuck in a long pause."""

    def __init__(self) -> None:
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._released = asyncio.Event()

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._hang, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def _hang(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        await self._released.wait()
        writer.close()

    async def stop(self) -> None:
        self._released.set()
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def hung() -> AsyncIterator[HungServer]:
    server = HungServer()
    yield server
    await server.stop()


async def test_a_hung_server_is_given_up_on_after_the_query_timeout(hung: HungServer) -> None:
    engine = OpenSearchEngine.connect(await hung.start(), query_timeout_seconds=0.2)
    try:
        # Far below the client's own 10 s timeout, which a query would otherwise wait out.
        async with asyncio.timeout(5):
            with pytest.raises(SearchUnavailable):
                await engine.search(SearchRequest("typing"))
    finally:
        await engine.close()
    assert hung.connections == 1  # a timeout is not retried


async def test_after_a_failure_queries_skip_the_server_until_the_breaker_lets_one_through(
    hung: HungServer,
) -> None:
    clock = Clock()
    engine = OpenSearchEngine.connect(
        await hung.start(), query_timeout_seconds=0.2, breaker=Breaker(2.0, clock)
    )
    try:
        with pytest.raises(SearchUnavailable):
            await engine.search(SearchRequest("typing"))
        for _ in range(3):
            with pytest.raises(SearchUnavailable, match="not asked for a moment"):
                await engine.search(SearchRequest("typing"))
            with pytest.raises(SearchUnavailable, match="not asked for a moment"):
                await engine.autocomplete("typ", 5)
        assert hung.connections == 1
        clock.now += 2.5
        with pytest.raises(SearchUnavailable):
            await engine.search(SearchRequest("typing"))
        assert hung.connections == 2
    finally:
        await engine.close()
