"""Cache hit and miss counters, exported at /metrics."""

from __future__ import annotations

from prometheus_client import Counter

CACHE_LOOKUPS = Counter(
    "coursegate_cache_lookups",
    "Cache lookups by keyspace and result (hit or miss)",
    ["keyspace", "result"],
)


def record_lookups(keyspace: str, hits: int, misses: int) -> None:
    if hits:
        CACHE_LOOKUPS.labels(keyspace, "hit").inc(hits)
    if misses:
        CACHE_LOOKUPS.labels(keyspace, "miss").inc(misses)
