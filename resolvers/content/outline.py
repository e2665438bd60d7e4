"""A course's lessons, open to everyone, and one lesson by id."""

from __future__ import annotations

from records.content import Exercise, Lesson
from resolvers.content.entitlement import is_subscribed, may_open
from resolvers.context import RequestContext
from resolvers.errors import NOT_ENTITLED, Problem
from resolvers.ids import require_id
from resolvers.pagination import Page, check_first, decode_cursor, encode_cursor, page_of

_LESSON_CURSOR = "lesson"
DEFAULT_PAGE = 50


def _cursor(lesson: Lesson) -> str:
    return encode_cursor(_LESSON_CURSOR, lesson.position)


async def lessons_page(
    ctx: RequestContext, course_id: int, first: int, after: str | None
) -> Page[Lesson]:
    check_first(first)
    after_position = decode_cursor(after, _LESSON_CURSOR, 1)[0] if after else 0
    outline = await ctx.loaders.outline.load(course_id)
    following = [lesson for lesson in outline if lesson.position > after_position]
    return page_of(following[: first + 1], first, _cursor)


async def lesson_count(ctx: RequestContext, course_id: int) -> int:
    return len(await ctx.loaders.outline.load(course_id))


async def get_lesson(ctx: RequestContext, raw_id: str) -> Lesson | None:
    """A lesson of an active course; of an inactive one only for its subscribers (who keep
    their access when a course leaves the catalog) and admins."""
    content = await ctx.loaders.lesson.load(require_id(raw_id, "id"))
    if content is None:
        return None
    course = await ctx.loaders.course.load(content.lesson.course_id)
    if course is None:
        return None
    if not course.is_active and not await is_subscribed(ctx, course.id):
        return None
    return content.lesson


async def exercises_of(ctx: RequestContext, lesson: Lesson) -> list[Exercise] | Problem:
    if not await may_open(ctx, lesson):
        return NOT_ENTITLED
    content = await ctx.loaders.lesson.load(lesson.id)
    return [] if content is None else list(content.exercises)
