"""Subscription lifecycle: what is about to expire, and the admin bulk jobs over a course.

The bulk mutations validate everything first and write nothing on bad input; the work itself
runs in the background (`jobs/lifecycle.py`) and is followed through `job(id)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from records.catalog import Course
from records.lifecycle_jobs import JobKind, LifecycleJob
from records.subscriptions import ExpiryKey, Subscription
from resolvers.catalog.validation import check_course_fields
from resolvers.context import RequestContext
from resolvers.errors import ClientError, Problem, invalid, not_found
from resolvers.ids import id_or_problem, parse_id, require_id
from resolvers.pagination import (
    Page,
    check_first,
    decode_time_cursor,
    encode_time_cursor,
    page_of,
)

MAX_WITHIN_DAYS = 365
MAX_EXTENSION_DAYS = 3650
MAX_GRANT_USERS = 1000
_EXPIRY_CURSOR = "exp"


def _expiry_cursor(subscription: Subscription) -> str:
    assert subscription.expires_at is not None
    return encode_time_cursor(_EXPIRY_CURSOR, subscription.expires_at, subscription.id)


def _expiry_key(after: str) -> ExpiryKey:
    return ExpiryKey(*decode_time_cursor(after, _EXPIRY_CURSOR))


async def expiring_subscriptions(
    ctx: RequestContext, within_days: int, first: int, after: str | None
) -> Page[Subscription]:
    """The signed-in user's active subscriptions ending within `within_days`, soonest first."""
    user = ctx.require_user()
    if not 1 <= within_days <= MAX_WITHIN_DAYS:
        raise ClientError(
            f"`withinDays` must be between 1 and {MAX_WITHIN_DAYS}", field="withinDays"
        )
    check_first(first)
    key = _expiry_key(after) if after else None
    rows = await ctx.backends.uncached_subscriptions.list_expiring(
        user.user_id,
        ctx.now,
        ctx.now + timedelta(days=within_days),
        key,
        first + 1,
    )
    return page_of(rows, first, _expiry_cursor)


async def _course(ctx: RequestContext, raw_course_id: str) -> Course | Problem:
    course_id = id_or_problem(raw_course_id, "courseId")
    if isinstance(course_id, Problem):
        return course_id
    course = await ctx.loaders.course.load(course_id)
    return not_found("course") if course is None else course


async def change_course_validity(
    ctx: RequestContext, raw_course_id: str, validity_days: int | None
) -> LifecycleJob | Problem:
    """Sets the course's validity, then queues the recompute of every subscription's expiry
    (enrolled_at + validity). The course changes first: if the job could not be queued, the
    admin's retry queues it, and the job always recomputes from the course's current value."""
    problem = ctx.admin_problem() or check_course_fields({"validity_days": validity_days})
    if problem is not None:
        return problem
    course = await _course(ctx, raw_course_id)
    if isinstance(course, Problem):
        return course
    await ctx.backends.catalog.update_course(course.id, {"validity_days": validity_days}, ctx.now)
    params = {"course_id": course.id, "validity_days": validity_days}
    return await ctx.backends.jobs.create(JobKind.CHANGE_COURSE_VALIDITY, params, ctx.now)


async def extend_subscriptions(
    ctx: RequestContext, raw_course_id: str, days: int
) -> LifecycleJob | Problem:
    problem = ctx.admin_problem()
    if problem is None and not 1 <= days <= MAX_EXTENSION_DAYS:
        problem = invalid("days", f"days: 1 to {MAX_EXTENSION_DAYS}")
    if problem is not None:
        return problem
    course = await _course(ctx, raw_course_id)
    if isinstance(course, Problem):
        return course
    params = {"course_id": course.id, "days": days}
    return await ctx.backends.jobs.create(JobKind.EXTEND_SUBSCRIPTIONS, params, ctx.now)


def _grantees(raw_user_ids: Sequence[str]) -> list[int] | Problem:
    if not 1 <= len(raw_user_ids) <= MAX_GRANT_USERS:
        return invalid("userIds", f"userIds: 1 to {MAX_GRANT_USERS} user ids")
    user_ids = [parse_id(raw) for raw in raw_user_ids]
    if any(user_id is None for user_id in user_ids):
        return invalid("userIds", "userIds: positive integer ids only")
    return sorted({user_id for user_id in user_ids if user_id is not None})


async def grant_course(
    ctx: RequestContext, raw_course_id: str, raw_user_ids: Sequence[str]
) -> LifecycleJob | Problem:
    problem = ctx.admin_problem()
    if problem is not None:
        return problem
    user_ids = _grantees(raw_user_ids)
    if isinstance(user_ids, Problem):
        return user_ids
    course = await _course(ctx, raw_course_id)
    if isinstance(course, Problem):
        return course
    params = {"course_id": course.id, "user_ids": user_ids}
    return await ctx.backends.jobs.create(JobKind.GRANT_COURSE, params, ctx.now)


async def job(ctx: RequestContext, raw_job_id: str) -> LifecycleJob | None:
    """Admin only; None when there is no such job."""
    principal = ctx.require_user()
    if not principal.is_admin:
        raise ClientError("this needs the admin role", "FORBIDDEN")
    return await ctx.backends.jobs.get(require_id(raw_job_id, "id"))
