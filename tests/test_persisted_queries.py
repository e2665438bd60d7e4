"""Persisted queries on both backends: Apollo's automatic persisted queries (a hash alone runs
what a client stored under it, shared through the cache by every worker; a hash that does not
match its text stores nothing), over POST and over GET, and the safelist, under which only the
documents an operator registered run."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from datasources.backends import Backends, open_backends
from datasources.cache.persisted_queries import document_hash
from gateway import create_app
from http_api.graphql_over_http import GRAPHQL_RESPONSE_MEDIA_TYPE
from jobs import persisted_queries
from schema import build_schema
from settings import Settings
from tests.factories import add_course

CATALOG = "query Catalog($n: Int!) { courses(first: $n) { edges { node { title } } } }"
NEW_STYLE = {"accept": GRAPHQL_RESPONSE_MEDIA_TYPE}
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _extension(text: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": document_hash(text)}}


async def _post(
    http: httpx.AsyncClient, body: dict[str, Any], headers: dict[str, str] | None = None
) -> httpx.Response:
    return await http.post("/graphql", json=body, headers=headers or {})


def _code(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


@pytest.fixture
async def safelisted(settings: Settings, backends: Backends) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(dataclasses.replace(settings, persisted_only=True), backends)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway"
    ) as http:
        yield http


async def test_a_hash_runs_the_document_a_client_stored_under_it(
    client: httpx.AsyncClient, backends: Backends, settings: Settings
) -> None:
    await add_course(backends, title="Persisted Typing")
    by_hash = {"extensions": _extension(CATALOG), "variables": {"n": 1}}
    unknown = await _post(client, by_hash)
    assert (unknown.status_code, _code(unknown)) == (200, "PERSISTED_QUERY_NOT_FOUND")
    assert "data" not in unknown.json()
    unknown = await _post(client, by_hash, NEW_STYLE)
    assert (unknown.status_code, _code(unknown)) == (400, "PERSISTED_QUERY_NOT_FOUND")

    stored = await _post(client, {**by_hash, "query": CATALOG})
    expected = {"data": {"courses": {"edges": [{"node": {"title": "Persisted Typing"}}]}}}
    assert stored.json() == expected
    for _ in range(2):  # executed, then from the response cache
        assert (await _post(client, by_hash)).json() == expected
    over_get = await client.get(
        "/graphql",
        params={
            "extensions": json.dumps(_extension(CATALOG)),
            "variables": json.dumps({"n": 1}),
        },
        headers={"apollo-require-preflight": "true"},  # CSRF prevention: http_api/csrf.py
    )
    assert over_get.status_code == 200 and over_get.json() == expected

    # Another worker (its own process memory) finds it through the shared cache.
    if settings.redis_url is not None:
        other = await open_backends(settings)
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=create_app(settings, other)),
                base_url="http://gateway",
            ) as elsewhere:
                assert (await _post(elsewhere, by_hash)).json() == expected
        finally:
            await other.close()


async def test_a_hash_that_is_not_its_documents_stores_nothing(
    client: httpx.AsyncClient,
) -> None:
    other = "{ __typename }"
    forged = {"query": other, "extensions": _extension(CATALOG), "variables": {"n": 1}}
    refused = await _post(client, forged)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["message"] == "provided sha does not match query"
    later = await _post(client, {"extensions": _extension(CATALOG), "variables": {"n": 1}})
    assert _code(later) == "PERSISTED_QUERY_NOT_FOUND"
    for extension in (
        {"persistedQuery": {"version": 2, "sha256Hash": document_hash(CATALOG)}},
        {"persistedQuery": {"version": 1, "sha256Hash": document_hash(CATALOG).upper()}},
        {"persistedQuery": {"version": 1}},
        {"persistedQuery": "abc"},
    ):
        bad = await _post(client, {"query": CATALOG, "extensions": extension})
        assert bad.status_code == 400, extension


async def test_the_safelist_runs_registered_documents_only(
    safelisted: httpx.AsyncClient, backends: Backends
) -> None:
    await add_course(backends, title="Safelisted Typing")
    documents = {document_hash(CATALOG): CATALOG}
    assert await persisted_queries.register(backends, documents) == persisted_queries.Registered(
        1, 1
    )
    assert await persisted_queries.register(backends, documents) == persisted_queries.Registered(
        1, 0
    )
    expected = {"data": {"courses": {"edges": [{"node": {"title": "Safelisted Typing"}}]}}}
    by_hash = {"extensions": _extension(CATALOG), "variables": {"n": 1}}
    assert (await _post(safelisted, by_hash)).json() == expected
    assert (await _post(safelisted, {"query": CATALOG, "variables": {"n": 1}})).json() == expected

    unlisted = "{ courses(first: 1) { edges { node { slug } } } }"
    for body in (
        {"query": unlisted},
        {"query": unlisted, "extensions": _extension(unlisted)},
        {"extensions": _extension(unlisted)},
    ):
        refused = await _post(safelisted, body, NEW_STYLE)
        assert (refused.status_code, _code(refused)) == (400, "PERSISTED_QUERY_NOT_IN_LIST")
        assert "data" not in refused.json()
    # Offering the text did not register it.
    again = await _post(safelisted, {"extensions": _extension(unlisted)})
    assert _code(again) == "PERSISTED_QUERY_NOT_IN_LIST"


def test_registration_reads_documents_manifests_and_query_maps_and_checks_each(
    tmp_path: Path,
) -> None:
    schema = build_schema()._schema
    document = tmp_path / "catalog.graphql"
    document.write_text(CATALOG)
    other = "query Details($id: ID!) { course(id: $id) { title } }"
    manifest = tmp_path / "manifest.json"
    manifest.write_text(
        json.dumps(
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [
                    {"id": document_hash(other), "name": "Details", "type": "query", "body": other}
                ],
            }
        )
    )
    query_map = tmp_path / "map.json"
    query_map.write_text(json.dumps({document_hash("{ __typename }"): "{ __typename }"}))
    found = persisted_queries.documents_in([document, manifest, query_map], schema)
    assert found == {
        document_hash(CATALOG): CATALOG,
        document_hash(other): other,
        document_hash("{ __typename }"): "{ __typename }",
    }

    wrong_hash = tmp_path / "wrong.json"
    wrong_hash.write_text(json.dumps({document_hash(CATALOG): other}))
    invalid = tmp_path / "invalid.graphql"
    invalid.write_text("{ noSuchField }")
    broken = tmp_path / "broken.graphql"
    broken.write_text("{ courses(")
    for path, message in (
        (wrong_hash, "is not the SHA-256 of its document"),
        (invalid, "Cannot query field 'noSuchField'"),
        (broken, "Syntax Error"),
        (tmp_path / "missing.graphql", "No such file"),
    ):
        with pytest.raises(persisted_queries.RegistrationRefused, match=message):
            persisted_queries.documents_in([document, path], schema)


def test_the_register_command_stores_each_document_once(tmp_path: Path) -> None:
    document = tmp_path / "catalog.graphql"
    document.write_text(CATALOG)

    def register(*files: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "cli.py", "persisted-queries", "register", *map(str, files)],
            cwd=PROJECT_ROOT,
            env={"COURSEGATE_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    first = register(document)
    assert (first.returncode, first.stdout.strip()) == (0, "1 document registered (1 new)")
    again = register(document)
    assert again.stdout.strip() == "1 document registered (0 new)"
    invalid = tmp_path / "invalid.graphql"
    invalid.write_text("{ noSuchField }")
    refused = register(document, invalid)
    assert refused.returncode == 1
    assert "nothing registered" in refused.stderr and "Traceback" not in refused.stderr
