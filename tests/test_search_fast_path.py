"""The search fast paths (engine answers cached per index version, whole responses cached per
catalog generation and index version) answer exactly what the normal path answers, and a course
change shows as soon as it is committed and again as soon as it is indexed."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from datasources.backends import Backends
from datasources.search.contract import SearchRequest
from datasources.search.result_cache import ResultCache
from gateway import create_app
from jobs.indexer import SearchIndexer
from settings import Settings
from tests.conftest import graphql, token_for
from tests.test_search_api import AUTOCOMPLETE, SEARCH, UPDATE, _catalog

ADMIN = token_for(1, admin=True)
READER = token_for(42)

_SEARCHES: tuple[dict[str, Any], ...] = (
    {"q": "typing"},
    {"q": ""},
    {"q": "", "sort": "PRICE_ASC", "first": 2},
    {"q": "typing", "f": {"category": ["TOUCH_TYPING", "LANGUAGES"]}},
    {"q": "", "f": {"free": False, "language": ["en"]}},
    {"q": "pyhton"},
)
_PREFIXES = ("ty", "pyth", "hin", "tuch typ")


@pytest.fixture
async def uncached(settings: Settings, backends: Backends) -> AsyncIterator[httpx.AsyncClient]:
    """The normal path: the same backends behind a gateway with its response caches off."""
    app = create_app(dataclasses.replace(settings, cache_enabled=False), backends)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
        yield http


async def _answers(http: httpx.AsyncClient, token: str | None = None) -> list[dict[str, Any]]:
    searches = [await graphql(http, SEARCH, variables, token) for variables in _SEARCHES]
    prefixes = [await graphql(http, AUTOCOMPLETE, {"p": prefix}, token) for prefix in _PREFIXES]
    return searches + prefixes


async def test_repeated_answers_equal_the_first_uncached_ones(
    client: httpx.AsyncClient, uncached: httpx.AsyncClient, backends: Backends
) -> None:
    await _catalog(client, backends)
    first = await _answers(client)  # misses everywhere: computed by the normal path
    assert all("errors" not in body and "extensions" not in body for body in first)
    assert first[0]["data"]["search"]["totalCount"] >= 3
    assert await _answers(client) == first  # served from the caches
    assert await _answers(uncached) == first
    assert await _answers(client, READER) == first  # signed in: never from the response cache


async def test_a_rename_shows_when_committed_and_again_when_indexed(
    client: httpx.AsyncClient, uncached: httpx.AsyncClient, backends: Backends
) -> None:
    ids = await _catalog(client, backends)
    before = await _answers(client)
    rust = await graphql(client, SEARCH, {"q": "rust"})
    assert rust["data"]["search"]["totalCount"] == 0

    renamed = {"id": ids["python-drills"], "input": {"title": "Rust Code Drills"}}
    await graphql(client, UPDATE, renamed, ADMIN)
    # Committed, not yet indexed: the hit list is the old index's, the course rows are new.
    committed = await _answers(client)
    assert committed == await _answers(uncached)
    assert committed != before

    assert await SearchIndexer(backends).drain_once() == 1
    indexed = await graphql(client, SEARCH, {"q": "rust"})
    titles = [edge["node"]["course"]["title"] for edge in indexed["data"]["search"]["edges"]]
    assert titles == ["Rust Code Drills"]
    suggestions = await graphql(client, AUTOCOMPLETE, {"p": "pyth"})
    assert "Rust Code Drills" not in [s["title"] for s in suggestions["data"]["autocomplete"]]
    assert await _answers(client) == await _answers(uncached)


async def test_a_deactivated_course_leaves_cached_searches_once_indexed(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    ids = await _catalog(client, backends)
    hindi = await graphql(client, SEARCH, {"q": "hindi"})
    assert hindi["data"]["search"]["totalCount"] == 1
    await graphql(client, UPDATE, {"id": ids["hindi-speed"], "input": {"isActive": False}}, ADMIN)
    await SearchIndexer(backends).drain_once()
    gone = await graphql(client, SEARCH, {"q": "hindi"})
    assert gone["data"]["search"]["totalCount"] == 0
    assert gone["data"]["search"]["edges"] == []


# OpenSearch has no version: the indexer writes to it from another process, so its answers
# are not kept in the gateway's process.
@pytest.mark.parametrize("settings", ["embedded"], indirect=True)
async def test_every_index_write_moves_the_index_version_on(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    ids = await _catalog(client, backends)
    indexer = SearchIndexer(backends)
    version = backends.search.index_version()
    assert version is not None
    renamed = {"id": ids["exam-prep"], "input": {"title": "Typing Exam Drills"}}
    await graphql(client, UPDATE, renamed, ADMIN)
    await indexer.drain_once()
    after_upsert = backends.search.index_version()
    assert after_upsert is not None and after_upsert > version
    await indexer.rebuild()
    after_rebuild = backends.search.index_version()
    assert after_rebuild is not None and after_rebuild > after_upsert


def test_an_answer_computed_before_a_write_is_not_kept() -> None:
    cache: ResultCache[str] = ResultCache(max_entries=2)
    request = SearchRequest("typing")
    cache.put(1, request, "after the write")
    cache.put(0, request, "before the write")
    assert cache.get(1, request) == "after the write"
    assert cache.get(0, request) is None
    assert cache.get(2, request) is None  # a newer version drops everything older
    cache.put(1, request, "late")
    assert cache.get(2, request) is None


def test_the_least_recently_used_answer_goes_first() -> None:
    cache: ResultCache[str] = ResultCache(max_entries=2)
    cache.put(0, "a", "A")
    cache.put(0, "b", "B")
    assert cache.get(0, "a") == "A"
    cache.put(0, "c", "C")
    assert (cache.get(0, "a"), cache.get(0, "b"), cache.get(0, "c")) == ("A", None, "C")
