"""How long a media link handed to this request lasts: the configured TTL, ending on a whole
minute (equal links for a minute, which caches can share), and never after the subscription
that grants it ends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from records.content import Lesson
from resolvers.context import RequestContext

_STEP_SECONDS = 60


@dataclass(frozen=True, slots=True)
class LinkWindow:
    expires_at: datetime  # this request's links
    access_until: datetime | None  # when the granting subscription ends; None: no end


async def link_window(ctx: RequestContext, lesson: Lesson | None) -> LinkWindow:
    """`lesson` None: a public object (a cover) or an admin's upload, which no end limits."""
    horizon = ctx.now + timedelta(seconds=ctx.backends.link_ttl_seconds)
    expires_at = datetime.fromtimestamp(
        int(horizon.timestamp()) // _STEP_SECONDS * _STEP_SECONDS, UTC
    )
    access_until = None
    if lesson is not None and not lesson.is_preview and ctx.principal is not None:
        loader = ctx.loaders.my_subscription
        subscription = None if loader is None else await loader.load(lesson.course_id)
        if subscription is not None:
            access_until = subscription.expires_at
    if access_until is not None:
        expires_at = min(expires_at, access_until)
    ctx.note_link_expiry(expires_at)
    return LinkWindow(expires_at, access_until)
