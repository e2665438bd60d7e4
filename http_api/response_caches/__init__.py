"""Whole-response caches in front of GraphQL execution, asked in turn as one chain.

- `catalog`: anonymous queries of public catalog fields
- `search`: anonymous search and autocomplete queries
- `signed_in`: a signed-in user's `me { subscriptions, recommendations }` and `lesson` queries
"""

from __future__ import annotations

from collections.abc import Callable

from datasources.backends import Backends
from http_api.response_caches.catalog import CatalogResponseCache
from http_api.response_caches.chain import ResponseCacheChain
from http_api.response_caches.generation import CatalogGeneration
from http_api.response_caches.search import SearchResponseCache
from http_api.response_caches.signed_in import SignedInResponseCache


def response_cache_chain(enabled: bool, backends: Callable[[], Backends]) -> ResponseCacheChain:
    """Every cache in the order a request asks them; none with the cache off."""
    if not enabled:
        return ResponseCacheChain((), None)
    generation = CatalogGeneration(lambda: backends().catalog.generation())
    return ResponseCacheChain(
        (
            CatalogResponseCache(generation),
            SearchResponseCache(generation, lambda: backends().search.index_version()),
            SignedInResponseCache(
                lambda: backends().subscriptions,
                generation,
                lambda: backends().recommendations.current_version(),
            ),
        ),
        generation,
    )
