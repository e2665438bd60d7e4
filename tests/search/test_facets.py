from __future__ import annotations

import pytest

from datasources.search.contract import FACET_NAMES, FacetBucket, SearchFilters
from datasources.search.facets import filters_for_facet, price_bounds, term_buckets

ALL = SearchFilters(
    categories=("coding",),
    difficulties=("beginner",),
    languages=("en",),
    tags=("python",),
    price_min=100,
    price_max=900,
    free=False,
)


@pytest.mark.parametrize("facet", FACET_NAMES)
def test_a_facet_drops_only_its_own_filter(facet: str) -> None:
    kept = filters_for_facet(ALL, facet)

    dropped = {name for name in ALL.__slots__ if getattr(kept, name) != getattr(ALL, name)}
    own = {
        "category": {"categories"},
        "difficulty": {"difficulties"},
        "language": {"languages"},
        "tags": {"tags"},
        "price": {"price_min", "price_max", "free"},
    }[facet]
    assert dropped == own


@pytest.mark.parametrize(
    ("filters", "bounds"),
    [
        (SearchFilters(), (0, None)),
        (SearchFilters(free=True), (0, 0)),
        (SearchFilters(free=False), (1, None)),
        (SearchFilters(free=False, price_max=500), (1, 500)),
        (SearchFilters(free=True, price_min=100), (100, 0)),  # contradictory: matches nothing
        (SearchFilters(price_min=-5, price_max=10), (0, 10)),
    ],
)
def test_price_bounds(filters: SearchFilters, bounds: tuple[int, int | None]) -> None:
    assert price_bounds(filters) == bounds


def test_term_buckets_order_by_count_then_value_and_drop_zeros() -> None:
    assert term_buckets([("b", 2), ("a", 2), ("c", 5), ("z", 0)]) == (
        FacetBucket("c", 5),
        FacetBucket("a", 2),
        FacetBucket("b", 2),
    )
