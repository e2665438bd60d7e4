"""The /admin/analytics page in a real headless Chromium (Debian's package, driven by Playwright):
with an admin token it draws the stored figures; with any other it shows why not; it asks
nothing of any host but the gateway."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from datasources.backends import Backends
from gateway import create_app
from jobs.consumers.analytics import AnalyticsConsumer
from settings import Settings
from tests import servers
from tests.analytics.scenario import ADMIN, TODAY, follow, scenario
from tests.conftest import token_for
from tests.live_server import serving

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_INSTALLED = Path(CHROMIUM).exists()
# As the machine's notes advise: without these Chromium keeps calling hosts this machine lacks.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
async def gateway_url(settings: Settings, backends: Backends) -> AsyncIterator[str]:
    async with serving(create_app(settings, backends)) as url:
        yield url


@pytest.fixture
async def page(gateway_url: str) -> AsyncIterator[Any]:
    servers.require(CHROMIUM_INSTALLED, "Chromium (Debian package chromium)")
    playwright_api = pytest.importorskip("playwright.async_api")
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        opened = await browser.new_page()
        opened.requested = []
        opened.on("request", lambda request: opened.requested.append(request.url))
        yield opened
        await browser.close()


async def _show(page: Any, gateway_url: str, token: str) -> None:
    await page.goto(f"{gateway_url}/admin/analytics")
    await page.fill("#token", token)
    await page.click("#load")


async def _bars(page: Any, chart: str) -> dict[str, float]:
    marks = await page.eval_on_selector_all(
        f"#chart-{chart} [data-value]", "marks => marks.map(m => [m.dataset.time, m.dataset.value])"
    )
    return {time: float(value) for time, value in marks}


async def test_the_dashboard_draws_the_stored_figures(
    client: httpx.AsyncClient, backends: Backends, gateway_url: str, page: Any
) -> None:
    free_id, paid_id = await scenario(client, backends)
    await follow(backends, AnalyticsConsumer(backends))

    await _show(page, gateway_url, ADMIN)
    await page.wait_for_selector("body[data-loaded=true]")

    today = TODAY.isoformat()
    revenue = await _bars(page, "revenue")
    assert len(revenue) == 30 and revenue[today] == 49_900  # the last 30 days, in paise
    assert set(revenue.values()) == {0, 49_900}
    assert (await _bars(page, "newSubscriptions"))[today] == 3
    assert (await _bars(page, "purchases"))[today] == 2
    assert (await _bars(page, "refunds"))[today] == 1
    assert (await _bars(page, "active"))[today] == 1
    assert "₹499" in await page.inner_text("#chart-revenue figcaption")
    rows = await page.eval_on_selector_all(
        "#popular tbody tr",
        "rows => rows.map(r => [r.dataset.courseId, r.cells[1].textContent])",
    )
    assert rows == [[str(free_id), "2"], [str(paid_id), "1"]]
    assert all(url.startswith(gateway_url) for url in page.requested), page.requested


async def test_without_the_admin_role_the_dashboard_shows_no_figures(
    backends: Backends, gateway_url: str, page: Any
) -> None:
    await _show(page, gateway_url, token_for(5))
    await page.wait_for_selector("#status.problem")

    assert "Forbidden" in await page.inner_text("#status")
    assert await page.query_selector_all("#charts figure") == []


async def test_the_page_allows_no_other_origin(client: httpx.AsyncClient) -> None:
    response = await client.get("/admin/analytics")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
