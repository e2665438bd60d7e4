"""Course search: one interface (contract), two engines (tantivy embedded, OpenSearch)."""

from datasources.search.contract import (
    FACET_NAMES,
    PRICE_BUCKETS,
    FacetBucket,
    PriceRange,
    SearchDocument,
    SearchEngine,
    SearchFilters,
    SearchHit,
    SearchRequest,
    SearchResult,
    SearchSort,
    SearchUnavailable,
    Suggestion,
)

__all__ = [
    "FACET_NAMES",
    "PRICE_BUCKETS",
    "FacetBucket",
    "PriceRange",
    "SearchDocument",
    "SearchEngine",
    "SearchFilters",
    "SearchHit",
    "SearchRequest",
    "SearchResult",
    "SearchSort",
    "SearchUnavailable",
    "Suggestion",
]
