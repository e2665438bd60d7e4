"""Engines under test: tantivy, OpenSearch's stand-in (osmem-server) always, and a live OpenSearch
when OPENSEARCH_URL names one."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from datasources.search.contract import SearchDocument, SearchEngine
from datasources.search.opensearch_engine import OpenSearchEngine
from datasources.search.tantivy_engine import TantivySearchEngine
from tests.opensearch_server import LIVE_URL
from tests.search.corpus import catalog

ENGINES = ["tantivy", "opensearch-stand-in", *(["opensearch-live"] if LIVE_URL else [])]


def in_batches(docs: Sequence[SearchDocument], size: int = 100) -> list[Sequence[SearchDocument]]:
    return [docs[start : start + size] for start in range(0, len(docs), size)]


@pytest.fixture(params=ENGINES)
async def empty_engine(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[SearchEngine]:
    if request.param == "tantivy":
        tantivy_engine = await TantivySearchEngine.open(tmp_path / "search")
        yield tantivy_engine
        await tantivy_engine.close()
        return
    if request.param == "opensearch-live":
        assert LIVE_URL
        url = LIVE_URL
    else:
        url = request.getfixturevalue("opensearch_cluster").url
    # A live cluster is shared, so each test has an alias (and indices) of its own.
    opensearch_engine = OpenSearchEngine.connect(url, alias=f"coursegate_test_{uuid.uuid4().hex}")
    try:
        yield opensearch_engine
    finally:
        await opensearch_engine.drop()
        await opensearch_engine.close()


@pytest.fixture
def courses() -> list[SearchDocument]:
    return catalog()


@pytest.fixture
async def engine(empty_engine: SearchEngine, courses: list[SearchDocument]) -> SearchEngine:
    # Indexed out of course_id order, so engines cannot pass the tiebreak tests by insertion order.
    shuffled = list(courses)
    random.Random(7).shuffle(shuffled)
    await empty_engine.rebuild(in_batches(shuffled))
    return empty_engine
