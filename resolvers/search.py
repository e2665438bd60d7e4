"""Search use cases: faceted course search and autocomplete, with a database fallback.

Input is checked here (lengths, list sizes, price bounds, cursors) so the engine only sees sane
requests. Hits carry course ids; the courses come through the request's CourseLoader, so a page
costs one catalog read. When the engine cannot answer, search falls back to a title query on the
database and says so in the response's `extensions`.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from datasources.search.contract import (
    MAX_RESULT_WINDOW,
    MAX_SUGGESTIONS,
    FacetBucket,
    SearchFilters,
    SearchHit,
    SearchRequest,
    SearchSort,
    SearchUnavailable,
)
from records.catalog import Course
from resolvers.context import RequestContext
from resolvers.errors import ClientError
from resolvers.pagination import check_first, decode_cursor, encode_cursor

MAX_QUERY_CHARS = 200
MAX_PREFIX_CHARS = 100
MAX_FILTER_VALUES = 20
MAX_FILTER_VALUE_CHARS = 50
_SEARCH_CURSOR = "search"
_FALLBACK_SNIPPET_CHARS = 160


@dataclass(frozen=True, slots=True)
class FoundCourse:
    course: Course
    cursor: str
    score: float
    title_highlight: str
    description_highlight: str


@dataclass(frozen=True, slots=True)
class SearchPage:
    hits: list[FoundCourse]
    total: int
    has_next_page: bool
    facets: dict[str, tuple[FacetBucket, ...]] | None  # None: answered by the fallback


@dataclass(frozen=True, slots=True)
class FoundSuggestion:
    course: Course
    score: float


async def search(
    ctx: RequestContext,
    query: str,
    filters: SearchFilters,
    sort: SearchSort,
    first: int,
    after: str | None,
) -> SearchPage:
    text = _checked_text(query, MAX_QUERY_CHARS, "query")
    check_first(first)
    _check_filters(filters)
    offset = decode_cursor(after, _SEARCH_CURSOR, 1)[0] + 1 if after else 0
    if offset + first > MAX_RESULT_WINDOW:
        raise ClientError(
            f"results beyond the first {MAX_RESULT_WINDOW} are not available; narrow the search",
            field="after",
        )
    request = SearchRequest(text, filters, sort, offset, first)
    try:
        result = await ctx.backends.search.search(request)
    except SearchUnavailable as error:
        ignored = ["tags"] if filters.tags else []
        _mark_degraded(ctx, error, ignored)
        return await _search_database(ctx, request)
    found = await _with_courses(ctx, result.hits, offset)
    return SearchPage(found, result.total, offset + len(result.hits) < result.total, result.facets)


async def autocomplete(ctx: RequestContext, prefix: str, first: int) -> list[FoundSuggestion]:
    text = _checked_text(prefix, MAX_PREFIX_CHARS, "prefix")
    if not 1 <= first <= MAX_SUGGESTIONS:
        raise ClientError(f"`first` must be between 1 and {MAX_SUGGESTIONS}", field="first")
    if not text:
        return []
    try:
        suggestions = await ctx.backends.search.autocomplete(text, first)
    except SearchUnavailable as error:
        _mark_degraded(ctx, error, [])
        courses, _ = await ctx.backends.uncached_catalog.search_active_by_title(
            text.split(), SearchFilters(), SearchSort.RELEVANCE, 0, first
        )
        return [FoundSuggestion(course, 0.0) for course in courses]
    loaded = await ctx.loaders.course.load_many([s.course_id for s in suggestions])
    return [
        FoundSuggestion(course, suggestion.score)
        for suggestion, course in zip(suggestions, loaded, strict=True)
        if course is not None and course.is_active
    ]


def _checked_text(raw: str, limit: int, field: str) -> str:
    text = " ".join(raw.split())
    if len(text) > limit:
        raise ClientError(f"`{field}` is at most {limit} characters", field=field)
    return text


def _check_filters(filters: SearchFilters) -> None:
    for name, values in (
        ("language", filters.languages),
        ("tags", filters.tags),
        ("category", filters.categories),
        ("difficulty", filters.difficulties),
    ):
        if len(values) > MAX_FILTER_VALUES:
            raise ClientError(f"at most {MAX_FILTER_VALUES} `{name}` values", field=name)
        if any(len(value) > MAX_FILTER_VALUE_CHARS for value in values):
            raise ClientError(
                f"`{name}` values are at most {MAX_FILTER_VALUE_CHARS} characters", field=name
            )
    for name, bound in (("priceMin", filters.price_min), ("priceMax", filters.price_max)):
        if bound is not None and bound < 0:
            raise ClientError(f"`{name}` must not be negative", field=name)
    low, high = filters.price_min, filters.price_max
    if low is not None and high is not None and low > high:
        raise ClientError("`priceMin` must not exceed `priceMax`", field="priceMin")


def _mark_degraded(ctx: RequestContext, error: SearchUnavailable, ignored: list[str]) -> None:
    ctx.extensions["search"] = {
        "degraded": True,
        "reason": f"search engine unavailable ({error}); answered from the database by title",
        "ignoredFilters": ignored,
    }


async def _with_courses(
    ctx: RequestContext, hits: Sequence[SearchHit], offset: int
) -> list[FoundCourse]:
    """Hits joined to their courses; a hit whose course is gone or inactive is left out."""
    courses = await ctx.loaders.course.load_many([hit.course_id for hit in hits])
    return [
        FoundCourse(
            course,
            encode_cursor(_SEARCH_CURSOR, offset + position),
            hit.score,
            hit.title_highlight,
            hit.description_highlight,
        )
        for position, (hit, course) in enumerate(zip(hits, courses, strict=True))
        if course is not None and course.is_active
    ]


async def _search_database(ctx: RequestContext, request: SearchRequest) -> SearchPage:
    courses, total = await ctx.backends.uncached_catalog.search_active_by_title(
        request.query.split(), request.filters, request.sort, request.offset, request.limit
    )
    found = [
        FoundCourse(
            course,
            encode_cursor(_SEARCH_CURSOR, request.offset + position),
            0.0,
            html.escape(course.title),
            html.escape(course.description[:_FALLBACK_SNIPPET_CHARS]),
        )
        for position, course in enumerate(courses)
    ]
    return SearchPage(found, total, request.offset + len(courses) < total, None)
