"""Catalog use cases: pages of courses, one course, category counts."""

from __future__ import annotations

import re

from records.catalog import CategoryCount, Course, CourseFilter
from resolvers.context import RequestContext
from resolvers.errors import ClientError
from resolvers.ids import require_id
from resolvers.pagination import Page, check_first, decode_cursor, encode_cursor, page_of

_COURSE_CURSOR = "course"
LANGUAGE_PATTERN = re.compile(r"^[a-z]{2}$")


def course_cursor(course: Course) -> str:
    return encode_cursor(_COURSE_CURSOR, course.id)


async def list_courses(
    ctx: RequestContext, course_filter: CourseFilter, first: int, after: str | None
) -> Page[Course]:
    # Permission before input: a caller who may not list inactive courses learns only that.
    if not course_filter.active_only and not _is_admin(ctx):
        raise ClientError("only admins may list inactive courses", code="FORBIDDEN")
    check_first(first)
    if course_filter.language is not None and not LANGUAGE_PATTERN.match(course_filter.language):
        raise ClientError(
            "`language` is a two-letter ISO 639-1 code such as 'en'", field="language"
        )
    after_id = decode_cursor(after, _COURSE_CURSOR, 1)[0] if after else None
    courses = await ctx.backends.catalog.list_courses(course_filter, after_id, first + 1)
    return page_of(courses, first, course_cursor)


async def get_course(ctx: RequestContext, course_id: str | None, slug: str | None) -> Course | None:
    if (course_id is None) == (slug is None):
        raise ClientError("give exactly one of `id` and `slug`")
    if course_id is not None:
        course = await ctx.loaders.course.load(require_id(course_id, "id"))
    else:
        assert slug is not None
        course = await ctx.backends.catalog.get_course_by_slug(slug[:200])
    if course is None or (not course.is_active and not _is_admin(ctx)):
        return None
    return course


async def list_categories(ctx: RequestContext) -> list[CategoryCount]:
    return await ctx.backends.catalog.category_counts()


def _is_admin(ctx: RequestContext) -> bool:
    return ctx.principal is not None and ctx.principal.is_admin
