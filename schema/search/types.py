"""Search types: the faceted search connection, its filters input, and suggestions."""

from __future__ import annotations

import strawberry

from datasources.search.contract import (
    MAX_FACET_BUCKETS,
    PRICE_BUCKETS,
    FacetBucket,
    SearchFilters,
    SearchSort,
)
from records.catalog import Category, Difficulty
from resolvers.search import FoundCourse, FoundSuggestion, SearchPage
from schema.catalog.types import CourseType
from schema.common.cost import ListSize
from schema.common.pagination import PageInfo

SearchSortEnum = strawberry.enum(SearchSort, name="SearchSort")


@strawberry.input(description="OR within a field, AND across fields; unknown values match nothing")
class SearchFiltersInput:
    category: list[Category] | None = None
    difficulty: list[Difficulty] | None = None
    language: list[str] | None = None
    tags: list[str] | None = None
    price_min: int | None = strawberry.field(default=None, description="Paise, inclusive")
    price_max: int | None = strawberry.field(default=None, description="Paise, inclusive")
    free: bool | None = strawberry.field(default=None, description="true: free only; false: paid")

    def to_record(self) -> SearchFilters:
        return SearchFilters(
            categories=tuple(c.value for c in self.category or ()),
            difficulties=tuple(d.value for d in self.difficulty or ()),
            languages=tuple(self.language or ()),
            tags=tuple(self.tags or ()),
            price_min=self.price_min,
            price_max=self.price_max,
            free=self.free,
        )


@strawberry.type
class SearchHitNode:
    course: CourseType
    score: float
    title_highlight: str = strawberry.field(description="HTML-escaped; matches in <em>")
    description_highlight: str = strawberry.field(description="HTML-escaped; matches in <em>")


@strawberry.type
class SearchEdge:
    cursor: str
    node: SearchHitNode

    @classmethod
    def from_found(cls, found: FoundCourse) -> SearchEdge:
        node = SearchHitNode(
            course=CourseType.from_record(found.course),
            score=found.score,
            title_highlight=found.title_highlight,
            description_highlight=found.description_highlight,
        )
        return cls(cursor=found.cursor, node=node)


@strawberry.type
class FacetValue:
    value: str
    count: int


def _values(buckets: tuple[FacetBucket, ...] | None) -> list[FacetValue]:
    return [FacetValue(value=b.value, count=b.count) for b in buckets or ()]


@strawberry.type(description="Each facet's counts apply every filter except its own")
class SearchFacets:
    category: list[FacetValue] = strawberry.field(directives=[ListSize(assumed_size=len(Category))])
    difficulty: list[FacetValue] = strawberry.field(
        directives=[ListSize(assumed_size=len(Difficulty))]
    )
    language: list[FacetValue] = strawberry.field(
        directives=[ListSize(assumed_size=MAX_FACET_BUCKETS)]
    )
    tags: list[FacetValue] = strawberry.field(directives=[ListSize(assumed_size=MAX_FACET_BUCKETS)])
    price: list[FacetValue] = strawberry.field(
        description="Fixed price ranges, in order",
        directives=[ListSize(assumed_size=len(PRICE_BUCKETS))],
    )

    @classmethod
    def from_buckets(cls, facets: dict[str, tuple[FacetBucket, ...]]) -> SearchFacets:
        return cls(
            category=_values(facets.get("category")),
            difficulty=_values(facets.get("difficulty")),
            language=_values(facets.get("language")),
            tags=_values(facets.get("tags")),
            price=_values(facets.get("price")),
        )


@strawberry.type
class SearchConnection:
    edges: list[SearchEdge]
    page_info: PageInfo
    total_count: int
    facets: SearchFacets | None = strawberry.field(
        description="Null when the database fallback answered (see extensions.search)"
    )

    @classmethod
    def from_page(cls, page: SearchPage) -> SearchConnection:
        edges = [SearchEdge.from_found(found) for found in page.hits]
        return cls(
            edges=edges,
            page_info=PageInfo.of([edge.cursor for edge in edges], page.has_next_page),
            total_count=page.total,
            facets=None if page.facets is None else SearchFacets.from_buckets(page.facets),
        )


@strawberry.type(name="Suggestion")
class SuggestionType:
    id: strawberry.ID = strawberry.field(description="The course id")
    title: str
    score: float
    course: CourseType

    @classmethod
    def from_found(cls, found: FoundSuggestion) -> SuggestionType:
        return cls(
            id=strawberry.ID(str(found.course.id)),
            title=found.course.title,
            score=found.score,
            course=CourseType.from_record(found.course),
        )
