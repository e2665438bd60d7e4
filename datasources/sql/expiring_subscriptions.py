"""One user's active subscriptions that end within a window, soonest first (one shard)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from datasources.sql.subscription_store import ShardedSubscriptionStore, subscription_from_row
from records.subscriptions import Subscription, SubscriptionStatus

_COLUMNS = "id, user_id, typing_course_id, enrolled_at, expires_at, status, source, updated_at"


@dataclass(frozen=True, slots=True)
class ExpiryKey:
    """Keyset position in the list: soonest expiry first, then id."""

    expires_at: datetime
    id: int


async def list_expiring(
    store: ShardedSubscriptionStore,
    user_id: int,
    now: datetime,
    until: datetime,
    after: ExpiryKey | None,
    limit: int,
) -> list[Subscription]:
    """Active subscriptions with now < expires_at <= until, strictly after `after`."""
    keyset, params = "", [user_id, SubscriptionStatus.ACTIVE.value, now, until]
    if after is not None:
        keyset = " AND (expires_at > ? OR (expires_at = ? AND id > ?))"
        params += [after.expires_at, after.expires_at, after.id]
    rows = await store.shard_for(user_id).fetch_all(
        f"SELECT {_COLUMNS} FROM user_typing_courses WHERE user_id = ? AND status = ?"
        f" AND expires_at > ? AND expires_at <= ?{keyset} ORDER BY expires_at, id LIMIT ?",
        (*params, limit),
    )
    return [subscription_from_row(row) for row in rows]
