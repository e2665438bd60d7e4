"""A user's subscriptions: listing, free enrolment, cancellation."""

from __future__ import annotations

import enum
from datetime import timedelta

from strawberry.utils.await_maybe import AwaitableOrValue

from datasources.cache.cached_subscriptions import CachedEntry
from records.catalog import Course
from records.subscriptions import FREE_SOURCE, NewSubscription, Subscription, SubscriptionKey
from resolvers.context import RequestContext
from resolvers.errors import (
    UNAUTHENTICATED,
    Problem,
    ProblemKind,
    not_found,
)
from resolvers.ids import id_or_problem
from resolvers.pagination import Page, check_first, decode_time_cursor, encode_time_cursor

_SUBSCRIPTION_CURSOR = "sub"


class StatusFilter(enum.Enum):
    ACTIVE = "active"
    EXPIRED = "expired"
    ALL = "all"


def _cursor(subscription: Subscription) -> str:
    return encode_time_cursor(_SUBSCRIPTION_CURSOR, subscription.enrolled_at, subscription.id)


def _key_from_cursor(after: str) -> SubscriptionKey:
    return SubscriptionKey(*decode_time_cursor(after, _SUBSCRIPTION_CURSOR))


async def my_subscriptions(
    ctx: RequestContext, status: StatusFilter, first: int, after: str | None
) -> Page[Subscription]:
    user = ctx.require_user()
    check_first(first)
    before = _key_from_cursor(after) if after else None
    entry = await my_entry(ctx, user.user_id)
    wanted: list[Subscription] = []
    has_more = True
    # Status depends on the clock, so it is filtered here; a batch wider than the page
    # keeps the number of round trips small when many rows are filtered out.
    while has_more and len(wanted) <= first:
        batch_size = max(first + 1, 50)
        batch = await ctx.backends.subscriptions.list_in(entry, user.user_id, before, batch_size)
        has_more = len(batch) == batch_size
        wanted.extend(s for s in batch if _matches(s, status, ctx))
        if batch:
            last = batch[-1]
            before = SubscriptionKey(last.enrolled_at, last.id)
    shown = wanted[:first]
    return Page(shown, [_cursor(s) for s in shown], len(wanted) > first)


async def my_entry(ctx: RequestContext, user_id: int) -> CachedEntry:
    """The signed-in user's subscriptions entry, read once per request."""
    entries = ctx.loaders.my_entry
    if entries is None:
        raise RuntimeError("the request's loaders were made for nobody signed in")
    return await entries.entry(user_id)


def course_of(ctx: RequestContext, course_id: int) -> AwaitableOrValue[Course | None]:
    """A subscription's (or lesson's) course: at once when the catalog snapshot holds it, so a
    list of them completes without a task per item; otherwise batched with every other course
    read of the request."""
    held = ctx.loaders.course.held(course_id)
    return held if held is not None else ctx.loaders.course.load(course_id)


def _matches(subscription: Subscription, status: StatusFilter, ctx: RequestContext) -> bool:
    if status is StatusFilter.ALL:
        return True
    return subscription.is_active_at(ctx.now) == (status is StatusFilter.ACTIVE)


async def enroll(ctx: RequestContext, raw_course_id: str) -> Subscription | Problem:
    if ctx.principal is None:
        return UNAUTHENTICATED
    course = await _active_course(ctx, raw_course_id)
    if isinstance(course, Problem):
        return course
    if not course.is_free:
        return Problem(ProblemKind.PAYMENT_REQUIRED, "this course is paid: buy it through checkout")
    expires_at = (
        None if course.validity_days is None else ctx.now + timedelta(days=course.validity_days)
    )
    enrolment = NewSubscription(ctx.principal.user_id, course.id, ctx.now, expires_at, FREE_SOURCE)
    subscription = await ctx.backends.subscriptions.enroll_unless_active(enrolment, ctx.now)
    if subscription is None:
        return Problem(ProblemKind.ALREADY_SUBSCRIBED, "you already have this course")
    return subscription


async def cancel(ctx: RequestContext, raw_course_id: str) -> Subscription | Problem:
    if ctx.principal is None:
        return UNAUTHENTICATED
    course_id = id_or_problem(raw_course_id, "courseId")
    if isinstance(course_id, Problem):
        return course_id
    cancelled = await ctx.backends.subscriptions.cancel(ctx.principal.user_id, course_id, ctx.now)
    return (
        cancelled if cancelled is not None else not_found("an active subscription to this course")
    )


async def _active_course(ctx: RequestContext, raw_course_id: str) -> Course | Problem:
    course_id = id_or_problem(raw_course_id, "courseId")
    if isinstance(course_id, Problem):
        return course_id
    course = await ctx.loaders.course.load(course_id)
    if course is None or not course.is_active:
        return not_found("course")
    return course
