"""OpenSearch request bodies and response parsing, as pure functions of the search records.

User text only ever appears as the plain string value of match-type queries (one word each) or of
a keyword term, never as query_string syntax.
"""

from __future__ import annotations

from typing import Any

from datasources.search.contract import (
    FACET_NAMES,
    MAX_FACET_BUCKETS,
    PRICE_BUCKETS,
    FacetBucket,
    SearchDocument,
    SearchFilters,
    SearchHit,
    SearchRequest,
    SearchResult,
    SearchSort,
    Suggestion,
)
from datasources.search.facets import filters_for_facet, price_bounds, term_buckets
from datasources.search.highlight import DESCRIPTION_FRAGMENT_CHARS, highlight
from datasources.search.query_text import exact_title_key, query_words
from datasources.search.ranking import (
    DESCRIPTION_BOOST,
    EXACT_TITLE_BOOST,
    TAGS_BOOST,
    TITLE_BOOST,
    TITLE_PHRASE_BOOST,
)

Body = dict[str, Any]

SEARCH_FIELDS = (
    f"title^{TITLE_BOOST:g}",
    f"tags.text^{TAGS_BOOST:g}",
    f"description^{DESCRIPTION_BOOST:g}",
)
FACET_FIELDS = {
    "category": "category",
    "difficulty": "difficulty",
    "language": "language",
    "tags": "tags",
}
# rank_feature adds boost * pop / (pop + pivot): up to +2, half of it at 100 subscribers.
_POPULARITY_PIVOT = 100
_POPULARITY_BOOST = 2.0
_DISMAX_TIE_BREAKER = 0.1
_EXACT_PREFIX_BOOST = 3.0
_MAX_PREFIX_CHARS = 20


def build_mapping() -> Body:
    return {
        "settings": {
            # ~10k courses fit one shard, which keeps facet counts and scores exact.
            "number_of_shards": 1,
            "analysis": {
                "filter": {
                    "english_stemmer": {"type": "stemmer", "language": "english"},
                    "title_edge_ngram": {
                        "type": "edge_ngram",
                        "min_gram": 1,
                        "max_gram": _MAX_PREFIX_CHARS,
                    },
                },
                "analyzer": {
                    "course_text": {
                        "type": "custom",
                        "tokenizer": "standard",
                        "filter": ["lowercase", "asciifolding", "english_stemmer"],
                    },
                    "course_words": {
                        "type": "custom",
                        "tokenizer": "standard",
                        "filter": ["lowercase", "asciifolding"],
                    },
                    "course_prefixes": {
                        "type": "custom",
                        "tokenizer": "standard",
                        "filter": ["lowercase", "asciifolding", "title_edge_ngram"],
                    },
                },
                "normalizer": {
                    "title_key": {"type": "custom", "filter": ["lowercase", "asciifolding"]},
                },
            },
        },
        "mappings": {
            "dynamic": "strict",
            "properties": {
                "course_id": {"type": "long"},
                "slug": {"type": "keyword"},
                "title": {
                    "type": "text",
                    "analyzer": "course_text",
                    "fields": {
                        "raw": {"type": "keyword", "normalizer": "title_key", "ignore_above": 512},
                        "prefix": {
                            "type": "text",
                            "analyzer": "course_prefixes",
                            "search_analyzer": "course_words",
                        },
                    },
                },
                "description": {"type": "text", "analyzer": "course_text"},
                "tags": {
                    "type": "keyword",
                    "fields": {"text": {"type": "text", "analyzer": "course_text"}},
                },
                "category": {"type": "keyword"},
                "difficulty": {"type": "keyword"},
                "language": {"type": "keyword"},
                "price_paise": {"type": "long"},
                "popularity": {"type": "long"},
                "popularity_rank": {"type": "rank_feature"},
                "created_at": {"type": "date"},
            },
        },
    }


def document_source(doc: SearchDocument) -> Body:
    return {
        "course_id": doc.course_id,
        "slug": doc.slug,
        "title": doc.title,
        "description": doc.description,
        "category": doc.category,
        "difficulty": doc.difficulty,
        "language": doc.language,
        "tags": list(doc.tags),
        "price_paise": doc.price_paise,
        "popularity": doc.popularity,
        "popularity_rank": doc.popularity + 1,  # rank_feature values must be positive
        "created_at": doc.created_at.isoformat(),
    }


def build_search_body(request: SearchRequest) -> Body:
    """Text query for the hits and facets; filters in post_filter and per-facet filter aggs."""
    words = query_words(request.query)
    body: Body = {
        "from": request.offset,
        "size": request.limit,
        "track_total_hits": True,
        "_source": ["course_id", "title", "description"],
        "query": _text_query(request.query, words) if words else {"match_all": {}},
        "post_filter": _all_of(filter_clauses(request.filters)),
        "aggs": {facet: _facet_aggregation(facet, request.filters) for facet in FACET_NAMES},
        "sort": _sort(request.sort, browsing=not words),
    }
    if words:
        body["highlight"] = {
            "pre_tags": ["<em>"],
            "post_tags": ["</em>"],
            "encoder": "html",
            "fields": {
                "title": {"number_of_fragments": 0},
                "description": {
                    "fragment_size": DESCRIPTION_FRAGMENT_CHARS,
                    "number_of_fragments": 1,
                    "no_match_size": DESCRIPTION_FRAGMENT_CHARS,
                },
            },
        }
    return body


def build_autocomplete_body(prefix: str, limit: int) -> Body | None:
    """Every typed word must start a title word, typos allowed; None when nothing to match."""
    words = query_words(prefix)
    if not words:
        return None
    typed = " ".join(words)
    return {
        "size": limit,
        "track_total_hits": False,
        "_source": ["course_id", "title"],
        "query": {
            "bool": {
                "must": [
                    {
                        "match": {
                            "title.prefix": {
                                "query": typed,
                                "operator": "and",
                                "fuzziness": "AUTO",
                            }
                        }
                    }
                ],
                "should": [
                    {
                        "match": {
                            "title.prefix": {
                                "query": typed,
                                "operator": "and",
                                "boost": _EXACT_PREFIX_BOOST,
                            }
                        }
                    },
                    {
                        "match_phrase_prefix": {
                            "title": {"query": typed, "boost": TITLE_PHRASE_BOOST}
                        }
                    },
                    _exact_title(prefix),
                    _popularity(),
                ],
            }
        },
        "sort": [{"_score": {"order": "desc"}}, {"course_id": {"order": "asc"}}],
    }


def filter_clauses(filters: SearchFilters) -> list[Body]:
    clauses: list[Body] = []
    for field, values in (
        ("category", filters.categories),
        ("difficulty", filters.difficulties),
        ("language", filters.languages),
        ("tags", filters.tags),
    ):
        if values:
            clauses.append({"terms": {field: list(dict.fromkeys(values))}})
    lower, upper = price_bounds(filters)
    if upper is not None and lower > upper:
        clauses.append({"match_none": {}})
    elif lower > 0 or upper is not None:
        price: Body = {"gte": lower}
        if upper is not None:
            price["lte"] = upper
        clauses.append({"range": {"price_paise": price}})
    return clauses


def parse_search_response(response: Body) -> SearchResult:
    hits = tuple(_hit(hit) for hit in response["hits"]["hits"])
    total = int(response["hits"]["total"]["value"])
    aggregations = response.get("aggregations", {})
    facets = {
        facet: _facet_buckets(facet, aggregations[facet]["values"]["buckets"])
        if facet in aggregations
        else ()
        for facet in FACET_NAMES
    }
    return SearchResult(hits=hits, total=total, facets=facets)


def parse_suggestions(response: Body) -> list[Suggestion]:
    return [
        Suggestion(
            course_id=int(hit["_source"]["course_id"]),
            title=str(hit["_source"]["title"]),
            score=float(hit.get("_score") or 0.0),
        )
        for hit in response["hits"]["hits"]
    ]


def _text_query(user_text: str, words: list[str]) -> Body:
    return {
        "bool": {
            "must": [
                {
                    "multi_match": {
                        "query": word,
                        "fields": list(SEARCH_FIELDS),
                        "type": "best_fields",
                        "fuzziness": "AUTO",
                        "tie_breaker": _DISMAX_TIE_BREAKER,
                        # A word the analyzer drops entirely must not make the query match nothing.
                        "zero_terms_query": "all",
                    }
                }
                for word in dict.fromkeys(words)
            ],
            "should": [
                _exact_title(user_text),
                {
                    "match_phrase": {
                        "title": {"query": " ".join(words), "boost": TITLE_PHRASE_BOOST}
                    }
                },
                _popularity(),
            ],
        }
    }


def _exact_title(user_text: str) -> Body:
    return {
        "term": {"title.raw": {"value": exact_title_key(user_text), "boost": EXACT_TITLE_BOOST}}
    }


def _popularity() -> Body:
    return {
        "rank_feature": {
            "field": "popularity_rank",
            "saturation": {"pivot": _POPULARITY_PIVOT},
            "boost": _POPULARITY_BOOST,
        }
    }


def _all_of(clauses: list[Body]) -> Body:
    return {"bool": {"filter": clauses}}


def _facet_aggregation(facet: str, filters: SearchFilters) -> Body:
    """Counts under every filter but the facet's own: the hits' filters live in post_filter."""
    values: Body
    if facet == "price":
        ranges: list[Body] = []
        for bucket in PRICE_BUCKETS:
            bounds: Body = {"key": bucket.key, "from": bucket.min_paise}
            if bucket.max_paise is not None:
                bounds["to"] = bucket.max_paise + 1  # "to" is exclusive
            ranges.append(bounds)
        values = {"range": {"field": "price_paise", "ranges": ranges}}
    else:
        values = {
            "terms": {
                "field": FACET_FIELDS[facet],
                "size": MAX_FACET_BUCKETS,
                "order": [{"_count": "desc"}, {"_key": "asc"}],
            }
        }
    return {
        "filter": _all_of(filter_clauses(filters_for_facet(filters, facet))),
        "aggs": {"values": values},
    }


def _sort(sort: SearchSort, *, browsing: bool) -> list[Body]:
    by_course = {"course_id": {"order": "asc"}}
    if sort is SearchSort.RELEVANCE and not browsing:
        return [{"_score": {"order": "desc"}}, by_course]
    field, order = {
        SearchSort.RELEVANCE: ("popularity", "desc"),
        SearchSort.POPULAR: ("popularity", "desc"),
        SearchSort.NEWEST: ("created_at", "desc"),
        SearchSort.PRICE_ASC: ("price_paise", "asc"),
        SearchSort.PRICE_DESC: ("price_paise", "desc"),
    }[sort]
    return [{field: {"order": order}}, by_course]


def _hit(hit: Body) -> SearchHit:
    source = hit["_source"]
    highlights = hit.get("highlight", {})
    title = str(source.get("title", ""))
    description = str(source.get("description", ""))
    return SearchHit(
        course_id=int(source["course_id"]),
        score=float(hit.get("_score") or 0.0),
        title_highlight=_first(highlights.get("title")) or highlight(title, ()),
        description_highlight=_first(highlights.get("description"))
        or highlight(description, (), DESCRIPTION_FRAGMENT_CHARS),
    )


def _first(fragments: list[str] | None) -> str | None:
    return str(fragments[0]) if fragments else None


def _facet_buckets(facet: str, raw_buckets: list[Body]) -> tuple[FacetBucket, ...]:
    counts = ((str(bucket["key"]), int(bucket["doc_count"])) for bucket in raw_buckets)
    if facet == "price":
        by_key = dict(counts)
        return tuple(FacetBucket(bucket.key, by_key.get(bucket.key, 0)) for bucket in PRICE_BUCKETS)
    return term_buckets(counts)
