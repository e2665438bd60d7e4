"""Admin use cases: creating and changing courses.

Each takes its input as a function that converts it, and calls it only once the caller is known
to be an admin: an anonymous or plain caller gets the permission result whatever it sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from datasources.catalog import SlugTaken
from records.catalog import Course, CourseDraft
from resolvers.catalog.validation import check_course_fields, input_name
from resolvers.context import RequestContext
from resolvers.errors import Problem, invalid, not_found
from resolvers.ids import id_or_problem


async def create_course(
    ctx: RequestContext, draft_of_input: Callable[[], CourseDraft]
) -> Course | Problem:
    problem = ctx.admin_problem()
    if problem is not None:
        return problem
    draft = draft_of_input()
    problem = check_course_fields(
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
    ctx: RequestContext, raw_course_id: str, changes_of_input: Callable[[], Mapping[str, object]]
) -> Course | Problem:
    problem = ctx.admin_problem()
    if problem is not None:
        return problem
    course_id = id_or_problem(raw_course_id, "id")
    if isinstance(course_id, Problem):
        return course_id
    changes = changes_of_input()
    if not changes:
        return invalid("input", "input: give at least one field to change")
    if "validity_days" in changes:
        # One path changes validity, and it also re-derives every subscription's expiry.
        return invalid(
            "validityDays",
            "validityDays: change it with changeCourseValidity, which also recomputes the"
            " expiry of every subscription to the course",
        )
    problem = _explicit_null(changes) or check_course_fields(changes)
    if problem is not None:
        return problem
    try:
        course = await ctx.backends.catalog.update_course(course_id, changes, ctx.now)
    except SlugTaken:
        return invalid("slug", "slug: another course already uses it")
    return course if course is not None else not_found("course")


def _explicit_null(changes: Mapping[str, object]) -> Problem | None:
    """Every field updateCourse still changes has a value; null would mean nothing."""
    for column, value in changes.items():
        if value is None:
            name = input_name(column)
            return invalid(name, f"{name}: null is not a value; leave the field out to keep it")
    return None
