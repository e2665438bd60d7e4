"""Search over HTTP on each backend: mutations reach the index through the outbox, facets agree
with the hits, bad input gets a clear answer, and a dead engine falls back to the database."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from datasources.backends import Backends
from datasources.search.unavailable import UnavailableSearchEngine
from datasources.sql import event_outbox
from jobs.indexer import SearchIndexer
from tests.conftest import graphql, token_for

ADMIN = token_for(1, admin=True)

CREATE = """
mutation($input: CreateCourseInput!) {
  createCourse(input: $input) { __typename ... on CoursePayload { course { id } } }
}"""
UPDATE = """
mutation($id: ID!, $input: UpdateCourseInput!) {
  updateCourse(id: $id, input: $input) { __typename }
}"""
SEARCH = """
query($q: String!, $f: SearchFiltersInput, $first: Int! = 20, $after: String,
      $sort: SearchSort! = RELEVANCE) {
  search(query: $q, filters: $f, first: $first, after: $after, sort: $sort) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { score titleHighlight descriptionHighlight
                          course { id title category isActive } } }
    facets { category { value count } difficulty { value count } language { value count }
             tags { value count } price { value count } }
  }
}"""
AUTOCOMPLETE = """
query($p: String!, $first: Int! = 8) {
  autocomplete(prefix: $p, first: $first) { id title score course { id slug } }
}"""

_COURSES: tuple[tuple[Any, ...], ...] = (
    ("touch-basics", "Touch Typing Basics", "TOUCH_TYPING", "BEGINNER", "en", ["home-row"], 0),
    ("python-drills", "Python Code Drills", "CODING", "INTERMEDIATE", "en", ["python"], 49_900),
    ("hindi-speed", "Hindi Speed Typing", "LANGUAGES", "BEGINNER", "hi", ["hindi"], 19_900),
    ("exam-prep", "Typing Exam Preparation", "EXAM_PREPARATION", "ADVANCED", "en", [], 99_900),
)


async def _create(http: httpx.AsyncClient, slug: str, title: str, *extra: Any) -> str:
    category, difficulty, language, tags, price = extra or ("ACCURACY", "BEGINNER", "en", [], 0)
    body = await graphql(
        http,
        CREATE,
        {
            "input": {
                "slug": slug,
                "title": title,
                "description": f"{title}: lessons and timed drills",
                "category": category,
                "difficulty": difficulty,
                "language": language,
                "tags": tags,
                "pricePaise": price,
            }
        },
        token=ADMIN,
    )
    payload = body["data"]["createCourse"]
    assert payload["__typename"] == "CoursePayload", body
    course_id: str = payload["course"]["id"]
    return course_id


async def _catalog(http: httpx.AsyncClient, backends: Backends) -> dict[str, str]:
    ids = {slug: await _create(http, slug, title, *rest) for slug, title, *rest in _COURSES}
    await SearchIndexer(backends).drain_once()
    return ids


async def _search(http: httpx.AsyncClient, query: str = "", **variables: Any) -> dict[str, Any]:
    return await graphql(http, SEARCH, {"q": query, **variables})


def _titles(body: dict[str, Any]) -> list[str]:
    return [edge["node"]["course"]["title"] for edge in body["data"]["search"]["edges"]]


def _error(body: dict[str, Any]) -> str:
    assert body.get("data") is None or not any(body["data"].values()), body
    message: str = body["errors"][0]["message"]
    assert "Internal" not in message
    return message


async def test_created_renamed_and_deactivated_courses_follow_the_indexer(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    ids = await _catalog(client, backends)
    indexer = SearchIndexer(backends)
    assert _titles(await _search(client, "python"))[0] == "Python Code Drills"

    await graphql(
        client, UPDATE, {"id": ids["python-drills"], "input": {"title": "Rust Code Drills"}}, ADMIN
    )
    assert await indexer.drain_once() == 1
    assert _titles(await _search(client, "rust")) == ["Rust Code Drills"]
    assert "Python Code Drills" not in _titles(await _search(client, "python"))

    await graphql(client, UPDATE, {"id": ids["hindi-speed"], "input": {"isActive": False}}, ADMIN)
    await indexer.drain_once()
    assert _titles(await _search(client, "hindi")) == []
    assert (await _search(client))["data"]["search"]["totalCount"] == 3
    assert await event_outbox.pending(backends.catalog_engine) == 0
    assert await backends.events.lag(SearchIndexer.name, SearchIndexer.kinds) == 0


async def test_facets_agree_with_the_hits(client: httpx.AsyncClient, backends: Backends) -> None:
    await _catalog(client, backends)
    body = await _search(client, "typing", f={"category": ["TOUCH_TYPING"]})
    result = body["data"]["search"]
    assert _titles(body) == ["Touch Typing Basics"]
    assert result["totalCount"] == 1 == len(result["edges"])
    facets = result["facets"]
    # Multi-select: the category facet ignores the category filter, the others apply it.
    categories = {bucket["value"]: bucket["count"] for bucket in facets["category"]}
    assert categories == {"touch_typing": 1, "languages": 1, "exam_preparation": 1}
    assert sum(bucket["count"] for bucket in facets["difficulty"]) == result["totalCount"]
    assert sum(bucket["count"] for bucket in facets["price"]) == result["totalCount"]
    highlight = result["edges"][0]["node"]["titleHighlight"]
    assert "<em>" in highlight


async def test_autocomplete_tolerates_a_typo_and_loads_courses(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    ids = await _catalog(client, backends)
    body = await graphql(client, AUTOCOMPLETE, {"p": "pyhton"})
    suggestions = body["data"]["autocomplete"]
    assert suggestions[0]["id"] == ids["python-drills"]
    assert suggestions[0]["course"] == {"id": ids["python-drills"], "slug": "python-drills"}
    assert (await graphql(client, AUTOCOMPLETE, {"p": "   "}))["data"]["autocomplete"] == []


async def test_pages_follow_cursors_without_gaps(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    await _catalog(client, backends)
    seen: list[str] = []
    after = None
    while True:
        page = (await _search(client, first=3, after=after, sort="PRICE_ASC"))["data"]["search"]
        seen += [edge["node"]["course"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == len(_COURSES)


@pytest.mark.parametrize("query", ['"', ":", "(", "*", "~", 'title:"x', "(((", "a~2 OR *"])
async def test_query_syntax_characters_are_plain_text(
    client: httpx.AsyncClient, backends: Backends, query: str
) -> None:
    await _catalog(client, backends)
    body = await _search(client, query)
    assert "errors" not in body, body
    assert body["data"]["search"]["totalCount"] >= 0


async def test_empty_query_browses_with_filters(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    await _catalog(client, backends)
    body = await _search(client, "  ", f={"language": ["hi"]})
    assert _titles(body) == ["Hindi Speed Typing"]


async def test_unknown_facet_values_match_nothing(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    await _catalog(client, backends)
    body = await _search(client, f={"language": ["xx"], "tags": ["no-such-tag"]})
    assert body["data"]["search"]["totalCount"] == 0
    unknown_enum = await _search(client, f={"category": ["NOT_A_CATEGORY"]})
    assert "NOT_A_CATEGORY" in unknown_enum["errors"][0]["message"]


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"q": "x" * 10_000}, "at most 200 characters"),
        ({"q": "", "first": 101}, "`first` must be between 1 and 100"),
        ({"q": "", "first": 0}, "`first` must be between 1 and 100"),
        ({"q": "", "after": "not-a-cursor"}, "not a cursor this list gave out"),
        ({"q": "", "f": {"priceMin": 500, "priceMax": 100}}, "must not exceed"),
        ({"q": "", "f": {"priceMin": -1}}, "must not be negative"),
        ({"q": "", "f": {"tags": ["t"] * 21}}, "at most 20"),
    ],
)
async def test_bad_input_gets_a_clear_error(
    client: httpx.AsyncClient, backends: Backends, variables: dict[str, Any], expected: str
) -> None:
    body = await graphql(client, SEARCH, variables)
    assert expected in _error(body)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_long_prefix_and_first_over_cap_for_autocomplete(client: httpx.AsyncClient) -> None:
    assert "at most 100" in _error(await graphql(client, AUTOCOMPLETE, {"p": "y" * 101}))
    too_many = await graphql(client, AUTOCOMPLETE, {"p": "t", "first": 21})
    assert "between 1 and 20" in _error(too_many)


async def test_dead_engine_falls_back_to_the_database(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    await _catalog(client, backends)
    backends.search = UnavailableSearchEngine("engine stopped for the test")
    body = await _search(client, "typing", f={"category": ["LANGUAGES", "TOUCH_TYPING"]})
    assert "errors" not in body, body
    assert sorted(_titles(body)) == ["Hindi Speed Typing", "Touch Typing Basics"]
    assert body["data"]["search"]["facets"] is None
    assert body["extensions"]["search"]["degraded"] is True
    assert "engine stopped for the test" in body["extensions"]["search"]["reason"]
    suggestions = (await graphql(client, AUTOCOMPLETE, {"p": "exam"}))["data"]["autocomplete"]
    assert [s["title"] for s in suggestions] == ["Typing Exam Preparation"]


async def _stop_search_engine(request: pytest.FixtureRequest, backends: Backends) -> None:
    """Tantivy lives in the process, so closing it is its outage; OpenSearch's is its server
    going away."""
    if "opensearch_cluster" in request.fixturenames:
        request.getfixturevalue("opensearch_cluster").stop()
    else:
        await backends.search.close()


async def test_a_stopped_engine_falls_back_and_readiness_reports_it(
    request: pytest.FixtureRequest, client: httpx.AsyncClient, backends: Backends
) -> None:
    await _catalog(client, backends)
    await _stop_search_engine(request, backends)
    body = await _search(client, "100%_drills")
    assert body["data"]["search"]["totalCount"] == 0  # LIKE wildcards are escaped
    assert body["extensions"]["search"]["degraded"] is True
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "degraded"
    assert ready.json()["backends"]["search"].startswith("down")
