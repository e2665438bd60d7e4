"""How long the search engines take to answer, at /metrics: the work asked of the engine (an
OpenSearch round trip, a tantivy search), not the answers its result cache already held."""

from __future__ import annotations

from prometheus_client import Histogram

# Bounds at the existing system's search target (300 ms) and the alert's 500 ms.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2.5, 5, 10)

SEARCH_DURATION = Histogram(
    "coursegate_search_duration_seconds",
    "Search engine requests by engine (opensearch, tantivy) and request (search, autocomplete)",
    ["engine", "request"],
    buckets=LATENCY_BUCKETS,
)
