"""Engine-independent facet rules: which filters a facet's counts apply, and bucket order."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from datasources.search.contract import MAX_FACET_BUCKETS, FacetBucket, SearchFilters


def filters_for_facet(filters: SearchFilters, facet: str) -> SearchFilters:
    """The filters a facet's counts apply: all of them except the facet's own."""
    match facet:
        case "category":
            return dataclasses.replace(filters, categories=())
        case "difficulty":
            return dataclasses.replace(filters, difficulties=())
        case "language":
            return dataclasses.replace(filters, languages=())
        case "tags":
            return dataclasses.replace(filters, tags=())
        case "price":
            return dataclasses.replace(filters, price_min=None, price_max=None, free=None)
    raise ValueError(f"unknown facet {facet!r}")


def price_bounds(filters: SearchFilters) -> tuple[int, int | None]:
    """Inclusive paise bounds of the price filters combined; (0, None) means no price filter.

    Contradictory filters (free and a minimum above zero) give lower > upper, matching nothing.
    """
    lower = filters.price_min if filters.price_min is not None else 0
    upper = filters.price_max
    if filters.free is True:
        upper = 0 if upper is None else min(upper, 0)
    elif filters.free is False:
        lower = max(lower, 1)
    return max(lower, 0), upper


def term_buckets(counts: Iterable[tuple[str, int]]) -> tuple[FacetBucket, ...]:
    """Buckets with a count, most frequent first, ties by value, at most MAX_FACET_BUCKETS."""
    ordered = sorted((item for item in counts if item[1] > 0), key=lambda item: (-item[1], item[0]))
    return tuple(FacetBucket(value, count) for value, count in ordered[:MAX_FACET_BUCKETS])
