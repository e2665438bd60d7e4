"""An OpenSearch that cannot be reached, or hangs, reports SearchUnavailable, so callers fall back;
after a failure, queries skip it for a moment rather than each waiting on it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator

import pytest
from opensearchpy.exceptions import TransportError

from datasources.breaker import Breaker
from datasources.search.contract import SearchRequest, SearchUnavailable
from datasources.search.opensearch_engine import OpenSearchEngine
from tests.clock import ManualClock
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
    clock = ManualClock()
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


class RefusingServer:
    """Answers every request with one HTTP status and an OpenSearch-shaped error, as a cluster
    does whose queues are full (429) or that has lost its shards (503)."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.requests = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._answer, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError):  # the client hung up
            await self._answer_each(reader, writer)

    async def _answer_each(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        while head := await reader.readuntil(b"\r\n\r\n"):
            length = next(
                (
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ),
                0,
            )
            await reader.readexactly(length)
            self.requests += 1
            body = json.dumps(
                {"error": {"type": "refused", "reason": "test"}, "status": self.status}
            )
            writer.write(
                f"HTTP/1.1 {self.status} Refused\r\ncontent-type: application/json\r\n"
                f"content-length: {len(body)}\r\n\r\n{body}".encode()
            )
            await writer.drain()

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


@pytest.mark.parametrize("status", [429, 503])
async def test_an_overloaded_cluster_is_unavailable(status: int) -> None:
    server = RefusingServer(status)
    engine = OpenSearchEngine.connect(await server.start(), max_retries=0)
    try:
        with pytest.raises(SearchUnavailable):
            await engine.search(SearchRequest("typing"))
    finally:
        await engine.close()
        await server.stop()
    assert server.requests == 1


async def test_a_request_the_cluster_calls_wrong_is_an_error_and_opens_no_breaker() -> None:
    server = RefusingServer(400)
    engine = OpenSearchEngine.connect(await server.start(), max_retries=0)
    try:
        with pytest.raises(TransportError):
            await engine.search(SearchRequest("typing"))
        with pytest.raises(TransportError):  # asked again: a bug is not an outage
            await engine.autocomplete("typ", 5)
    finally:
        await engine.close()
        await server.stop()
    assert server.requests == 2
