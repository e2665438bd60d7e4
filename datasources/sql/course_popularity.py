"""Active subscribers per course, counted on every shard concurrently and summed."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from datasources.sql.engine import SqlEngine
from records.subscriptions import SubscriptionStatus

_COUNT_ACTIVE = (
    "SELECT typing_course_id, COUNT(*) FROM user_typing_courses"
    " WHERE status = ? AND (expires_at IS NULL OR expires_at > ?)"
    " GROUP BY typing_course_id"
)


async def active_subscriber_counts(shards: Sequence[SqlEngine], now: datetime) -> dict[int, int]:
    """course id -> active subscriptions across all shards (courses with none are left out)."""
    per_shard = await asyncio.gather(
        *(
            shard.fetch_all_lagging(_COUNT_ACTIVE, (SubscriptionStatus.ACTIVE.value, now))
            for shard in shards
        )
    )
    totals: Counter[int] = Counter()
    for rows in per_shard:
        for course_id, count in rows:
            totals[int(course_id)] += int(count)
    return dict(totals)
