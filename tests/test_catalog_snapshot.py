"""The in-process catalog snapshot: it answers as the catalog database does, reads its own
writes at once and another process's after a recheck, and keeps serving when the database
does not answer."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime

import pytest

from datasources.backends import Backends
from datasources.cache import catalog_snapshot
from datasources.sql.engine import DatabaseUnavailable
from records.catalog import Category, CourseFilter, Difficulty
from tests.factories import add_course, add_courses, draft


@pytest.fixture
def no_periodic_recheck(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what a test does moves the snapshot on, however slow the machine."""
    monkeypatch.setattr(catalog_snapshot, "RECHECK_SECONDS", 3600.0)


async def test_pages_and_counts_are_the_databases(backends: Backends) -> None:
    kinds = itertools.product(
        (Category.TOUCH_TYPING, Category.CODING),
        (Difficulty.BEGINNER, Difficulty.ADVANCED),
        ("en", "hi"),
        (True, False),
    )
    courses = [
        await add_course(
            backends, category=category, difficulty=difficulty, language=language, is_active=active
        )
        for category, difficulty, language, active in kinds
    ]
    filters = [
        CourseFilter(),
        CourseFilter(active_only=False),
        CourseFilter(category=Category.CODING),
        CourseFilter(difficulty=Difficulty.ADVANCED, language="hi"),
        CourseFilter(Category.TOUCH_TYPING, Difficulty.BEGINNER, "en", active_only=False),
        CourseFilter(category=Category.KIDS),
    ]
    store = backends.uncached_catalog
    for course_filter, after_id, limit in itertools.product(
        filters, (None, courses[0].id, courses[5].id, courses[-1].id), (1, 3, 50)
    ):
        expected = await store.list_courses(course_filter, after_id, limit)
        assert await backends.catalog.list_courses(course_filter, after_id, limit) == expected
    assert await backends.catalog.category_counts() == await store.category_counts()
    assert await backends.catalog.get_course_by_slug(courses[3].slug) == courses[3]


@pytest.mark.usefixtures("no_periodic_recheck")
async def test_another_processs_write_shows_after_a_recheck(backends: Backends) -> None:
    course = await add_course(backends, title="Before")
    assert (await backends.catalog.get_courses([course.id]))[course.id].title == "Before"
    # Written past this process's snapshot, as another gateway process writes.
    await backends.uncached_catalog.update_course(
        course.id, {"title": "After", "is_active": False}, datetime.now(UTC)
    )
    assert (await backends.catalog.get_courses([course.id]))[course.id].title == "Before"
    backends.catalog.recheck()
    assert (await backends.catalog.get_courses([course.id]))[course.id].title == "After"
    assert await backends.catalog.list_courses(CourseFilter(), None, 10) == []
    assert await backends.catalog.category_counts() == []


@pytest.mark.usefixtures("no_periodic_recheck")
async def test_this_processs_writes_show_at_once(backends: Backends) -> None:
    first = await add_course(backends, category=Category.CODING)
    assert await backends.catalog.list_courses(CourseFilter(), None, 10) == [first]
    second = await add_course(backends, category=Category.CODING)
    renamed = await backends.catalog.update_course(
        first.id, {"slug": "renamed", "category": "kids"}, datetime.now(UTC)
    )
    assert renamed is not None
    assert await backends.catalog.list_courses(CourseFilter(), None, 10) == [renamed, second]
    assert await backends.catalog.get_course_by_slug("renamed") == renamed
    counts = {
        count.category: count.course_count for count in await backends.catalog.category_counts()
    }
    assert counts == {Category.CODING: 1, Category.KIDS: 1}


@pytest.mark.usefixtures("no_periodic_recheck")
async def test_a_course_newer_than_the_snapshot_is_read_behind_it(backends: Backends) -> None:
    await backends.catalog.list_courses(CourseFilter(), None, 1)
    newer = await backends.uncached_catalog.create_course(draft(), datetime.now(UTC))
    assert await backends.catalog.get_courses([newer.id, 987_654]) == {newer.id: newer}
    assert await backends.catalog.get_course_by_slug(newer.slug) == newer


async def test_a_write_during_the_first_load_shows_when_the_write_returns(
    backends: Backends,
) -> None:
    store = backends.uncached_catalog
    original = store.courses_changed_since
    read, release = asyncio.Event(), asyncio.Event()

    async def held_after_reading(version):  # type: ignore[no-untyped-def]
        result = await original(version)
        read.set()
        await release.wait()
        return result

    original_create = store.create_course
    committed = asyncio.Event()

    async def create_noting_the_commit(draft, now):  # type: ignore[no-untyped-def]
        course = await original_create(draft, now)
        committed.set()
        return course

    store.courses_changed_since = held_after_reading  # type: ignore[method-assign]
    store.create_course = create_noting_the_commit  # type: ignore[method-assign]
    try:
        loading = asyncio.ensure_future(backends.catalog.list_courses(CourseFilter(), None, 10))
        await read.wait()
        writing = asyncio.ensure_future(add_course(backends))
        await committed.wait()  # after the load read the catalog, before it holds what it read
        release.set()
        written = await writing
        assert await loading == []
    finally:
        del store.courses_changed_since, store.create_course
    assert await backends.catalog.list_courses(CourseFilter(), None, 10) == [written]


@pytest.mark.usefixtures("no_periodic_recheck")
async def test_after_the_first_load_only_changed_courses_are_read(backends: Backends) -> None:
    courses = await add_courses(backends, 5)
    assert await backends.catalog.list_courses(CourseFilter(), None, 10) == courses
    store = backends.uncached_catalog
    original = store.courses_changed_since
    read: list[list[int]] = []

    async def recording(version):  # type: ignore[no-untyped-def]
        current, changed = await original(version)
        read.append([course.id for course in changed])
        return current, changed

    store.courses_changed_since = recording  # type: ignore[method-assign]
    try:
        await store.update_course(courses[2].id, {"title": "Changed"}, datetime.now(UTC))
        backends.catalog.recheck()
        page = await backends.catalog.list_courses(CourseFilter(), None, 10)
        backends.catalog.recheck()
        assert await backends.catalog.list_courses(CourseFilter(), None, 10) == page
    finally:
        del store.courses_changed_since
    assert read == [[courses[2].id]]  # and nothing when the version had not moved
    assert [course.title for course in page] == [
        "Changed" if course.id == courses[2].id else course.title for course in courses
    ]


@pytest.mark.usefixtures("no_periodic_recheck")
async def test_seeding_moves_the_version_on(backends: Backends) -> None:
    store = backends.uncached_catalog
    assert await backends.catalog.list_courses(CourseFilter(), None, 10) == []
    before = await store.catalog_version()
    await store.bulk_insert_courses([draft(), draft()], datetime.now(UTC))
    assert await store.catalog_version() == before + 1
    backends.catalog.recheck()
    assert len(await backends.catalog.list_courses(CourseFilter(), None, 10)) == 2


async def test_the_last_snapshot_is_served_while_the_database_does_not_answer(
    backends: Backends,
) -> None:
    course = await add_course(backends)
    assert await backends.catalog.list_courses(CourseFilter(), None, 10) == [course]
    store = backends.uncached_catalog

    async def unavailable() -> int:
        raise DatabaseUnavailable("catalog", "connection refused", 1.0)

    store.catalog_version = unavailable  # type: ignore[method-assign]
    try:
        backends.catalog.recheck()
        assert await backends.catalog.list_courses(CourseFilter(), None, 10) == [course]
    finally:
        del store.catalog_version


@pytest.mark.usefixtures("no_periodic_recheck")
async def test_a_new_generation_is_given_only_with_the_courses_it_stands_for(
    backends: Backends,
) -> None:
    course = await add_course(backends, title="Before")
    assert (await backends.catalog.get_courses([course.id]))[course.id].title == "Before"
    before = await backends.catalog.generation()
    # Another process writes, then retires what was built from the catalog before.
    await backends.uncached_catalog.update_course(course.id, {"title": "After"}, datetime.now(UTC))
    await backends.catalog.cached.invalidate([course.id])
    assert await backends.catalog.generation() != before
    assert (await backends.catalog.get_courses([course.id]))[course.id].title == "After"


async def test_a_start_without_the_database_leaves_the_load_to_the_first_read(
    backends: Backends,
) -> None:
    course = await backends.uncached_catalog.create_course(draft(), datetime.now(UTC))
    store = backends.uncached_catalog

    async def unavailable(version: int | None) -> tuple[int, list[object]]:
        raise DatabaseUnavailable("catalog", "connection refused", 1.0)

    store.courses_changed_since = unavailable  # type: ignore[method-assign,assignment]
    try:
        assert await backends.catalog.load() is False
    finally:
        del store.courses_changed_since
    assert await backends.catalog.list_courses(CourseFilter(), None, 10) == [course]
    assert await backends.catalog.load() is True


async def test_a_write_that_committed_returns_though_the_snapshot_cannot_catch_up(
    backends: Backends,
) -> None:
    store = backends.uncached_catalog

    async def unavailable(*_: object) -> int:
        raise DatabaseUnavailable("catalog", "connection refused", 1.0)

    for loaded in (False, True):
        if loaded:
            await backends.catalog.list_courses(CourseFilter(), None, 10)
        store.courses_changed_since = unavailable  # type: ignore[method-assign,assignment]
        store.catalog_version = unavailable  # type: ignore[method-assign]
        try:
            written = await add_course(backends)
        finally:
            del store.courses_changed_since, store.catalog_version
        backends.catalog.recheck()
        assert written in await backends.catalog.list_courses(CourseFilter(), None, 10)
