"""Every course in this process's memory, so that a catalog page, a course by id or slug and
the category counts cost no round trip, with the cache on or off.

The snapshot follows the catalog version (`SqlCatalogStore.catalog_version`, bumped in the
transaction of every catalog write): it is read again at most every RECHECK_SECONDS, by one
caller while the others go on with the snapshot they have, and the whole catalog is loaded
again when the version has moved. A write through this process goes into the snapshot at once,
so a process reads its own writes; another process's write shows within RECHECK_SECONDS.
An id or slug the snapshot does not hold (newer than it, or not there) is asked of the cached
catalog behind it.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from datasources.cache.cached_catalog import CachedCatalog
from datasources.cache.metrics import record_lookups
from datasources.sql.catalog_store import SqlCatalogStore
from records.catalog import CategoryCount, Course, CourseDraft, CourseFilter

RECHECK_SECONDS = 1.0
_UNKNOWN_VERSION = -1  # never a stored version: the next check loads

log = logging.getLogger("coursegate.catalog_snapshot")


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

    def with_course(self, course: Course) -> _Courses:
        return _Courses.of(self.version, {**self.by_id, course.id: course}.values())

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
        self._written_while_loading: list[Course] | None = None

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
        return self._wrote(await self.cached.create_course(draft, now))

    async def update_course(
        self, course_id: int, changes: Mapping[str, object], now: datetime
    ) -> Course | None:
        course = await self.cached.update_course(course_id, changes, now)
        return None if course is None else self._wrote(course)

    async def generation(self) -> int:
        """The catalog generation, returned once the snapshot has caught up with the catalog
        as it was when the generation was read: what is built from the snapshot after this
        returns is at least as new as the generation it is filed under."""
        generation = await self.cached.generation()
        if self._courses is not None:
            async with self._checking:
                await self._check()
        return generation

    async def invalidate(self, course_ids: Sequence[int]) -> None:
        await self.cached.invalidate(course_ids)

    def recheck(self) -> None:
        """The next read asks for the catalog version again."""
        self._recheck_at = 0.0

    def _wrote(self, course: Course) -> Course:
        if self._written_while_loading is not None:
            self._written_while_loading.append(course)
        if self._courses is not None:
            self._courses = self._courses.with_course(course)
        return course

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
        assert self._courses is not None
        try:
            if await self.store.catalog_version() != self._courses.version:
                await self._load()
            else:
                self._recheck_at = time.monotonic() + RECHECK_SECONDS
        except Exception as error:
            # Until the catalog database answers again, the courses it last gave are served.
            log.warning("catalog snapshot not refreshed (%s)", type(error).__name__)
            self._recheck_at = time.monotonic() + RECHECK_SECONDS

    async def _load(self) -> None:
        checked_at = time.monotonic()
        written: list[Course] = []
        self._written_while_loading = written
        try:
            version, courses = await self.store.all_courses()
        finally:
            self._written_while_loading = None
        if written:
            # This process's writes during the read may be missing from it: they go on top, and
            # the next read loads again, since one may also be older than what was read.
            self._courses = _Courses.of(_UNKNOWN_VERSION, [*courses, *written])
            self._recheck_at = 0.0
        else:
            self._courses = _Courses.of(version, courses)
            self._recheck_at = checked_at + RECHECK_SECONDS
        log.info(
            "catalog snapshot at version %s: %d courses, loaded in %.0f ms",
            version,
            len(courses),
            (time.monotonic() - checked_at) * 1000,
        )
