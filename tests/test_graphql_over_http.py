"""`/graphql` as the GraphQL over HTTP specification has it, on both backends: GET runs queries
(never mutations), POST takes JSON only, a client that accepts
application/graphql-response+json gets it (from the response caches too) and request errors
as 400 without `data`; application/json clients keep 200."""

from __future__ import annotations

import json

import httpx

from datasources.backends import Backends
from http_api.graphql_over_http import GRAPHQL_RESPONSE_MEDIA_TYPE
from tests.conftest import token_for
from tests.db_state import written
from tests.factories import add_course
from tests.graphql_flows import ENROLL

CATALOG = "query($n: Int!) { courses(first: $n) { edges { node { title } } } }"
NEW_STYLE = {"accept": GRAPHQL_RESPONSE_MEDIA_TYPE}
# What a client adds to a GET (and to a POST that is not JSON) to pass CSRF prevention
# (http_api/csrf.py; tests/test_cors_csrf.py checks it).
PREFLIGHTED = {"apollo-require-preflight": "true"}


async def test_a_get_request_runs_a_query_from_its_query_string(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    await add_course(backends, title="Touch Typing over GET")
    params = {"query": CATALOG, "variables": json.dumps({"n": 1})}
    answered = await client.get("/graphql", params=params, headers=PREFLIGHTED)
    assert answered.status_code == 200, answered.text
    assert answered.headers["content-type"] == "application/json"
    assert answered.json() == {
        "data": {"courses": {"edges": [{"node": {"title": "Touch Typing over GET"}}]}}
    }
    for _ in range(2):  # executed, then from the response cache: the same media type
        again = await client.get("/graphql", params=params, headers={**NEW_STYLE, **PREFLIGHTED})
        assert again.headers["content-type"] == GRAPHQL_RESPONSE_MEDIA_TYPE
        assert again.json() == answered.json()
    graphiql = await client.get("/graphql", headers={"accept": "text/html"})
    assert graphiql.headers["content-type"].startswith("text/html")


async def test_a_mutation_over_get_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends)
    before = await written(backends)
    refused = await client.get(
        "/graphql",
        params={"query": ENROLL, "variables": json.dumps({"c": str(course.id)})},
        headers={"authorization": f"Bearer {token_for(7)}", **PREFLIGHTED},
    )
    assert refused.status_code == 405, refused.text
    assert refused.headers["allow"] == "POST"
    assert refused.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    assert await written(backends) == before


async def test_a_post_body_is_json_in_utf8(client: httpx.AsyncClient) -> None:
    body = json.dumps({"query": "{ __typename }"}).encode()
    refused_types = (
        None,
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/json; charset=latin-1",
    )
    for content_type in refused_types:
        headers = {} if content_type is None else {"content-type": content_type}
        refused = await client.post("/graphql", content=body, headers={**headers, **PREFLIGHTED})
        assert refused.status_code == 415, content_type
        assert refused.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    for content_type in (
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON;charset=UTF-8",
    ):
        accepted = await client.post(
            "/graphql", content=body, headers={"content-type": content_type}
        )
        assert accepted.json() == {"data": {"__typename": "Query"}}, content_type


async def test_request_errors_are_400_without_data_for_graphql_response_clients(
    client: httpx.AsyncClient,
) -> None:
    request_errors = {
        "a document that does not parse": {"query": "{ courses(first: 1) { "},
        "a document that does not validate": {"query": "{ noSuchField }"},
        "variables that do not fit": {"query": CATALOG, "variables": {"n": "twenty"}},
        "a missing variable": {"query": CATALOG},
    }
    for case, body in request_errors.items():
        new_style = await client.post("/graphql", json=body, headers=NEW_STYLE)
        assert new_style.status_code == 400, case
        assert new_style.headers["content-type"] == GRAPHQL_RESPONSE_MEDIA_TYPE
        assert set(new_style.json()) == {"errors"}, case
        legacy = await client.post("/graphql", json=body)
        assert legacy.status_code == 200, case
        assert set(legacy.json()) == {"errors"}, case
    # A field error is not a request error: the operation ran and `data` is there.
    field_error = await client.post(
        "/graphql", json={"query": "{ me { userId } }"}, headers=NEW_STYLE
    )
    assert field_error.status_code == 200
    assert "data" in field_error.json() and field_error.json()["errors"]


async def test_get_parameters_that_are_not_json_objects_are_400(
    client: httpx.AsyncClient,
) -> None:
    for name, value in (("variables", "[1]"), ("variables", "{"), ("extensions", '"x"')):
        refused = await client.get(
            "/graphql", params={"query": "{ __typename }", name: value}, headers=PREFLIGHTED
        )
        assert refused.status_code == 400, (name, value)
        assert f"`{name}` is not a JSON object" in refused.json()["errors"][0]["message"]
    posted = await client.post("/graphql", json={"query": "{ __typename }", "extensions": 1})
    assert posted.status_code == 400


async def test_a_cdn_may_keep_only_public_answers_to_get_queries(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    await add_course(backends)
    params = {"query": CATALOG, "variables": json.dumps({"n": 1})}
    for _ in range(2):  # executed, then from the response cache
        public = await client.get("/graphql", params=params, headers=PREFLIGHTED)
        assert public.headers["cache-control"] == "public, max-age=30"
        assert "authorization" in public.headers["vary"]
    signed_in = await client.get(
        "/graphql",
        params=params,
        headers={"authorization": f"Bearer {token_for(7)}", **PREFLIGHTED},
    )
    assert signed_in.headers["cache-control"] == "private, no-store"
    with_errors = await client.get(
        "/graphql", params={"query": "{ me { userId } }"}, headers=PREFLIGHTED
    )
    assert with_errors.headers["cache-control"] == "private, no-store"
    posted = await client.post("/graphql", json={"query": CATALOG, "variables": {"n": 1}})
    assert "cache-control" not in posted.headers
