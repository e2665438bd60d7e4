"""Admin use cases: creating and changing courses."""

from __future__ import annotations

from collections.abc import Mapping

from datasources.catalog import SlugTaken
from records.catalog import Course, CourseDraft
from resolvers.catalog.validation import check_course_fields
from resolvers.context import RequestContext
from resolvers.errors import Problem, invalid, not_found
from resolvers.ids import id_or_problem


async def create_course(ctx: RequestContext, draft: CourseDraft) -> Course | Problem:
    problem = ctx.admin_problem() or check_course_fields(
        {
            "slug": draft.slug,
            "title": draft.title,
            "description": draft.description,
            "language": draft.language,
            "tags": draft.tags,
            "price_paise": draft.price_paise,
            "currency": draft.currency,
            "validity_days": draft.validity_days,
        }
    )
    if problem is not None:
        return problem
    try:
        return await ctx.backends.catalog.create_course(draft, ctx.now)
    except SlugTaken:
        return invalid("slug", "slug: another course already uses it")


async def update_course(
    ctx: RequestContext, raw_course_id: str, changes: Mapping[str, object]
) -> Course | Problem:
    problem = ctx.admin_problem()
    if problem is not None:
        return problem
    course_id = id_or_problem(raw_course_id, "id")
    if isinstance(course_id, Problem):
        return course_id
    if not changes:
        return invalid("input", "input: give at least one field to change")
    if "validity_days" in changes:
        # One path changes validity, and it also re-derives every subscription's expiry.
        return invalid(
            "validityDays",
            "validityDays: change it with changeCourseValidity, which also recomputes the"
            " expiry of every subscription to the course",
        )
    problem = check_course_fields(changes)
    if problem is not None:
        return problem
    try:
        course = await ctx.backends.catalog.update_course(course_id, changes, ctx.now)
    except SlugTaken:
        return invalid("slug", "slug: another course already uses it")
    return course if course is not None else not_found("course")
