"""Cache hit rate over a run, from the deltas of the gateway's /metrics counters."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

Lookups = dict[tuple[str, str], float]


def scrape(base_url: str) -> Lookups:
    text = httpx.get(base_url + "/metrics", timeout=10).text
    counts: Lookups = {}
    for family in text_string_to_metric_families(text):
        if family.name != "coursegate_cache_lookups":
            continue
        for sample in family.samples:
            if sample.name.endswith("_total"):
                key = (sample.labels["keyspace"], sample.labels["result"])
                counts[key] = sample.value
    return counts


def hit_rate(before: Lookups, after: Lookups) -> float | None:
    """Hits / lookups over every keyspace; None when there were no lookups at all."""
    hits = misses = 0.0
    for (keyspace, result), value in after.items():
        delta = value - before.get((keyspace, result), 0.0)
        if result == "hit":
            hits += delta
        else:
            misses += delta
    total = hits + misses
    return hits / total if total else None
