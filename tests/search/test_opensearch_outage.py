"""An OpenSearch that cannot be reached reports SearchUnavailable, so callers fall back."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest

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
