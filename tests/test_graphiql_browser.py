"""GraphiQL on `GET /graphql` in a real headless Chromium (Debian's package, driven by
Playwright), with every request to a host other than the gateway failed: its scripts and
styles come from the gateway's own copies, and a query typed into it returns the data. The
copies are the very files strawberry's page pins, served as immutable, and nothing outside
their folder is served."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from strawberry.http.ides import get_graphql_ide_html

from datasources.backends import Backends
from gateway import create_app
from http_api.graphiql import ASSETS, CACHE_CONTROL, GraphiQLAssetMissing, local_graphiql_html
from settings import Settings
from tests import servers
from tests.analytics.test_dashboard import CHROMIUM, CHROMIUM_FLAGS, CHROMIUM_INSTALLED
from tests.conftest import JWT_SECRET
from tests.factories import add_course
from tests.live_server import serving

QUERY = "{ courses(first: 1) { edges { node { title } } } }"
TITLE = "Touch Typing from GraphiQL"
_ASSET = re.compile(r'(?:src|href)="(/graphiql/[^"]+)"\s+integrity="([^"]+)"')
_UPSTREAM = re.compile(r'(?:src|href)="https://[^"]+"\s+integrity="([^"]+)"')


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The embedded default only: the page and its files do not depend on the backends, and
    the query's answer on each backend is what the catalog tests check."""
    return Settings(data_dir=tmp_path, embedded_shards=2, jwt_secret=JWT_SECRET)


@pytest.fixture
async def gateway_url(settings: Settings, backends: Backends) -> AsyncIterator[str]:
    async with serving(create_app(settings, backends)) as url:
        yield url


@pytest.fixture
async def page(gateway_url: str) -> AsyncIterator[Any]:
    """A page on which any request to another host fails; `page.foreign` lists them."""
    servers.require(CHROMIUM_INSTALLED, "Chromium (Debian package chromium)")
    playwright_api = pytest.importorskip("playwright.async_api")
    gateway_host = urlsplit(gateway_url).hostname

    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        opened = await browser.new_page()
        opened.foreign = []
        opened.errors = []

        async def only_the_gateway(route: Any) -> None:
            url = route.request.url
            if urlsplit(url).scheme in ("http", "https", "ws", "wss") and (
                urlsplit(url).hostname != gateway_host
            ):
                opened.foreign.append(url)
                await route.abort()
            else:
                await route.continue_()

        await opened.route("**/*", only_the_gateway)
        opened.on("websocket", lambda socket: _note_foreign(opened, socket.url, gateway_host))
        opened.on("pageerror", lambda error: opened.errors.append(str(error)))
        yield opened
        await browser.close()


def _note_foreign(page: Any, url: str, gateway_host: str | None) -> None:
    if urlsplit(url).hostname != gateway_host:
        page.foreign.append(url)


async def test_a_query_typed_into_graphiql_returns_the_data_with_no_other_host(
    backends: Backends, gateway_url: str, page: Any, tmp_path: Path
) -> None:
    await add_course(backends, title=TITLE)

    await page.goto(f"{gateway_url}/graphql")  # when every script has loaded, or failed
    assert page.foreign == []
    editor = page.locator(".graphiql-query-editor .CodeMirror")
    await editor.wait_for(timeout=20_000)
    await editor.click()
    await page.keyboard.press("Control+A")
    await page.keyboard.press("Delete")
    await page.keyboard.type(QUERY)
    await page.keyboard.press("Escape")  # closes the type-ahead list, if it is open
    typed = await page.evaluate(
        "() => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue()"
    )
    assert typed == QUERY  # the editor closes brackets as they are typed, and skips over them
    await page.click(".graphiql-execute-button")
    await page.wait_for_function(
        "title => document.querySelector('.graphiql-response')?.innerText.includes(title)",
        arg=TITLE,
        timeout=20_000,
    )
    shown = await page.evaluate(
        "() => document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue()"
    )
    await page.screenshot(path=str(tmp_path / "graphiql.png"))
    print(f"GraphiQL's screenshot: {tmp_path / 'graphiql.png'}")

    assert json.loads(shown) == {"data": {"courses": {"edges": [{"node": {"title": TITLE}}]}}}
    assert page.foreign == []
    assert page.errors == []


async def test_the_page_loads_the_files_strawberry_pins_from_the_gateway(
    backends: Backends, gateway_url: str
) -> None:
    async with httpx.AsyncClient(base_url=gateway_url) as http:
        html = (await http.get("/graphql")).text
        assets = _ASSET.findall(html)

        assert "unpkg.com" not in html and "jsdelivr" not in html
        # Byte for byte the upstream files: the same digests as strawberry's `integrity`.
        assert [digest for _, digest in assets] == _UPSTREAM.findall(get_graphql_ide_html())
        assert len(assets) == 7
        for path, digest in assets:
            response = await http.get(path)  # httpx asks for br, gzip and deflate
            assert response.status_code == 200, path
            assert response.headers["content-encoding"] == "br", path
            decoded = base64.b64encode(hashlib.sha384(response.content).digest()).decode()
            assert digest == f"sha384-{decoded}", path
            assert response.headers["cache-control"] == CACHE_CONTROL
            assert response.headers["x-content-type-options"] == "nosniff"
            kind = "text/javascript" if path.endswith(".js") else "text/css"
            assert response.headers["content-type"].startswith(kind), path
        plain = await http.get(assets[0][0], headers={"accept-encoding": "identity"})
        assert "content-encoding" not in plain.headers
        licence = await http.get("/graphiql/graphiql-3.8.3/LICENSE")
        assert licence.status_code == 200 and "MIT License" in licence.text


@pytest.mark.parametrize(
    "path",
    [
        "/graphiql/%2e%2e/settings.py",
        "/graphiql/..%2Fgraphiql.py",
        "/graphiql/graphiql-3.8.3/%2e%2e/%2e%2e/graphiql.py",
        "/graphiql/graphiql-3.8.3/..%2F..%2F..%2F..%2Fsettings.py",
        "/graphiql//etc/passwd",
        "/graphiql/README.md",
        "/graphiql/graphiql-3.8.3",
        "/graphiql/graphiql-3.8.3/graphiql.min.js.map",
    ],
)
async def test_nothing_outside_the_vendored_files_is_served(
    backends: Backends, gateway_url: str, path: str
) -> None:
    async with httpx.AsyncClient(base_url=gateway_url) as http:
        response = await http.get(path)

    assert response.status_code == 404
    # Refused by the asset route itself, not merely unrouted.
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("tag", "refused"),
    [
        ('<script src="https://unpkg.com/graphiql@9.9.9/graphiql.min.js"></script>', "missing"),
        ('<link rel="stylesheet" href="https://example.com/theme.css" />', "still load"),
        ('<script src="//cdn.example.com/x.js"></script>', "still load"),
    ],
)
def test_a_page_that_would_load_from_another_host_is_refused(tag: str, refused: str) -> None:
    """As after a strawberry upgrade naming versions not vendored here."""
    with pytest.raises(GraphiQLAssetMissing, match=refused):
        local_graphiql_html(f"<html><head>{tag}</head></html>", ASSETS)
