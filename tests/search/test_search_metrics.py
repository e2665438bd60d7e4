"""Each search and autocomplete an engine works on is timed once under its engine's name; an
answer the embedded engine's result cache already held is not engine work and is not timed."""

from __future__ import annotations

from prometheus_client import REGISTRY

from datasources.search.contract import SearchEngine, SearchRequest
from datasources.search.opensearch_engine import OpenSearchEngine


def _timed(engine: str, request: str) -> float:
    labels = {"engine": engine, "request": request}
    return REGISTRY.get_sample_value("coursegate_search_duration_seconds_count", labels) or 0.0


async def test_searches_and_suggestions_are_timed_by_engine(engine: SearchEngine) -> None:
    name = "opensearch" if isinstance(engine, OpenSearchEngine) else "tantivy"
    searches, suggestions = _timed(name, "search"), _timed(name, "autocomplete")
    await engine.search(SearchRequest("touch typing"))
    await engine.autocomplete("tou", 5)
    assert (_timed(name, "search"), _timed(name, "autocomplete")) == (
        searches + 1,
        suggestions + 1,
    )
    await engine.search(SearchRequest("touch typing"))
    repeats = 0 if name == "tantivy" else 1  # tantivy answers a repeat from its result cache
    assert _timed(name, "search") == searches + 1 + repeats
