"""The embedded default's /learn and /checkout pages in a real headless Chromium (Debian's
package, driven by Playwright) against the gateway on a loopback socket, with every request to
another host failed: a learner types an exercise of a course they are enrolled in and the
result is stored; a lesson of a course they do not have shows as locked, with no media link;
a buyer pays for a course through the sandbox checkout and holds an active subscription."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from datasources.backends import Backends
from gateway import create_app
from records.catalog import Course
from records.content import Exercise, ExerciseDraft, KeyboardLayout, Lesson, LessonDraft, LessonKind
from settings import Settings
from tests import servers
from tests.analytics.test_dashboard import CHROMIUM, CHROMIUM_FLAGS, CHROMIUM_INSTALLED
from tests.conftest import JWT_SECRET, graphql, token_for
from tests.factories import add_course
from tests.graphql_flows import ENROLL
from tests.live_server import serving

ARTIFACTS = Path(__file__).parent / "artifacts"
TEXT = "asdf jkl;"  # 9 characters: typed 150 ms apart they take 1.2 s, over the 1 s minimum
KEY_DELAY_MS = 150
LOCKED = "Locked: subscribe to this course to open it"
LEARNER = 31
BUYER = 32
WAIT_MS = 20_000


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The embedded default only: production mounts neither page."""
    return Settings(data_dir=tmp_path, embedded_shards=2, jwt_secret=JWT_SECRET)


@pytest.fixture
async def gateway_url(settings: Settings, backends: Backends) -> AsyncIterator[str]:
    async with serving(create_app(settings, backends)) as url:
        yield url


@pytest.fixture
async def page(gateway_url: str) -> AsyncIterator[Any]:
    """A page on which any request to another host fails; `page.foreign` lists them and
    `page.errors` the page's uncaught errors."""
    servers.require(CHROMIUM_INSTALLED, "Chromium (Debian package chromium)")
    playwright_api = pytest.importorskip("playwright.async_api")
    gateway_host = urlsplit(gateway_url).hostname

    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        opened = await browser.new_page()
        opened.set_default_timeout(WAIT_MS)
        opened.foreign = []
        opened.errors = []

        async def only_the_gateway(route: Any) -> None:
            url = route.request.url
            parts = urlsplit(url)
            if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname != gateway_host:
                opened.foreign.append(url)
                await route.abort()
            else:
                await route.continue_()

        await opened.route("**/*", only_the_gateway)
        opened.on("websocket", lambda socket: opened.foreign.append(socket.url))
        opened.on("pageerror", lambda error: opened.errors.append(str(error)))
        yield opened
        await browser.close()


async def _lesson(
    backends: Backends, course: Course, title: str, preview: bool
) -> tuple[Lesson, Exercise]:
    """A typing lesson with one exercise of TEXT, passed at 90% accuracy."""
    now = datetime.now(UTC)
    lesson = await backends.content.create_lesson(
        course.id, LessonDraft(title, LessonKind.TYPING, 300, preview), None, now
    )
    draft = ExerciseDraft(TEXT, "en", KeyboardLayout.QWERTY, 20, 90.0)
    _, exercise = await backends.content.create_exercise(lesson.id, draft, now)
    return lesson, exercise


async def _screenshot(page: Any, tmp_path: Path, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(tmp_path / name), full_page=True)
    await page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    print(f"screenshot: {ARTIFACTS / name}")


async def _open_lesson(page: Any, course: Course, lesson: Lesson, state: str) -> None:
    await page.click(f"#courses button[data-course-id='{course.id}']")
    row = f"#lessons li[data-lesson-id='{lesson.id}']"
    await page.wait_for_selector(f"{row}[data-state={state}]")
    await page.click(f"{row} button")
    await page.wait_for_selector(f"#lesson-status[data-state={state}]")


async def test_a_learner_types_an_exercise_and_a_course_they_lack_is_locked(
    client: httpx.AsyncClient, backends: Backends, gateway_url: str, page: Any, tmp_path: Path
) -> None:
    free = await add_course(backends, title="Home Row Basics", price_paise=0)
    preview, _ = await _lesson(backends, free, "The home row", preview=True)
    second, exercise = await _lesson(backends, free, "Both hands", preview=False)
    paid = await add_course(backends, title="Speed Building", price_paise=49_900)
    paid_lesson, _ = await _lesson(backends, paid, "Faster", preview=False)
    token = token_for(LEARNER)
    enrolled = await graphql(client, ENROLL, {"c": str(free.id)}, token)
    assert enrolled == {"data": {"enroll": {"__typename": "EnrollSuccess"}}}

    await page.goto(f"{gateway_url}/learn")
    await page.fill("#token", token)
    await page.click("#load")
    await page.wait_for_selector(
        f"#courses li[data-subscribed=true] button[data-course-id='{free.id}']"
    )
    await page.wait_for_selector(
        f"#courses li[data-subscribed=false] button[data-course-id='{paid.id}']"
    )
    await _open_lesson(page, free, second, "open")
    states = await page.eval_on_selector_all(
        "#lessons li", "rows => rows.map(r => [r.dataset.lessonId, r.dataset.state])"
    )
    assert states == [[str(preview.id), "open"], [str(second.id), "open"]]
    assert await page.inner_text("#progress") == "0 of 2 lessons completed"

    await page.click(f"#exercises button[data-exercise-id='{exercise.id}']")
    await page.wait_for_selector("#exercise-view:not([hidden])")
    assert await page.inner_text("#exercise-text") == TEXT
    await page.click("#typing")
    await page.keyboard.type(TEXT, delay=KEY_DELAY_MS)
    await page.wait_for_selector(
        "#result-saved:is([data-state=saved], [data-state=refused], [data-state=failed])"
    )
    saved = await page.inner_text("#result-saved")
    assert await page.get_attribute("#result-saved", "data-state") == "saved", saved
    assert await page.inner_text("#result-accuracy") == "100.0"
    wpm = float(await page.inner_text("#result-wpm"))
    # 9 characters in at least 8 gaps of 150 ms: at most 9 / 5 / (1.2 / 60) = 90 WPM.
    assert 0 < wpm <= 90
    assert "attempt 1" in saved and "WPM, passed." in saved and "1 of 2 lessons completed" in saved
    assert await page.inner_text("#progress") == "1 of 2 lessons completed"
    await _screenshot(page, tmp_path, "learn-typed.png")
    standings = await backends.progress.standings(LEARNER, free.id)
    assert [(s.exercise_id, s.attempts, s.passed) for s in standings] == [(exercise.id, 1, True)]
    assert standings[0].best_wpm == pytest.approx(wpm, abs=0.05)

    await _open_lesson(page, paid, paid_lesson, "locked")
    assert await page.inner_text("#lesson-status") == LOCKED
    assert await page.query_selector_all("#exercises li, #images img") == []
    assert "/content/" not in await page.content()
    await _screenshot(page, tmp_path, "learn.png")

    assert await page.get_attribute("#status", "class") != "problem"
    assert page.foreign == []
    assert page.errors == []


async def test_a_buyer_pays_through_the_sandbox_checkout_page(
    backends: Backends, gateway_url: str, page: Any, tmp_path: Path
) -> None:
    course = await add_course(backends, title="Numbers and Symbols", price_paise=49_900)

    await page.goto(f"{gateway_url}/checkout")
    await page.fill("#token", token_for(BUYER))
    await page.click("#load")
    await page.wait_for_function(
        "() => document.getElementById('log').textContent.includes('1 paid courses loaded')"
    )
    await page.select_option("#course", str(course.id))
    await page.click("#buy")
    # checkout.js logs the order and the sandbox payment, then ends with confirmPayment's
    # answer as JSON, or with a line "Problem: message", "Error: ..." or "... failed: ...".
    await page.wait_for_function(
        """() => /"__typename"|^[A-Z]\\w*: |failed: /m
            .test(document.getElementById('log').textContent)"""
    )
    log = await page.inner_text("#log")
    assert '"__typename": "ConfirmPaymentSuccess"' in log, log
    assert '"state": "ACTIVE"' in log, log
    await _screenshot(page, tmp_path, "checkout.png")

    entry = await backends.subscriptions.entry(BUYER)
    held = await backends.subscriptions.to_courses_in(entry, BUYER, [course.id])
    assert held[course.id].is_active_at(datetime.now(UTC))
    assert page.foreign == []
    assert page.errors == []
