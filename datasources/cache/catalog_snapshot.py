"""Every course in this process's memory, so that a catalog page, a course by id or slug and
the category counts cost no round trip, with the cache on or off.

The snapshot follows the catalog version (`SqlCatalogStore.catalog_version`, moved on in the
transaction of every catalog write, which also marks the courses it changed with it): the
version is read again at most every RECHECK_SECONDS, by one caller while the others go on with
the courses there are, and when it has moved only the courses changed since are read. After a
write through this process the snapshot catches up before the write returns, so a process reads
its own writes; another process's write shows within RECHECK_SECONDS. An id or slug the
snapshot does not hold (newer than it, or not there) is asked of the cached catalog behind it.
"""

from __future__ import annotations

import asyncio
import bisect
import dataclasses
import logging
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from datasources.cache.cached_catalog import CachedCatalog
from datasources.cache.metrics import CACHE_LOOKUPS, record_lookups
from datasources.sql.catalog_store import SqlCatalogStore
from records.catalog import CategoryCount, Course, CourseDraft, CourseFilter

RECHECK_SECONDS = 1.0

log = logging.getLogger("coursegate.catalog_snapshot")
_SNAPSHOT_HITS = CACHE_LOOKUPS.labels("course_snapshot", "hit")


@dataclass(frozen=True, slots=True)
class _Courses:
    version: int
    by_id: Mapping[int, Course]
    ids: Sequence[int]  # ascending
    by_slug: Mapping[str, Course]
    category_counts: Sequence[CategoryCount]

    @classmethod
    def of(cls, version: int, courses: Iterable[Course]) -> _Courses:
        by_id = {course.id: course for course in courses}
        active = Counter(course.category for course in by_id.values() if course.is_active)
        return cls(
            version,
            by_id,
            sorted(by_id),
            {course.slug: course for course in by_id.values()},
            [CategoryCount(category, active[category]) for category in sorted(active)],
        )

    def changed(self, version: int, courses: Sequence[Course]) -> _Courses:
        if not courses:
            return dataclasses.replace(self, version=version)
        return _Courses.of(
            version, {**self.by_id, **{course.id: course for course in courses}}.values()
        )

    def page(self, course_filter: CourseFilter, after_id: int | None, limit: int) -> list[Course]:
        found: list[Course] = []
        for course_id in self.ids[bisect.bisect_right(self.ids, after_id or 0) :]:
            if len(found) == limit:
                break
            course = self.by_id[course_id]
            if _matches(course, course_filter):
                found.append(course)
        return found


def _matches(course: Course, course_filter: CourseFilter) -> bool:
    return (
        (course.is_active or not course_filter.active_only)
        and course_filter.category in (None, course.category)
        and course_filter.difficulty in (None, course.difficulty)
        and course_filter.language in (None, course.language)
    )


class CatalogSnapshot:
    def __init__(self, cached: CachedCatalog) -> None:
        self.cached = cached
        self._courses: _Courses | None = None
        self._recheck_at = 0.0
        self._first_load = asyncio.Lock()
        self._checking = asyncio.Lock()

    @property
    def store(self) -> SqlCatalogStore:
        return self.cached.store

    async def get_courses(self, ids: Sequence[int]) -> dict[int, Course]:
        held = (await self._current()).by_id
        found = {course_id: held[course_id] for course_id in ids if course_id in held}
        missing = [course_id for course_id in ids if course_id not in found]
        record_lookups("course_snapshot", len(found), len(missing))
        if missing:
            found.update(await self.cached.get_courses(missing))
        return found

    def held_now(self, course_id: int) -> Course | None:
        """The course without I/O while the snapshot holds it and needs no check; None when it
        must be read through `get_courses` (not loaded yet, due for a check, or not held)."""
        courses = self._courses
        if courses is None or time.monotonic() >= self._recheck_at:
            return None
        course = courses.by_id.get(course_id)
        if course is not None:
            _SNAPSHOT_HITS.inc()
        return course

    async def get_course_by_slug(self, slug: str) -> Course | None:
        course = (await self._current()).by_slug.get(slug)
        return course if course is not None else await self.cached.get_course_by_slug(slug)

    async def list_courses(
        self, course_filter: CourseFilter, after_id: int | None, limit: int
    ) -> list[Course]:
        return (await self._current()).page(course_filter, after_id, limit)

    async def category_counts(self) -> list[CategoryCount]:
        return list((await self._current()).category_counts)

    async def create_course(self, draft: CourseDraft, now: datetime) -> Course:
        course = await self.cached.create_course(draft, now)
        await self.catch_up()
        return course

    async def update_course(
        self, course_id: int, changes: Mapping[str, object], now: datetime
    ) -> Course | None:
        course = await self.cached.update_course(course_id, changes, now)
        await self.catch_up()
        return course

    async def generation(self) -> int:
        """The catalog generation, returned once the snapshot has caught up with the catalog
        as it was when the generation was read: what is built from the snapshot after this
        returns is at least as new as the generation it is filed under."""
        generation = await self.cached.generation()
        await self.catch_up()
        return generation

    async def invalidate(self, course_ids: Sequence[int]) -> None:
        await self.cached.invalidate(course_ids)

    async def load(self) -> bool:
        """Reads the catalog now if it has not been (a process's start); False, logged, when
        the database does not answer, and the next read tries again."""
        try:
            await self._current()
        except Exception as error:
            log.warning("catalog not loaded (%s); the next read tries again", type(error).__name__)
            return False
        return True

    def recheck(self) -> None:
        """The next read asks for the catalog version again."""
        self._recheck_at = 0.0

    async def catch_up(self) -> None:
        """Holds every change committed before this call when it returns, unless the catalog
        database does not answer: that is logged, not raised, since what called this (a write
        that committed, say) has succeeded."""
        # A load already under way may have read before the change: a check follows it.
        if self._courses is None and not await self.load():
            return
        async with self._checking:
            await self._check()

    async def _current(self) -> _Courses:
        if self._courses is None:
            async with self._first_load:
                if self._courses is None:
                    await self._load()
        elif time.monotonic() >= self._recheck_at and not self._checking.locked():
            # One caller checks; the others go on with the courses there are meanwhile.
            async with self._checking:
                await self._check()
        assert self._courses is not None
        return self._courses

    async def _check(self) -> None:
        courses = self._courses
        assert courses is not None
        checked_at = time.monotonic()
        try:
            if await self.store.catalog_version() != courses.version:
                version, changed = await self.store.courses_changed_since(courses.version)
                self._courses = courses.changed(version, changed)
        except Exception as error:
            # Until the catalog database answers again, the courses it last gave are served.
            log.warning("catalog snapshot not refreshed (%s)", type(error).__name__)
        self._recheck_at = checked_at + RECHECK_SECONDS

    async def _load(self) -> None:
        loaded_at = time.monotonic()
        version, courses = await self.store.courses_changed_since(None)
        self._courses = _Courses.of(version, courses)
        self._recheck_at = loaded_at + RECHECK_SECONDS
        log.info(
            "catalog snapshot at version %s: %d courses, loaded in %.0f ms",
            version,
            len(courses),
            (time.monotonic() - loaded_at) * 1000,
        )
