"""How long access bought through checkout lasts."""

from __future__ import annotations

from datetime import datetime, timedelta


def grant_expiry(
    now: datetime, current_expires_at: datetime | None, validity_days: int | None
) -> datetime | None:
    """When access ends after one purchase; None means it never ends (lifetime course).

    `current_expires_at` is the end of the access being extended, None when there is none.
    Time still left is kept: the new period starts at the later of now and the current end.
    The caller keeps a lifetime subscription as it is rather than calling this for it.
    """
    if validity_days is None:
        return None
    if validity_days <= 0:
        raise ValueError("validity_days must be positive, or None for lifetime access")
    start = now if current_expires_at is None else max(now, current_expires_at)
    return start + timedelta(days=validity_days)
