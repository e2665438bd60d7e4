"""The behaviour every search engine promises, run against each available engine."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Sequence

import pytest

from datasources.search.contract import (
    MAX_FACET_BUCKETS,
    PRICE_BUCKETS,
    SearchDocument,
    SearchEngine,
    SearchFilters,
    SearchHit,
    SearchRequest,
    SearchResult,
    SearchSort,
    SearchUnavailable,
)
from tests.search import corpus
from tests.search.conftest import in_batches
from tests.search.reference import browse_order, facet_counts, passes


async def every_hit(
    engine: SearchEngine,
    query: str = "",
    filters: SearchFilters | None = None,
    sort: SearchSort = SearchSort.RELEVANCE,
    page_size: int = 100,
) -> list[SearchHit]:
    """All hits, page by page, checking that each page reports the same total."""
    hits: list[SearchHit] = []
    totals: set[int] = set()
    while True:
        result = await engine.search(
            SearchRequest(query, filters or SearchFilters(), sort, len(hits), page_size)
        )
        totals.add(result.total)
        hits.extend(result.hits)
        if not result.hits or len(hits) >= result.total:
            break
    assert len(totals) == 1
    assert len(hits) == totals.pop()
    return hits


async def every_id(
    engine: SearchEngine,
    query: str = "",
    filters: SearchFilters | None = None,
    sort: SearchSort = SearchSort.RELEVANCE,
) -> list[int]:
    return [hit.course_id for hit in await every_hit(engine, query, filters, sort)]


def by_id(courses: Sequence[SearchDocument]) -> dict[int, SearchDocument]:
    return {doc.course_id: doc for doc in courses}


# --- lifecycle -------------------------------------------------------------------------------


async def test_has_no_index_before_the_first_build(empty_engine: SearchEngine) -> None:
    assert await empty_engine.ping()
    assert not await empty_engine.has_index()
    with pytest.raises(SearchUnavailable):
        await empty_engine.search(SearchRequest("typing"))
    with pytest.raises(SearchUnavailable):
        await empty_engine.autocomplete("typ", 5)
    with pytest.raises(SearchUnavailable):
        await empty_engine.upsert(corpus.hand_written_courses()[:1])


async def test_rebuild_swaps_in_the_whole_new_catalog(
    engine: SearchEngine, courses: list[SearchDocument]
) -> None:
    assert await engine.has_index()
    replacement = corpus.generated_courses(count=25, first_id=5_000)

    await engine.rebuild(in_batches(replacement, size=10))

    assert sorted(await every_id(engine)) == [doc.course_id for doc in replacement]
    assert (await engine.search(SearchRequest("quokka"))).total == 0


async def test_rebuild_accepts_async_batches(empty_engine: SearchEngine) -> None:
    docs = corpus.hand_written_courses()

    async def batches() -> AsyncIterator[Sequence[SearchDocument]]:
        for batch in in_batches(docs, size=4):
            yield batch

    await empty_engine.rebuild(batches())

    assert sorted(await every_id(empty_engine)) == sorted(doc.course_id for doc in docs)


async def test_writes_made_during_a_rebuild_survive_the_swap(
    engine: SearchEngine, courses: list[SearchDocument]
) -> None:
    renamed = dataclasses.replace(by_id(courses)[corpus.RENAMED], title="Narwhal Finger Drills")

    async def batches_with_writes_in_between() -> AsyncIterator[Sequence[SearchDocument]]:
        yield courses[:150]  # still holds the old RENAMED title
        await engine.upsert([renamed])
        await engine.delete([2])
        yield courses[150:]

    await engine.rebuild(batches_with_writes_in_between())

    assert [hit.course_id for hit in (await engine.search(SearchRequest("narwhal"))).hits] == [
        corpus.RENAMED
    ]
    assert 2 not in await every_id(engine, "python")


async def test_a_failed_rebuild_keeps_the_current_index(
    engine: SearchEngine, courses: list[SearchDocument]
) -> None:
    async def failing_batches() -> AsyncIterator[Sequence[SearchDocument]]:
        yield corpus.generated_courses(count=5, first_id=9_000)
        raise RuntimeError("catalog read failed")

    with pytest.raises(RuntimeError, match="catalog read failed"):
        await engine.rebuild(failing_batches())

    assert sorted(await every_id(engine)) == sorted(doc.course_id for doc in courses)


# --- writes ----------------------------------------------------------------------------------


async def test_deleting_a_course_removes_it_from_hits_and_facets(engine: SearchEngine) -> None:
    before = await engine.search(SearchRequest("python"))
    coding_before = dict((b.value, b.count) for b in before.facets["category"])["coding"]
    assert 2 in [hit.course_id for hit in before.hits]

    await engine.delete([2, 999_999])  # an unknown id is not an error

    after = await engine.search(SearchRequest("python"))
    assert 2 not in await every_id(engine, "python")
    assert after.total == before.total - 1
    assert dict((b.value, b.count) for b in after.facets["category"])["coding"] == coding_before - 1


async def test_upserting_a_new_title_finds_it_by_the_new_title_only(
    engine: SearchEngine, courses: list[SearchDocument]
) -> None:
    renamed = dataclasses.replace(
        by_id(courses)[corpus.RENAMED], title="Narwhal Finger Drills", price_paise=900_000
    )

    await engine.upsert([renamed])

    assert [hit.course_id for hit in (await engine.search(SearchRequest("narwhal"))).hits] == [
        corpus.RENAMED
    ]
    assert (await engine.search(SearchRequest("quokka"))).total == 0
    browse = await engine.search(SearchRequest(filters=SearchFilters(price_min=800_000)))
    assert [hit.course_id for hit in browse.hits] == [corpus.RENAMED]
    assert len(await every_id(engine)) == len(courses)  # replaced, not duplicated


async def test_upserting_a_new_course_adds_it(engine: SearchEngine) -> None:
    new_course = dataclasses.replace(
        corpus.hand_written_courses()[0], course_id=7_777, title="Dvorak Layout Primer"
    )

    await engine.upsert([new_course])

    assert [hit.course_id for hit in (await engine.search(SearchRequest("dvorak"))).hits] == [7_777]


# --- filters, facets, sorting, paging --------------------------------------------------------

FILTER_CASES = [
    SearchFilters(),
    SearchFilters(categories=("coding",)),
    SearchFilters(categories=("coding", "kids"), difficulties=("beginner",)),
    SearchFilters(languages=("hi", "ta"), tags=("certificate",)),
    SearchFilters(tags=("python", "games"), price_max=99_999),
    SearchFilters(free=True, difficulties=("advanced", "intermediate")),
    SearchFilters(free=False, price_min=50_000, price_max=199_999, languages=("en",)),
    SearchFilters(
        categories=("touch_typing", "accuracy"),
        difficulties=("beginner",),
        languages=("en",),
        tags=("home-row", "accuracy"),
        price_min=1,
    ),
]


@pytest.mark.parametrize("query", ["", "typing"])
@pytest.mark.parametrize("filters", FILTER_CASES)
async def test_facet_counts_apply_every_filter_but_their_own(
    engine: SearchEngine, courses: list[SearchDocument], query: str, filters: SearchFilters
) -> None:
    docs = by_id(courses)
    matching_query = [docs[course_id] for course_id in await every_id(engine, query)]
    assert len(matching_query) > 100

    result = await engine.search(SearchRequest(query, filters))

    expected = facet_counts(matching_query, filters)
    assert result.total == sum(passes(doc, filters) for doc in matching_query)
    assert set(result.facets) == {"category", "difficulty", "language", "tags", "price"}
    for facet in ("category", "difficulty", "language", "tags"):
        assert len(expected[facet]) <= MAX_FACET_BUCKETS
        buckets = result.facets[facet]
        assert {b.value: b.count for b in buckets} == dict(expected[facet]), facet
        assert [(-b.count, b.value) for b in buckets] == sorted(
            (-b.count, b.value) for b in buckets
        )
    assert [(b.value, b.count) for b in result.facets["price"]] == [
        (bucket.key, expected["price"][bucket.key]) for bucket in PRICE_BUCKETS
    ]


@pytest.mark.parametrize("filters", FILTER_CASES[1:])
async def test_filters_select_exactly_the_matching_courses(
    engine: SearchEngine, courses: list[SearchDocument], filters: SearchFilters
) -> None:
    expected = sorted(doc.course_id for doc in courses if passes(doc, filters))
    assert expected, "each case should select something"

    assert sorted(await every_id(engine, "", filters)) == expected


@pytest.mark.parametrize(
    "filters",
    [
        SearchFilters(free=True, price_min=100),
        SearchFilters(price_min=300_000, price_max=100_000),
        SearchFilters(categories=("no-such-category",)),
        SearchFilters(tags=("no-such-tag",), languages=("xx",)),
    ],
)
async def test_filters_that_match_nothing_answer_with_no_hits(
    engine: SearchEngine, filters: SearchFilters
) -> None:
    result = await engine.search(SearchRequest("typing", filters))

    assert result.total == 0
    assert result.hits == ()


async def test_an_unknown_category_keeps_the_category_counts(engine: SearchEngine) -> None:
    unfiltered = await engine.search(SearchRequest())
    filtered = await engine.search(SearchRequest(filters=SearchFilters(categories=("nope",))))

    assert filtered.total == 0
    assert filtered.facets["category"] == unfiltered.facets["category"]
    assert all(bucket.count == 0 for bucket in filtered.facets["price"])


@pytest.mark.parametrize("sort", list(SearchSort))
async def test_browsing_sorts_by_the_requested_key_then_course_id(
    engine: SearchEngine, courses: list[SearchDocument], sort: SearchSort
) -> None:
    assert await every_id(engine, "", None, sort) == browse_order(courses, sort)


@pytest.mark.parametrize(
    "sort", [SearchSort.PRICE_ASC, SearchSort.PRICE_DESC, SearchSort.NEWEST, SearchSort.POPULAR]
)
async def test_a_text_query_sorted_by_a_field_keeps_its_matches(
    engine: SearchEngine, courses: list[SearchDocument], sort: SearchSort
) -> None:
    by_relevance = await every_id(engine, "python")
    sorted_ids = await every_id(engine, "python", None, sort)

    docs = by_id(courses)
    assert sorted_ids == browse_order([docs[course_id] for course_id in by_relevance], sort)


@pytest.mark.parametrize(
    ("query", "sort"),
    [
        ("", SearchSort.RELEVANCE),
        ("", SearchSort.PRICE_ASC),
        ("typing", SearchSort.RELEVANCE),
        ("typing course", SearchSort.POPULAR),
    ],
)
async def test_pages_have_no_duplicates_or_gaps(
    engine: SearchEngine, query: str, sort: SearchSort
) -> None:
    paged = await every_hit(engine, query, None, sort, page_size=7)
    at_once = await every_hit(engine, query, None, sort, page_size=100)

    assert [hit.course_id for hit in paged] == [hit.course_id for hit in at_once]
    assert len({hit.course_id for hit in paged}) == len(paged)


async def test_an_offset_past_the_end_gives_an_empty_page(
    engine: SearchEngine, courses: list[SearchDocument]
) -> None:
    result = await engine.search(SearchRequest(offset=len(courses) + 10, limit=10))

    assert result.hits == ()
    assert result.total == len(courses)


# --- ranking ---------------------------------------------------------------------------------


def ids(result: SearchResult) -> list[int]:
    return [hit.course_id for hit in result.hits]


@pytest.mark.parametrize("query", ["touch typing", "TOUCH   Typing"])
async def test_an_exact_title_match_ranks_first(engine: SearchEngine, query: str) -> None:
    result = await engine.search(SearchRequest(query))

    assert ids(result)[0] == corpus.EXACT_TOUCH_TYPING
    assert result.total > 20  # other touch typing courses, all more popular


async def test_a_title_match_outranks_a_description_match(engine: SearchEngine) -> None:
    result = await engine.search(SearchRequest("stenography"))

    assert ids(result) == [corpus.STENOGRAPHY_IN_TITLE, corpus.STENOGRAPHY_IN_DESCRIPTION]


async def test_popularity_breaks_a_near_tie(engine: SearchEngine) -> None:
    result = await engine.search(SearchRequest("keyboard shortcuts"))

    assert ids(result)[:2] == [corpus.SHORTCUTS_POPULAR, corpus.SHORTCUTS_UNPOPULAR]


@pytest.mark.parametrize(
    ("query", "expected_in_title"),
    [("pyhton", "python"), ("tuch typing", "touch typing"), ("stenograpy", "stenography")],
)
async def test_search_tolerates_typos(
    engine: SearchEngine, query: str, expected_in_title: str
) -> None:
    result = await engine.search(SearchRequest(query))

    assert result.hits
    assert expected_in_title in result.hits[0].title_highlight.lower().replace("<em>", "").replace(
        "</em>", ""
    )


async def test_highlights_mark_matches_and_escape_html(engine: SearchEngine) -> None:
    result = await engine.search(SearchRequest("tricks"))

    hit = result.hits[0]
    assert hit.course_id == corpus.ESCAPED
    assert hit.title_highlight == "Typing &amp; <em>Tricks</em> &lt;Pro&gt;"
    assert hit.description_highlight == "Tips &amp; <em>tricks</em> for &lt;faster&gt; typing."


async def test_browse_hits_carry_escaped_unmarked_text(engine: SearchEngine) -> None:
    result = await engine.search(
        SearchRequest(
            filters=SearchFilters(categories=("speed_building",), difficulties=("advanced",))
        )
    )

    escaped = [hit for hit in result.hits if hit.course_id == corpus.ESCAPED]
    assert escaped[0].title_highlight == "Typing &amp; Tricks &lt;Pro&gt;"


# --- autocomplete ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "expected_in_title"),
    [
        ("pyhton", "python"),
        ("tuch typ", "touch typing"),
        ("Touch Typing Fund", "touch typing fundamentals"),
        ("steno", "stenography"),
        ("javascrpit", "javascript"),
    ],
)
async def test_autocomplete_tolerates_typos_and_partial_words(
    engine: SearchEngine, prefix: str, expected_in_title: str
) -> None:
    suggestions = await engine.autocomplete(prefix, 5)

    assert suggestions
    assert expected_in_title in suggestions[0].title.lower()


async def test_autocomplete_ranks_popular_courses_first_among_equal_matches(
    engine: SearchEngine,
) -> None:
    suggestions = await engine.autocomplete("keyboard sho", 5)

    assert [s.course_id for s in suggestions[:2]] == [
        corpus.SHORTCUTS_POPULAR,
        corpus.SHORTCUTS_UNPOPULAR,
    ]


async def test_autocomplete_returns_at_most_limit_distinct_courses(engine: SearchEngine) -> None:
    suggestions = await engine.autocomplete("typ", 7)

    assert len(suggestions) == 7
    assert len({s.course_id for s in suggestions}) == 7
    assert [s.score for s in suggestions] == sorted((s.score for s in suggestions), reverse=True)


# --- hostile input ---------------------------------------------------------------------------

HOSTILE_QUERIES = [
    "",
    "   ",
    "x" * 10_000,
    "typing " * 2_000,
    '"',
    '"touch typing',
    ":",
    "title:python",
    "(",
    "((typing)",
    "*",
    "pyth*",
    "~",
    "typing~2",
    "AND OR NOT",
    "typing AND",
    '+-&&||!(){}[]^"~*?:\\/',
    "\x00\u200b\ufeff",
    "日本語のタイピング",
    "ტაიპინგი ✍️ 🧑‍💻",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "/.*/",
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES, ids=lambda query: repr(query[:20]))
async def test_hostile_text_answers_without_raising(engine: SearchEngine, query: str) -> None:
    result = await engine.search(SearchRequest(query, SearchFilters(categories=(query[:50],))))
    assert result.total == len(result.hits) == 0

    unfiltered = await engine.search(SearchRequest(query, limit=5))
    assert unfiltered.total >= len(unfiltered.hits)
    assert all("<script>" not in hit.title_highlight for hit in unfiltered.hits)

    suggestions = await engine.autocomplete(query, 5)
    assert len(suggestions) <= 5


# --- request records -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [{"limit": 0}, {"limit": 101}, {"offset": -1}, {"offset": 9_990, "limit": 20}],
)
def test_requests_outside_the_bounds_are_rejected(fields: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        SearchRequest(**fields)  # type: ignore[arg-type]
