"""Browsers on other origins: CORS only for the origins the settings list (preflights answered
and cached, credentials only when configured, `*` with credentials refused at app creation),
and Apollo's CSRF prevention on /graphql: a request a foreign page could send without a
preflight (a form POST, a plain GET) runs nothing unless it carries a header only a script sets.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from datasources.backends import Backends
from gateway import create_app
from http_api.csrf import would_be_preflighted
from settings import ConfigurationError, Settings
from tests.conftest import JWT_SECRET, token_for
from tests.db_state import written
from tests.factories import add_course
from tests.graphql_flows import ENROLL

ORIGIN = "https://app.example.com"
FOREIGN = "https://elsewhere.example"
TYPENAME = {"query": "{ __typename }"}
PREFLIGHT = {
    "access-control-request-method": "POST",
    "access-control-request-headers": "content-type, authorization, apollo-require-preflight",
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The embedded default only: CORS and CSRF prevention are the HTTP layer's alone."""
    return Settings(data_dir=tmp_path, embedded_shards=2, jwt_secret=JWT_SECRET)


@asynccontextmanager
async def _gateway(
    settings: Settings, backends: Backends, **changes: Any
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(dataclasses.replace(settings, **changes), backends)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
        yield http


def _cors_headers(response: httpx.Response) -> set[str]:
    return {name for name in response.headers if name.startswith("access-control-")}


def _csrf_refused(response: httpx.Response) -> bool:
    body = response.json()
    error = body["errors"][0]
    return (
        response.status_code == 400
        and "data" not in body
        and error["extensions"]["code"] == "BAD_REQUEST"
        and "Cross-Site Request Forgery" in error["message"]
        and "apollo-require-preflight" in error["message"]
    )


async def test_a_preflight_from_a_listed_origin_is_answered_and_cached(
    settings: Settings, backends: Backends
) -> None:
    async with _gateway(settings, backends, cors_origins=(ORIGIN,)) as http:
        answered = await http.options("/graphql", headers={"origin": ORIGIN, **PREFLIGHT})
        unlisted_header = await http.options(
            "/graphql",
            headers={
                "origin": ORIGIN,
                "access-control-request-method": "POST",
                "access-control-request-headers": "x-something-else",
            },
        )
        unlisted_method = await http.options(
            "/graphql", headers={"origin": ORIGIN, "access-control-request-method": "DELETE"}
        )
    assert answered.status_code == 200, answered.text
    assert answered.headers["access-control-allow-origin"] == ORIGIN
    assert answered.headers["access-control-max-age"] == "600"
    assert {"GET", "POST"} <= set(answered.headers["access-control-allow-methods"].split(", "))
    allowed = set(answered.headers["access-control-allow-headers"].split(", "))
    assert {
        "authorization",
        "content-type",
        "apollo-require-preflight",
        "x-apollo-operation-name",
        "x-request-id",
    } <= allowed
    assert "access-control-allow-credentials" not in answered.headers
    assert "origin" in answered.headers["vary"].lower()
    assert (unlisted_header.status_code, unlisted_method.status_code) == (400, 400)


async def test_a_preflight_from_another_origin_is_refused(
    settings: Settings, backends: Backends
) -> None:
    async with _gateway(settings, backends, cors_origins=(ORIGIN,)) as http:
        refused = await http.options("/graphql", headers={"origin": FOREIGN, **PREFLIGHT})
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers


async def test_a_listed_origin_may_read_answers_and_another_may_not(
    settings: Settings, backends: Backends
) -> None:
    preflighted_get = {"origin": ORIGIN, "apollo-require-preflight": "true"}
    async with _gateway(settings, backends, cors_origins=(ORIGIN,)) as http:
        posted = await http.post("/graphql", json=TYPENAME, headers={"origin": ORIGIN})
        got = await http.get("/graphql", params=TYPENAME, headers=preflighted_get)
        foreign = await http.post("/graphql", json=TYPENAME, headers={"origin": FOREIGN})
    for answered in (posted, got):
        assert answered.json() == {"data": {"__typename": "Query"}}
        assert answered.headers["access-control-allow-origin"] == ORIGIN
        assert answered.headers["access-control-expose-headers"] == "x-request-id"
        assert "access-control-allow-credentials" not in answered.headers
        assert "origin" in answered.headers["vary"].lower()
    # A CDN keeping a public GET answer keeps one per origin.
    assert got.headers["cache-control"].startswith("public")
    assert "access-control-allow-origin" not in foreign.headers


async def test_credentials_are_allowed_only_when_configured(
    settings: Settings, backends: Backends
) -> None:
    with_credentials = {"cors_origins": (ORIGIN,), "cors_allow_credentials": True}
    async with _gateway(settings, backends, **with_credentials) as http:
        preflight = await http.options("/graphql", headers={"origin": ORIGIN, **PREFLIGHT})
        posted = await http.post("/graphql", json=TYPENAME, headers={"origin": ORIGIN})
    for response in (preflight, posted):
        assert response.headers["access-control-allow-credentials"] == "true"
        assert response.headers["access-control-allow-origin"] == ORIGIN  # never `*`
    async with _gateway(settings, backends, cors_origins=(ORIGIN,)) as http:
        posted = await http.post("/graphql", json=TYPENAME, headers={"origin": ORIGIN})
    assert posted.headers["access-control-allow-origin"] == ORIGIN
    assert "access-control-allow-credentials" not in posted.headers


async def test_no_origins_listed_no_cors_at_all(settings: Settings, backends: Backends) -> None:
    assert settings.cors_origins == ()
    async with _gateway(settings, backends) as http:
        preflight = await http.options("/graphql", headers={"origin": ORIGIN, **PREFLIGHT})
        posted = await http.post("/graphql", json=TYPENAME, headers={"origin": ORIGIN})
    assert preflight.status_code == 405  # the route's own answer: nothing answers preflights
    assert _cors_headers(preflight) == set() and _cors_headers(posted) == set()
    assert posted.json() == {"data": {"__typename": "Query"}}


async def test_any_origin_without_credentials(settings: Settings, backends: Backends) -> None:
    async with _gateway(settings, backends, cors_origins=("*",)) as http:
        preflight = await http.options("/graphql", headers={"origin": FOREIGN, **PREFLIGHT})
        posted = await http.post("/graphql", json=TYPENAME, headers={"origin": FOREIGN})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert posted.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize(
    ("origins", "credentials", "names"),
    [
        (("*",), True, "COURSEGATE_CORS_CREDENTIALS"),
        ((ORIGIN, "*"), True, "COURSEGATE_CORS_CREDENTIALS"),
        ((f"{ORIGIN}/",), False, "COURSEGATE_CORS_ORIGINS"),  # an Origin header has no path
        (("https://App.example.com",), False, "COURSEGATE_CORS_ORIGINS"),
        (("app.example.com",), False, "COURSEGATE_CORS_ORIGINS"),
        (("null",), False, "COURSEGATE_CORS_ORIGINS"),
    ],
)
def test_a_cors_setting_no_browser_could_use_safely_is_refused_at_app_creation(
    settings: Settings, origins: tuple[str, ...], credentials: bool, names: str
) -> None:
    misconfigured = dataclasses.replace(
        settings, cors_origins=origins, cors_allow_credentials=credentials
    )
    with pytest.raises(ConfigurationError, match=names):
        create_app(misconfigured)


def test_the_origins_come_from_the_environment(tmp_path: Path) -> None:
    env = {
        "COURSEGATE_DATA_DIR": str(tmp_path),
        "COURSEGATE_CORS_ORIGINS": f"{ORIGIN}, http://localhost:5173",
        "COURSEGATE_CORS_CREDENTIALS": "true",
    }
    configured = Settings.from_env(env)
    assert configured.cors_origins == (ORIGIN, "http://localhost:5173")
    assert configured.cors_allow_credentials and configured.csrf_prevention
    assert not Settings.from_env({**env, "COURSEGATE_CSRF_PREVENTION": "false"}).csrf_prevention


async def test_a_post_a_form_could_send_runs_nothing(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends)
    enroll = json.dumps({"query": ENROLL, "variables": {"c": str(course.id)}})
    signed_in = {"authorization": f"Bearer {token_for(7)}"}
    before = await written(backends)
    for content_type in (
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "Multipart/Form-Data; boundary=x",
        None,
    ):
        headers = signed_in if content_type is None else {**signed_in, "content-type": content_type}
        refused = await client.post("/graphql", content=enroll, headers=headers)
        assert _csrf_refused(refused), (content_type, refused.text)
    assert await written(backends) == before
    # The same mutation as JSON runs: the check above could have seen a write.
    headers = {**signed_in, "content-type": "application/json"}
    enrolled = await client.post("/graphql", content=enroll, headers=headers)
    assert enrolled.json() == {"data": {"enroll": {"__typename": "EnrollSuccess"}}}
    assert await written(backends) != before


async def test_a_get_query_runs_only_with_a_header_a_page_cannot_add_unasked(
    client: httpx.AsyncClient,
) -> None:
    refused_headers: list[dict[str, str]] = [
        {},
        {"accept": "application/graphql-response+json"},
        {"apollo-require-preflight": ""},
        {"content-type": "text/plain"},
    ]
    for headers in refused_headers:
        refused = await client.get("/graphql", params=TYPENAME, headers=headers)
        assert _csrf_refused(refused), (headers, refused.text)
    for headers in (
        {"apollo-require-preflight": "true"},
        {"x-apollo-operation-name": "Typename"},
        {"content-type": "application/json"},
    ):
        answered = await client.get("/graphql", params=TYPENAME, headers=headers)
        assert answered.status_code == 200, (headers, answered.text)
        assert answered.json() == {"data": {"__typename": "Query"}}, headers
    # A persisted query's hash alone is refused the same way.
    persisted = {"extensions": json.dumps({"persistedQuery": {"version": 1, "sha256Hash": "0"}})}
    assert _csrf_refused(await client.get("/graphql", params=persisted))


async def test_graphiql_is_still_served_to_a_plain_get(client: httpx.AsyncClient) -> None:
    page = await client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "graphiql" in page.text.lower()


async def test_with_csrf_prevention_off_a_plain_get_runs(
    settings: Settings, backends: Backends
) -> None:
    async with _gateway(settings, backends, csrf_prevention=False) as http:
        answered = await http.get("/graphql", params=TYPENAME)
        form = await http.post(
            "/graphql", content=json.dumps(TYPENAME), headers={"content-type": "text/plain"}
        )
    assert answered.json() == {"data": {"__typename": "Query"}}
    # Still never run: a POST body is JSON, which the media type check alone enforces.
    assert form.status_code == 415


@pytest.mark.parametrize(
    ("headers", "preflighted"),
    [
        ({}, False),
        ({"content-type": "text/plain"}, False),
        ({"content-type": " TEXT/PLAIN ; charset=utf-8"}, False),
        ({"content-type": "multipart/form-data; boundary=----x"}, False),
        ({"content-type": "application/x-www-form-urlencoded"}, False),
        ({"x-apollo-operation-name": ""}, False),
        ({"content-type": "application/json"}, True),
        ({"content-type": "application/json; charset=utf-8"}, True),
        ({"content-type": "application/graphql-response+json"}, True),
        ({"content-type": "text/plain garbage"}, True),  # no MIME type: a browser preflights it
        ({"content-type": "text/plain", "apollo-require-preflight": "true"}, True),
        ({"x-apollo-operation-name": "Catalog"}, True),
    ],
)
def test_which_requests_a_browser_would_have_preflighted(
    headers: dict[str, str], preflighted: bool
) -> None:
    assert would_be_preflighted(headers) is preflighted
