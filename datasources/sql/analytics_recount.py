"""What a shard itself says about past days, for the analytics reconciliation: its settled
orders (when each was paid and refunded) and its subscriptions' current runs (when each
began). Both are streamed in primary-key order, a batch at a time, so a backfill over every
subscription holds one batch in memory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from datetime import datetime

from datasources.sql.engine import SqlEngine
from datasources.sql.timestamps import from_db, from_db_required
from records.analytics import SettledOrder, SubscriptionRun

BATCH = 5000


def _after(key: tuple[int, int] | None, table: str) -> tuple[str, list[object]]:
    if key is None:
        return "", []
    return f" AND ({table}.user_id > ? OR ({table}.user_id = ? AND {table}.id > ?))", [
        key[0],
        key[0],
        key[1],
    ]


async def settled_orders(
    shard: SqlEngine, changed_since: datetime, success_kinds: Collection[str], batch: int = BATCH
) -> AsyncIterator[list[SettledOrder]]:
    """Orders paid or refunded whose last change is at or after `changed_since`."""
    kinds = ", ".join("?" for _ in success_kinds)
    key: tuple[int, int] | None = None
    while True:
        after, params = _after(key, "o")
        rows = await shard.fetch_all(
            "SELECT o.user_id, o.id, o.course_id, o.amount_paise, o.state, o.updated_at,"
            " (SELECT MIN(e.created_at) FROM payment_events e WHERE e.user_id = o.user_id"
            f"  AND e.order_id = o.id AND e.kind IN ({kinds})),"
            " (SELECT MIN(r.recorded_at) FROM order_refunds r WHERE r.user_id = o.user_id"
            "  AND r.order_id = o.id)"
            " FROM payment_orders o WHERE o.state IN ('paid', 'refunded') AND o.updated_at >= ?"
            f"{after} ORDER BY o.user_id, o.id LIMIT ?",
            [*success_kinds, changed_since, *params, batch],
        )
        if not rows:
            return
        yield [_settled(row) for row in rows]
        key = (int(rows[-1][0]), int(rows[-1][1]))


async def runs_begun(
    shard: SqlEngine, since: datetime, batch: int = BATCH
) -> AsyncIterator[list[SubscriptionRun]]:
    """Subscriptions whose current run began at or after `since`."""
    key: tuple[int, int] | None = None
    while True:
        after, params = _after(key, "s")
        rows = await shard.fetch_all(
            "SELECT s.user_id, s.id, s.typing_course_id, s.enrolled_at, s.source"
            f" FROM user_typing_courses s WHERE s.enrolled_at >= ?{after}"
            " ORDER BY s.user_id, s.id LIMIT ?",
            [since, *params, batch],
        )
        if not rows:
            return
        yield [SubscriptionRun(int(row[2]), from_db_required(row[3]), str(row[4])) for row in rows]
        key = (int(rows[-1][0]), int(rows[-1][1]))


def _settled(row: tuple[object, ...]) -> SettledOrder:
    _, _, course_id, amount, state, updated_at, paid_at, refund_recorded_at = row
    refunded_at = None
    if state == "refunded":
        # A refund the provider reported without a refund record: the move was the last change.
        refunded_at = from_db(refund_recorded_at) or from_db(updated_at)  # type: ignore[arg-type]
    return SettledOrder(
        int(str(course_id)),
        int(str(amount)),
        from_db(paid_at),  # type: ignore[arg-type]
        refunded_at,
    )
