"""Every course of the catalog database, a page at a time (active or not)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from datasources.backends import Backends
from records.catalog import Course, CourseFilter

COURSE_BATCH = 1000


async def all_courses(backends: Backends) -> AsyncIterator[Course]:
    after: int | None = None
    while True:
        page = await backends.uncached_catalog.list_courses(
            CourseFilter(active_only=False), after, COURSE_BATCH
        )
        for course in page:
            yield course
        if len(page) < COURSE_BATCH:
            return
        after = page[-1].id
