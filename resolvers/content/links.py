"""How long a media link handed to this request lasts: the configured TTL, ending on a whole
minute (equal links for a minute, which caches can share), and never after the subscription
that grants it ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from records.content import Lesson
from resolvers.context import RequestContext

_STEP_SECONDS = 60


async def link_expiry(ctx: RequestContext, lesson: Lesson | None) -> datetime:
    """`lesson` None: a public object (a cover), which any link time suits."""
    horizon = ctx.now + timedelta(seconds=ctx.backends.link_ttl_seconds)
    expires_at = datetime.fromtimestamp(
        int(horizon.timestamp()) // _STEP_SECONDS * _STEP_SECONDS, UTC
    )
    if lesson is not None and not lesson.is_preview and ctx.principal is not None:
        loader = ctx.loaders.my_subscription
        subscription = None if loader is None else await loader.load(lesson.course_id)
        if subscription is not None and subscription.expires_at is not None:
            expires_at = min(expires_at, subscription.expires_at)
    ctx.note_link_expiry(expires_at)
    return expires_at
