"""Brute-force answers over the test catalog, written independently of the engines."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from datasources.search.contract import PRICE_BUCKETS, SearchDocument, SearchFilters, SearchSort


def passes(doc: SearchDocument, filters: SearchFilters, *, skip: str = "") -> bool:
    checks = {
        "category": not filters.categories or doc.category in filters.categories,
        "difficulty": not filters.difficulties or doc.difficulty in filters.difficulties,
        "language": not filters.languages or doc.language in filters.languages,
        "tags": not filters.tags or any(tag in filters.tags for tag in doc.tags),
        "price": (
            (filters.price_min is None or doc.price_paise >= filters.price_min)
            and (filters.price_max is None or doc.price_paise <= filters.price_max)
            and (filters.free is None or (doc.price_paise == 0) == filters.free)
        ),
    }
    return all(ok for facet, ok in checks.items() if facet != skip)


def facet_counts(docs: Iterable[SearchDocument], filters: SearchFilters) -> dict[str, Counter[str]]:
    """Per facet, value counts over the docs passing every filter except that facet's own."""
    docs = list(docs)
    counts: dict[str, Counter[str]] = {}
    for facet in ("category", "difficulty", "language", "tags", "price"):
        counter: Counter[str] = Counter()
        for doc in docs:
            if passes(doc, filters, skip=facet):
                counter.update(_facet_values(doc, facet))
        counts[facet] = counter
    return counts


def _facet_values(doc: SearchDocument, facet: str) -> list[str]:
    if facet == "tags":
        return list(set(doc.tags))
    if facet == "price":
        return [
            bucket.key
            for bucket in PRICE_BUCKETS
            if bucket.min_paise <= doc.price_paise
            and (bucket.max_paise is None or doc.price_paise <= bucket.max_paise)
        ]
    return [str(getattr(doc, facet))]


def browse_order(docs: Iterable[SearchDocument], sort: SearchSort) -> list[int]:
    keys = {
        SearchSort.RELEVANCE: lambda doc: (-doc.popularity, doc.course_id),
        SearchSort.POPULAR: lambda doc: (-doc.popularity, doc.course_id),
        SearchSort.NEWEST: lambda doc: (-doc.created_at.timestamp(), doc.course_id),
        SearchSort.PRICE_ASC: lambda doc: (doc.price_paise, doc.course_id),
        SearchSort.PRICE_DESC: lambda doc: (-doc.price_paise, doc.course_id),
    }
    return [doc.course_id for doc in sorted(docs, key=keys[sort])]
