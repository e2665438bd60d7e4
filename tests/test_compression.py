"""Responses are compressed as Accept-Encoding asks, and a cached answer's compressed bytes are
made once and reused."""

from __future__ import annotations

import httpx
import pytest

from datasources.backends import Backends
from http_api import compression
from http_api.compression import preferred_encoding
from tests.factories import add_courses

PAGE = '{"query": "{ courses(first: 20) { edges { node { id title description tags } } } }"}'


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip, deflate, br", "br"),
        ("br;q=0, gzip", "gzip"),
        ("gzip;q=0.5, br;q=0", "gzip"),
        ("identity", None),
        ("*", "br"),
        ("br;q=nonsense, gzip", "gzip"),
        (None, None),
        ("", None),
    ],
)
def test_the_preferred_encoding(header: str | None, expected: str | None) -> None:
    assert preferred_encoding(header) == expected


async def _page(client: httpx.AsyncClient, accept: str) -> httpx.Response:
    headers = {"content-type": "application/json", "accept-encoding": accept}
    response = await client.post("/graphql", content=PAGE, headers=headers)
    assert response.status_code == 200
    return response


async def test_a_page_is_compressed_as_asked_and_equal_when_decoded(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    await add_courses(backends, 20)
    plain = await _page(client, "identity")
    assert "content-encoding" not in plain.headers
    assert plain.headers["vary"] == "accept-encoding"
    for accept, encoding in (("br", "br"), ("gzip", "gzip"), ("gzip, br", "br")):
        compressed = await _page(client, accept)
        assert compressed.headers["content-encoding"] == encoding
        assert int(compressed.headers["content-length"]) < len(plain.content) / 3
        assert compressed.json() == plain.json()  # httpx decodes br (brotli) and gzip


async def test_a_small_answer_is_sent_as_it_is(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"accept-encoding": "br"}
    )
    assert "content-encoding" not in response.headers
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_a_cached_answer_is_compressed_once(
    client: httpx.AsyncClient, backends: Backends, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_courses(backends, 20)
    calls: list[str] = []
    original = compression.compress

    def counting(body: bytes, encoding: str) -> bytes:
        calls.append(encoding)
        return original(body, encoding)

    monkeypatch.setattr(compression, "compress", counting)
    monkeypatch.setattr("http_api.graphql_endpoint.compress", counting)
    bodies = [(await _page(client, "br")).content for _ in range(4)]
    assert len(set(bodies)) == 1
    # The first answer is executed and compressed; the first hit compresses the cached body
    # once more and keeps it; every later hit reuses it.
    assert calls == ["br", "br"]
