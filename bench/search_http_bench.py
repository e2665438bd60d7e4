"""Latency of search and autocomplete over HTTP (GraphQL through the ASGI app, in-process) on the
embedded default: SQLite catalog, tantivy index, in-process cache.

    python -m bench.search_http_bench --courses 10000

Seeds a synthetic catalog in a temporary data directory, builds the index through the indexer,
then times GraphQL requests one at a time. Targets: search p95 < 20 ms, autocomplete p95 < 10 ms.
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
        finally:
            await backends.close()
    print(f"search over HTTP       ({len(search_ms):5d}): {_summary(search_ms)}")
    print(f"autocomplete over HTTP ({len(suggest_ms):5d}): {_summary(suggest_ms)}")
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
