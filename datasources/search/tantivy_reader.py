"""Answers searches and suggestions from one tantivy searcher (blocking; run it in a thread)."""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import tantivy
from tantivy import Order, Query

from datasources.search import tantivy_schema as fields
from datasources.search.contract import (
    FACET_NAMES,
    MAX_SUGGESTIONS,
    PRICE_BUCKETS,
    FacetBucket,
    SearchFilters,
    SearchHit,
    SearchRequest,
    SearchResult,
    SearchSort,
    Suggestion,
)
from datasources.search.facets import filters_for_facet, term_buckets
from datasources.search.highlight import (
    DESCRIPTION_FRAGMENT_CHARS,
    TermMatcher,
    TextSpan,
    highlight,
)
from datasources.search.tantivy_queries import TantivyQueries, TextQuery

_FACET_FIELDS = {
    "category": fields.CATEGORY,
    "difficulty": fields.DIFFICULTY,
    "language": fields.LANGUAGE,
    "tags": fields.TAGS,
}
# Distinct values a terms aggregation returns before we sort and cut them ourselves; above any
# realistic number of tags, so counts and tie order are exact.
_TERMS_AGGREGATION_SIZE = 10_000
# Extra hits fetched past a page so that a tie on the sort key at its end is usually seen at once.
_TIE_MARGIN = 16
# Suggestions are chosen from a fixed number of tantivy's best candidates, whatever the limit, so
# a shorter list is always the start of a longer one. When the tie at the list's end runs past
# them, every match is fetched to order the tie by course_id, but only up to this many matches:
# a one- to three-letter prefix can match thousands of courses with one score (equal popularity),
# and reading all their course ids in Python took up to ~20 ms on the event loop. Past the cap,
# the tie is cut where tantivy's own collector cut it (by internal doc address) and only the
# candidates are ordered by course_id: the score order still holds, only which of the many
# equally good courses are shown may change after segments merge.
_SUGGESTION_CANDIDATES = MAX_SUGGESTIONS + _TIE_MARGIN
_SUGGESTION_FULL_TIE_CAP = 512


@dataclass(frozen=True, slots=True)
class _Ordering:
    """How tantivy orders hits, and how we order the equal ones (by course_id)."""

    search_options: dict[str, Any]
    descending: bool
    is_relevance: bool


_BY_RELEVANCE = _Ordering({"weight_by_field": fields.POPULARITY_WEIGHT}, True, True)
_ORDERINGS = {
    SearchSort.POPULAR: _Ordering(
        {"order_by_field": fields.POPULARITY, "order": Order.Desc}, True, False
    ),
    SearchSort.NEWEST: _Ordering(
        {"order_by_field": fields.CREATED, "order": Order.Desc}, True, False
    ),
    SearchSort.PRICE_ASC: _Ordering(
        {"order_by_field": fields.PRICE, "order": Order.Asc}, False, False
    ),
    SearchSort.PRICE_DESC: _Ordering(
        {"order_by_field": fields.PRICE, "order": Order.Desc}, True, False
    ),
}


@dataclass(frozen=True, slots=True)
class _RankedDoc:
    key: float
    course_id: int
    address: tantivy.DocAddress


def run_search(
    searcher: tantivy.Searcher, queries: TantivyQueries, request: SearchRequest
) -> SearchResult:
    text = queries.text(request.query)
    query = queries.combine(text, queries.filters(request.filters))
    ordering = _ordering_for(request.sort, browsing=text is None)
    page, total = _ranked_page(searcher, query, ordering, request.offset, request.limit)
    matcher = TermMatcher(text.terms if text else (), typo_tolerant=True)
    hits = tuple(_hit(searcher, ranked, matcher, ordering.is_relevance) for ranked in page)
    facets = _facets(searcher, queries, text, request.filters)
    return SearchResult(hits=hits, total=total, facets=facets)


def run_autocomplete(
    searcher: tantivy.Searcher, queries: TantivyQueries, prefix: str, limit: int
) -> list[Suggestion]:
    query = queries.autocomplete(prefix)
    if query is None:
        return []
    page, _ = _ranked_page(
        searcher,
        query,
        _BY_RELEVANCE,
        0,
        limit,
        fetch=_SUGGESTION_CANDIDATES,
        full_tie_cap=_SUGGESTION_FULL_TIE_CAP,
    )
    return [
        Suggestion(
            course_id=ranked.course_id,
            title=str(searcher.doc(ranked.address).get_first(fields.TITLE) or ""),
            score=ranked.key,
        )
        for ranked in page
    ]


def _ordering_for(sort: SearchSort, *, browsing: bool) -> _Ordering:
    if sort is SearchSort.RELEVANCE:
        return _ORDERINGS[SearchSort.POPULAR] if browsing else _BY_RELEVANCE
    return _ORDERINGS[sort]


def _ranked_page(
    searcher: tantivy.Searcher,
    query: Query,
    ordering: _Ordering,
    offset: int,
    limit: int,
    *,
    fetch: int | None = None,
    full_tie_cap: int | None = None,
) -> tuple[list[_RankedDoc], int]:
    """The page in (key, course_id) order, and the total number of matches.

    tantivy breaks ties by internal doc address, which changes as segments merge. We fetch a
    margin past the page (or `fetch` hits, at least the page); when the key at the page's end
    still runs to the last hit fetched we fetch every match, so every doc tied with the page's
    last one is in hand, then order ties by course_id ourselves. With `full_tie_cap`, that is
    done only when there are at most that many matches; otherwise ties are ordered among the
    hits fetched.
    """
    page_end = offset + limit
    fetch_limit = max(page_end, fetch) if fetch is not None else page_end + _TIE_MARGIN
    result = searcher.search(query, limit=fetch_limit, count=True, **ordering.search_options)
    total = _match_count(result)
    hits = result.hits
    if (
        len(hits) == fetch_limit
        and hits[-1][0] == hits[page_end - 1][0]
        and (full_tie_cap is None or total <= full_tie_cap)
    ):
        # The tie runs past the margin (common when many docs share a popularity): take every
        # match in one more search rather than doubling step by step.
        result = searcher.search(query, limit=total, count=True, **ordering.search_options)
        hits = result.hits
    addresses = [address for _, address in hits]
    course_ids = searcher.fast_field_values(fields.COURSE_ID, addresses)
    sign = -1.0 if ordering.descending else 1.0
    # Plain tuples compare in C; only the page's docs become records.
    ordered = heapq.nsmallest(
        page_end,
        zip(
            [sign * float(key) for key, _ in hits],
            [int(course_id or 0) for course_id in course_ids],
            range(len(hits)),
            strict=True,
        ),
    )
    page = [
        _RankedDoc(float(hits[position][0]), course_id, addresses[position])
        for _, course_id, position in ordered[offset:]
    ]
    return page, total


def _match_count(result: tantivy.SearchResult) -> int:
    count = cast(Any, result).count  # present at run time (count=True), missing from the stub
    return int(count)


def _hit(
    searcher: tantivy.Searcher, ranked: _RankedDoc, matcher: TermMatcher, is_relevance: bool
) -> SearchHit:
    document = searcher.doc(ranked.address)
    title = str(document.get_first(fields.TITLE) or "")
    description = str(document.get_first(fields.DESCRIPTION) or "")
    return SearchHit(
        course_id=ranked.course_id,
        score=ranked.key if is_relevance else 0.0,
        title_highlight=highlight(title, _matches(title, matcher)),
        description_highlight=highlight(
            description, _matches(description, matcher), DESCRIPTION_FRAGMENT_CHARS
        ),
    )


def _matches(text: str, matcher: TermMatcher) -> list[TextSpan]:
    """Where text's words, analysed like the indexed field, match the query."""
    if not matcher:
        return []
    tokens = fields.course_text_analyzer.pre_tokenize(text).tokens
    return [
        TextSpan(token.char_offset_from, token.char_offset_to)
        for token in tokens
        if matcher(token.text)
    ]


def _facets(
    searcher: tantivy.Searcher,
    queries: TantivyQueries,
    text: TextQuery | None,
    filters: SearchFilters,
) -> dict[str, tuple[FacetBucket, ...]]:
    # Facets whose own filter is not set count under the same filters: one aggregation for them.
    facets_by_filters: dict[SearchFilters, list[str]] = {}
    for facet in FACET_NAMES:
        facets_by_filters.setdefault(filters_for_facet(filters, facet), []).append(facet)
    counted: dict[str, tuple[FacetBucket, ...]] = {}
    for facet_filters, facets in facets_by_filters.items():
        query = queries.combine(text, queries.filters(facet_filters))
        aggregations = searcher.aggregate(query, {facet: _aggregation(facet) for facet in facets})
        for facet in facets:
            counted[facet] = _buckets(facet, aggregations[facet]["buckets"])
    return {facet: counted[facet] for facet in FACET_NAMES}


def _aggregation(facet: str) -> dict[str, Any]:
    if facet == "price":
        ranges = []
        for bucket in PRICE_BUCKETS:
            bounds: dict[str, Any] = {"key": bucket.key, "from": bucket.min_paise}
            if bucket.max_paise is not None:
                bounds["to"] = bucket.max_paise + 1  # "to" is exclusive
            ranges.append(bounds)
        return {"range": {"field": fields.PRICE, "ranges": ranges}}
    return {"terms": {"field": _FACET_FIELDS[facet], "size": _TERMS_AGGREGATION_SIZE}}


def _buckets(facet: str, raw_buckets: Sequence[dict[str, Any]]) -> tuple[FacetBucket, ...]:
    counts = ((str(bucket["key"]), int(bucket["doc_count"])) for bucket in raw_buckets)
    if facet == "price":
        by_key = dict(counts)
        return tuple(FacetBucket(bucket.key, by_key.get(bucket.key, 0)) for bucket in PRICE_BUCKETS)
    return term_buckets(counts)
