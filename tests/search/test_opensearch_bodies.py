"""OpenSearch mapping, query, aggregation and response handling, checked without a server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from datasources.search.contract import (
    PRICE_BUCKETS,
    FacetBucket,
    SearchFilters,
    SearchRequest,
    SearchSort,
)
from datasources.search.opensearch_bodies import (
    build_autocomplete_body,
    build_mapping,
    build_search_body,
    document_source,
    parse_search_response,
)
from datasources.search.query_text import MAX_QUERY_TERMS
from tests.search import corpus

FILTERS = SearchFilters(
    categories=("coding", "kids"),
    difficulties=("beginner",),
    languages=("en",),
    tags=("python",),
    price_min=1,
    price_max=99_999,
)
CATEGORY_CLAUSE = {"terms": {"category": ["coding", "kids"]}}
DIFFICULTY_CLAUSE = {"terms": {"difficulty": ["beginner"]}}
LANGUAGE_CLAUSE = {"terms": {"language": ["en"]}}
TAGS_CLAUSE = {"terms": {"tags": ["python"]}}
PRICE_CLAUSE = {"range": {"price_paise": {"gte": 1, "lte": 99_999}}}
ALL_CLAUSES = [CATEGORY_CLAUSE, DIFFICULTY_CLAUSE, LANGUAGE_CLAUSE, TAGS_CLAUSE, PRICE_CLAUSE]


def walk(node: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair anywhere in a JSON-like body."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def test_mapping_has_keywords_for_facets_and_features_for_ranking() -> None:
    properties = build_mapping()["mappings"]["properties"]

    for facet in ("category", "difficulty", "language", "tags"):
        assert properties[facet]["type"] == "keyword"
    assert properties["popularity_rank"] == {"type": "rank_feature"}
    assert properties["title"]["fields"]["raw"]["type"] == "keyword"
    prefix = properties["title"]["fields"]["prefix"]
    analyzers = build_mapping()["settings"]["analysis"]["analyzer"]
    assert "title_edge_ngram" in analyzers[prefix["analyzer"]]["filter"]
    assert "title_edge_ngram" not in analyzers[prefix["search_analyzer"]]["filter"]


def test_documents_fit_the_mapping() -> None:
    source = document_source(corpus.hand_written_courses()[0])

    assert set(source) == set(build_mapping()["mappings"]["properties"])
    assert source["popularity_rank"] >= 1  # rank_feature rejects zero
    json.dumps(source)


def test_each_facet_aggregation_applies_every_filter_but_its_own() -> None:
    aggregations = build_search_body(SearchRequest("typing", FILTERS))["aggs"]

    def filters_of(facet: str) -> list[dict[str, Any]]:
        return list(aggregations[facet]["filter"]["bool"]["filter"])

    assert filters_of("category") == [DIFFICULTY_CLAUSE, LANGUAGE_CLAUSE, TAGS_CLAUSE, PRICE_CLAUSE]
    assert filters_of("difficulty") == [CATEGORY_CLAUSE, LANGUAGE_CLAUSE, TAGS_CLAUSE, PRICE_CLAUSE]
    assert filters_of("language") == [CATEGORY_CLAUSE, DIFFICULTY_CLAUSE, TAGS_CLAUSE, PRICE_CLAUSE]
    assert filters_of("tags") == [CATEGORY_CLAUSE, DIFFICULTY_CLAUSE, LANGUAGE_CLAUSE, PRICE_CLAUSE]
    assert filters_of("price") == [CATEGORY_CLAUSE, DIFFICULTY_CLAUSE, LANGUAGE_CLAUSE, TAGS_CLAUSE]


def test_hits_are_filtered_by_post_filter_and_the_query_holds_no_filter() -> None:
    body = build_search_body(SearchRequest("typing", FILTERS))

    assert body["post_filter"] == {"bool": {"filter": ALL_CLAUSES}}
    assert not [key for key, _ in walk(body["query"]) if key in {"terms", "range", "filter"}]
    assert body["track_total_hits"] is True


def test_price_aggregation_has_the_fixed_buckets() -> None:
    price = build_search_body(SearchRequest())["aggs"]["price"]["aggs"]["values"]["range"]

    assert price["field"] == "price_paise"
    assert price["ranges"] == [
        {"key": "free", "from": 0, "to": 1},
        {"key": "under_500", "from": 1, "to": 50_000},
        {"key": "500_to_1000", "from": 50_000, "to": 100_000},
        {"key": "1000_to_2000", "from": 100_000, "to": 200_000},
        {"key": "over_2000", "from": 200_000},
    ]


@pytest.mark.parametrize(
    ("filters", "clause"),
    [
        (SearchFilters(free=True), {"range": {"price_paise": {"gte": 0, "lte": 0}}}),
        (SearchFilters(free=False), {"range": {"price_paise": {"gte": 1}}}),
        (SearchFilters(free=True, price_min=5), {"match_none": {}}),
    ],
)
def test_free_filter_becomes_a_price_range(filters: SearchFilters, clause: dict[str, Any]) -> None:
    assert build_search_body(SearchRequest(filters=filters))["post_filter"]["bool"]["filter"] == [
        clause
    ]


@pytest.mark.parametrize(
    "text",
    ['title:(python OR "touch typing")~2 AND *', "a" * 10_000, "pyth* [1 TO 5] {x} \\ / ^3"],
)
def test_user_text_is_only_ever_a_plain_value(text: str) -> None:
    search = build_search_body(SearchRequest(text))
    suggest = build_autocomplete_body(text, 5)

    for body in (search, suggest):
        keys = {key for key, _ in walk(body)}
        assert not keys & {"query_string", "simple_query_string", "regexp", "wildcard", "script"}
    multi_matches = [value for key, value in walk(search) if key == "multi_match"]
    assert len(multi_matches) <= MAX_QUERY_TERMS
    for clause in multi_matches:
        assert isinstance(clause["query"], str)
        assert clause["query"].isalnum()
    assert len(json.dumps(search)) < 20_000


def test_text_query_weights_fields_and_boosts_exact_titles_and_popularity() -> None:
    query = build_search_body(SearchRequest("Touch  Typing"))["query"]["bool"]

    assert [clause["multi_match"]["query"] for clause in query["must"]] == ["Touch", "Typing"]
    for clause in query["must"]:
        assert clause["multi_match"]["fields"] == ["title^3", "tags.text^2", "description^1"]
        assert clause["multi_match"]["fuzziness"] == "AUTO"
    exact = [c["term"]["title.raw"] for c in query["should"] if "term" in c]
    assert exact == [{"value": "Touch Typing", "boost": 1000.0}]
    assert any(c.get("rank_feature", {}).get("field") == "popularity_rank" for c in query["should"])


def test_browsing_matches_everything_without_highlighting() -> None:
    body = build_search_body(SearchRequest("  ((  ", SearchFilters(categories=("kids",))))

    assert body["query"] == {"match_all": {}}
    assert "highlight" not in body
    assert body["sort"] == [{"popularity": {"order": "desc"}}, {"course_id": {"order": "asc"}}]


@pytest.mark.parametrize(
    ("sort", "first_key"),
    [
        (SearchSort.RELEVANCE, {"_score": {"order": "desc"}}),
        (SearchSort.POPULAR, {"popularity": {"order": "desc"}}),
        (SearchSort.NEWEST, {"created_at": {"order": "desc"}}),
        (SearchSort.PRICE_ASC, {"price_paise": {"order": "asc"}}),
        (SearchSort.PRICE_DESC, {"price_paise": {"order": "desc"}}),
    ],
)
def test_every_sort_ends_with_the_course_id_tiebreak(
    sort: SearchSort, first_key: dict[str, Any]
) -> None:
    body = build_search_body(SearchRequest("typing", sort=sort, offset=40, limit=20))

    assert body["sort"] == [first_key, {"course_id": {"order": "asc"}}]
    assert (body["from"], body["size"]) == (40, 20)


def test_highlighting_wraps_matches_in_em_and_escapes_html() -> None:
    highlight = build_search_body(SearchRequest("typing"))["highlight"]

    assert (highlight["pre_tags"], highlight["post_tags"]) == (["<em>"], ["</em>"])
    assert highlight["encoder"] == "html"
    assert highlight["fields"]["title"]["number_of_fragments"] == 0


def test_autocomplete_matches_fuzzy_prefixes_of_title_words() -> None:
    body = build_autocomplete_body("tuch typ", 7)

    assert body is not None
    assert body["size"] == 7
    must = body["query"]["bool"]["must"]
    assert must == [
        {"match": {"title.prefix": {"query": "tuch typ", "operator": "and", "fuzziness": "AUTO"}}}
    ]
    assert body["sort"][-1] == {"course_id": {"order": "asc"}}
    assert build_autocomplete_body(" :( ", 5) is None


def test_a_response_becomes_hits_totals_and_ordered_facets() -> None:
    response = {
        "hits": {
            "total": {"value": 42, "relation": "eq"},
            "hits": [
                {
                    "_score": 3.5,
                    "_source": {"course_id": 10, "title": "A & B", "description": "x < y"},
                    "highlight": {"title": ["<em>A</em> &amp; B"]},
                },
                {"_score": None, "_source": {"course_id": 11, "title": "C", "description": "D"}},
            ],
        },
        "aggregations": {
            "category": {"doc_count": 5, "values": {"buckets": [
                {"key": "kids", "doc_count": 2}, {"key": "coding", "doc_count": 2},
                {"key": "business", "doc_count": 3},
            ]}},
            "difficulty": {"doc_count": 0, "values": {"buckets": []}},
            "language": {"doc_count": 1, "values": {"buckets": [{"key": "en", "doc_count": 1}]}},
            "tags": {"doc_count": 0, "values": {"buckets": []}},
            "price": {"doc_count": 3, "values": {"buckets": [
                {"key": "free", "from": 0, "to": 1, "doc_count": 3},
                {"key": "over_2000", "from": 200000, "doc_count": 0},
            ]}},
        },
    }  # fmt: skip

    result = parse_search_response(response)

    assert result.total == 42
    assert [hit.course_id for hit in result.hits] == [10, 11]
    assert result.hits[0].title_highlight == "<em>A</em> &amp; B"
    assert result.hits[0].description_highlight == "x &lt; y"  # no fragment: escaped source
    assert result.hits[1].score == 0.0
    assert result.facets["category"] == (
        FacetBucket("business", 3),
        FacetBucket("coding", 2),
        FacetBucket("kids", 2),
    )
    assert [bucket.value for bucket in result.facets["price"]] == [b.key for b in PRICE_BUCKETS]
    assert result.facets["price"][0] == FacetBucket("free", 3)
