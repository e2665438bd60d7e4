"""Latency of search and autocomplete over HTTP (GraphQL through the ASGI app, in-process) on the
embedded default: SQLite catalog, tantivy index, in-process cache.

    python -m bench.search_http_bench --courses 10000

Seeds a synthetic catalog in a temporary data directory, builds the index through the indexer,
then times GraphQL requests one at a time. Targets: search p95 < 20 ms, autocomplete p95 < 10 ms.

The main rows draw requests from a small set, as users repeat popular searches, so most are
answered by the search caches. The "first time" rows send requests no earlier one matched
(distinct page sizes and sorts), so every one of them runs the engine and GraphQL execution.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.search_bench import _PREFIX_QUERIES, _TEXT_QUERIES, pin_to_one_core
from datasources.backends import open_backends
from gateway import create_app
from jobs.indexer import SearchIndexer
from jobs.seed import seed_synthetic
from settings import Settings

SEARCH_TARGET_MS = 20.0
AUTOCOMPLETE_TARGET_MS = 10.0

_SEARCH = """query($q: String!, $f: SearchFiltersInput, $after: String) {
  search(query: $q, filters: $f, first: 20, after: $after) {
    totalCount pageInfo { endCursor }
    edges { node { score titleHighlight course { id title price } } }
    facets { category { value count } difficulty { value count } price { value count } }
  }
}"""
_SEARCH_FIRST_TIME = """query($q: String!, $f: SearchFiltersInput, $n: Int!, $sort: SearchSort!) {
  search(query: $q, filters: $f, first: $n, sort: $sort) {
    totalCount pageInfo { endCursor }
    edges { node { score titleHighlight course { id title price } } }
    facets { category { value count } difficulty { value count } price { value count } }
  }
}"""
_SORTS = ("RELEVANCE", "POPULAR", "NEWEST", "PRICE_ASC", "PRICE_DESC")
_AUTOCOMPLETE_FIRST_TIME = """query($p: String!, $n: Int!) {
  autocomplete(prefix: $p, first: $n) { id title course { slug } }
}"""
_AUTOCOMPLETE = """query($p: String!) {
  autocomplete(prefix: $p, first: 8) { id title course { slug } }
}"""
_FILTERS: tuple[dict[str, Any] | None, ...] = (
    None,
    None,
    {"category": ["CODING"]},
    {"difficulty": ["BEGINNER"], "free": True},
    {"language": ["hi", "en"], "priceMax": 99_900},
)


async def _time(http: httpx.AsyncClient, bodies: list[dict[str, Any]]) -> list[float]:
    latencies = []
    for body in bodies:
        started = time.perf_counter()
        response = await http.post("/graphql", json=body)
        latencies.append((time.perf_counter() - started) * 1000)
        payload = response.json()
        if response.status_code != 200 or "errors" in payload:
            raise RuntimeError(f"request failed: {response.text[:300]}")
    return latencies


def _first_time_bodies(
    rng: random.Random, count: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Search and autocomplete bodies unlike each other and unlike the repeated ones."""
    searches = [
        (text, filters, size, sort)
        for text in (*_TEXT_QUERIES, "")
        for filters in _FILTERS
        for size in range(10, 20)
        for sort in _SORTS
    ]
    prefixes = [(prefix, size) for prefix in _PREFIX_QUERIES for size in range(1, 21) if size != 8]
    return (
        [
            {"query": _SEARCH_FIRST_TIME, "variables": {"q": q, "f": f, "n": n, "sort": sort}}
            for q, f, n, sort in rng.sample(searches, min(count, len(searches)))
        ],
        [
            {"query": _AUTOCOMPLETE_FIRST_TIME, "variables": {"p": p, "n": n}}
            for p, n in rng.sample(prefixes, min(count, len(prefixes)))
        ],
    )


def _summary(latencies: list[float]) -> str:
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return f"p50 {cuts[49]:6.2f} ms  p95 {cuts[94]:6.2f} ms  p99 {cuts[98]:6.2f} ms"


async def run(courses: int, requests: int, seed: int) -> bool:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(data_dir=Path(data_dir), jwt_secret="bench-secret-" + "x" * 40)
        backends = await open_backends(settings)
        try:
            await backends.migrate()
            await seed_synthetic(backends, courses, 0, 0)
            await SearchIndexer(backends).rebuild()
            app = create_app(settings, backends)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
                searches = [
                    {
                        "query": _SEARCH,
                        "variables": {
                            "q": rng.choice((*_TEXT_QUERIES, "")),
                            "f": rng.choice(_FILTERS),
                        },
                    }
                    for _ in range(requests)
                ]
                prefixes = [
                    {"query": _AUTOCOMPLETE, "variables": {"p": rng.choice(_PREFIX_QUERIES)}}
                    for _ in range(requests)
                ]
                await _time(http, searches[:50] + prefixes[:50])  # warm up
                search_ms = await _time(http, searches)
                suggest_ms = await _time(http, prefixes)
                first_searches, first_prefixes = _first_time_bodies(rng, 300)
                first_search_ms = await _time(http, first_searches)
                first_suggest_ms = await _time(http, first_prefixes)
        finally:
            await backends.close()
    print(f"search over HTTP       ({len(search_ms):5d}): {_summary(search_ms)}")
    print(f"autocomplete over HTTP ({len(suggest_ms):5d}): {_summary(suggest_ms)}")
    print(f"search, first time     ({len(first_search_ms):5d}): {_summary(first_search_ms)}")
    print(f"autocomplete, 1st time ({len(first_suggest_ms):5d}): {_summary(first_suggest_ms)}")
    search_p95 = statistics.quantiles(search_ms, n=100, method="inclusive")[94]
    suggest_p95 = statistics.quantiles(suggest_ms, n=100, method="inclusive")[94]
    ok = search_p95 < SEARCH_TARGET_MS and suggest_p95 < AUTOCOMPLETE_TARGET_MS
    print(
        f"targets: search p95 < {SEARCH_TARGET_MS} ms, autocomplete p95 <"
        f" {AUTOCOMPLETE_TARGET_MS} ms: {'met' if ok else 'MISSED'}"
    )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--courses", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(pin_to_one_core())
    ok = asyncio.run(run(args.courses, args.requests, args.seed))
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
