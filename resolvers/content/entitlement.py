"""Who may open a lesson's exercises and media: everyone on a preview lesson; otherwise a user
with an active subscription to its course (now, at this request's clock), and admins."""

from __future__ import annotations

from records.content import Lesson
from resolvers.context import RequestContext


async def may_open(ctx: RequestContext, lesson: Lesson) -> bool:
    if lesson.is_preview:
        return True
    return await is_subscribed(ctx, lesson.course_id)


async def is_subscribed(ctx: RequestContext, course_id: int) -> bool:
    """An active subscription to the course, or the admin role."""
    if ctx.principal is None:
        return False
    if ctx.principal.is_admin:
        return True
    loader = ctx.loaders.my_subscription
    assert loader is not None  # a principal has a user id
    subscription = await loader.load(course_id)
    return subscription is not None and subscription.is_active_at(ctx.now)
