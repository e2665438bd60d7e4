"""How long access lasts: an expiry is derived from the grants that made it.

A run of access starts with one grant (an enrolment or a purchase) at `enrolled_at` and lasts the
course's validity; each renewal bought while it runs and each admin extension adds days to it.
Those added days are kept apart (`kept_days`), so a change of the course's validity re-derives
only the validity part, `enrolled_at + validity`, and keeps every renewal and extension:

    expires_at = enrolled_at + validity_days + kept_days      (None: lifetime)
"""

from __future__ import annotations

from datetime import datetime, timedelta

from records.subscriptions import Access, Subscription


def running_access(subscription: Subscription | None, now: datetime) -> Access | None:
    """The subscription's access if it runs at `now`; None when there is none to extend."""
    if subscription is None or not subscription.is_active_at(now):
        return None
    return Access(subscription.enrolled_at, subscription.expires_at, subscription.kept_days)


def validity_expiry(
    enrolled_at: datetime, validity_days: int | None, kept_days: int
) -> datetime | None:
    """The end of access under the course's current validity, keeping the added days."""
    if validity_days is None:
        return None
    return enrolled_at + timedelta(days=validity_days + kept_days)


def after_grant(current: Access | None, now: datetime, validity_days: int | None) -> Access | None:
    """What one more grant (a purchase, a renewal or an admin grant) makes of the access.

    `current` is the access running at `now`, None when there is none: a new run starts now.
    A running one is extended from its end by the validity, kept as renewal days. Lifetime
    access stays as it is (None: nothing to change).
    """
    if validity_days is not None and validity_days <= 0:
        raise ValueError("validity_days must be positive, or None for lifetime access")
    if current is None:
        return Access(now, validity_expiry(now, validity_days, 0))
    if current.expires_at is None:
        return None
    if validity_days is None:
        return Access(current.enrolled_at, None, current.kept_days)
    start = max(now, current.expires_at)
    return Access(
        current.enrolled_at,
        start + timedelta(days=validity_days),
        current.kept_days + validity_days,
    )
