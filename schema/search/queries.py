"""Search fields of the Query root: faceted full-text search and autocomplete."""

from __future__ import annotations

import strawberry

from datasources.search.contract import SearchFilters, SearchSort
from resolvers import search as search_use_cases
from schema.common.cost import ENGINE_QUERY_COST, Cost, ListSize, paged
from schema.common.info import Info
from schema.search.types import SearchConnection, SearchFiltersInput, SuggestionType


@strawberry.type
class SearchQueries:
    @strawberry.field(
        description="Active courses by text and facets; an empty query browses."
        " `query` at most 200 characters, `first` at most 100",
        directives=[Cost(weight=ENGINE_QUERY_COST), paged()],
    )
    async def search(
        self,
        info: Info,
        query: str = "",
        filters: SearchFiltersInput | None = None,
        sort: SearchSort = SearchSort.RELEVANCE,
        first: int = 20,
        after: str | None = None,
    ) -> SearchConnection:
        record = filters.to_record() if filters else SearchFilters()
        page = await search_use_cases.search(info.context, query, record, sort, first, after)
        return SearchConnection.from_page(page)

    @strawberry.field(
        description="Course suggestions while typing; `first` at most 20",
        directives=[Cost(weight=ENGINE_QUERY_COST), ListSize(slicing_arguments=["first"])],
    )
    async def autocomplete(self, info: Info, prefix: str, first: int = 8) -> list[SuggestionType]:
        found = await search_use_cases.autocomplete(info.context, prefix, first)
        return [SuggestionType.from_found(suggestion) for suggestion in found]
