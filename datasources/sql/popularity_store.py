"""The popularity model in the catalog database: `course_activity` holds, per course and expiry
day, how many active subscriptions expire that day (domain/subscriptions/popularity.py).

Changes are applied in the caller's transaction, beside the consumer's record of the events
applied, so a redelivered event changes nothing. A rebuild replaces the model with a count
from the shards, grouped the same way.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from datetime import date

from datasources.sql import consumer_ledger
from datasources.sql.engine import Dialect, SqlEngine, SqlExecutor
from domain.subscriptions.popularity import LIFETIME, Contributions
from records.analytics import day_start
from records.subscriptions import SubscriptionStatus

_ADD = {
    Dialect.SQLITE: (
        "INSERT INTO course_activity (course_id, expires_day, subscriptions) VALUES (?, ?, ?)"
        " ON CONFLICT (course_id, expires_day)"
        " DO UPDATE SET subscriptions = subscriptions + excluded.subscriptions"
    ),
    Dialect.MYSQL: (
        "INSERT INTO course_activity (course_id, expires_day, subscriptions) VALUES (?, ?, ?)"
        " ON DUPLICATE KEY UPDATE subscriptions = subscriptions + VALUES(subscriptions)"
    ),
}
# The popularity consumer's name in consumer_marks (jobs/consumers/popularity.py takes it from
# here, which the reads of the model need too).
MODEL_CONSUMER = "popularity"
# Rows expiring before `from` can no longer count; DATE() reads both dialects' timestamps.
_SHARD_COUNT = (
    "SELECT typing_course_id, DATE(expires_at), COUNT(*) FROM user_typing_courses"
    " WHERE status = ? AND (expires_at IS NULL OR expires_at >= ?)"
    " GROUP BY typing_course_id, DATE(expires_at)"
)


def _day_param(day: date) -> str:
    return day.isoformat()


async def add(tx: SqlExecutor, dialect: Dialect, change: Contributions) -> None:
    rows = [(course_id, _day_param(day), n) for (course_id, day), n in change.items() if n]
    if rows:
        await tx.execute_many(_ADD[dialect], rows)


async def active_counts(engine: SqlEngine, today: date) -> dict[int, int]:
    """course id -> subscriptions active today (courses with none left out)."""
    rows = await engine.fetch_all_lagging(
        "SELECT course_id, SUM(subscriptions) FROM course_activity WHERE expires_day >= ?"
        " GROUP BY course_id",
        (_day_param(today),),
    )
    return {int(course_id): int(total) for course_id, total in rows if int(total) > 0}


async def active_total(engine: SqlEngine, today: date) -> int | None:
    """Subscriptions active today over every course, summed as `active_counts` counts them (a
    course drifted below zero counts as none); None until the popularity consumer has built the
    model, whose empty table would otherwise read as 0."""
    # Outside a transaction (autocommit): the mark's FOR UPDATE lasts only its statement. The
    # mark is written with the model (`replace`), so once it is there the model is too.
    if await consumer_ledger.counted_before(engine, engine.dialect, MODEL_CONSUMER) is None:
        return None
    rows = await engine.fetch_all_lagging(
        "SELECT SUM(n) FROM (SELECT SUM(subscriptions) AS n FROM course_activity"
        " WHERE expires_day >= ? GROUP BY course_id HAVING SUM(subscriptions) > 0) AS per_course",
        (_day_param(today),),
    )
    return int(rows[0][0] or 0) if rows else 0


async def expiring_on(engine: SqlEngine, day: date) -> dict[int, int]:
    """course id -> active subscriptions whose access ends on `day`."""
    rows = await engine.fetch_all_lagging(
        "SELECT course_id, subscriptions FROM course_activity WHERE expires_day = ?",
        (_day_param(day),),
    )
    return {int(course_id): int(n) for course_id, n in rows if int(n) > 0}


async def expiring_per_day(
    engine: SqlEngine, first: date, last: date, course_id: int | None, category: str | None
) -> dict[date, int]:
    """Active subscriptions ending on each day of [first, last] (days without any left out), of
    one course, one category's courses or every course."""
    where = "a.expires_day >= ? AND a.expires_day <= ?"
    params: list[object] = [_day_param(first), _day_param(last)]
    if course_id is not None:
        where += " AND a.course_id = ?"
        params.append(course_id)
    if category is not None:
        where += " AND a.course_id IN (SELECT id FROM typing_courses WHERE category = ?)"
        params.append(category)
    rows = await engine.fetch_all_lagging(
        f"SELECT a.expires_day, SUM(a.subscriptions) FROM course_activity a WHERE {where}"
        " GROUP BY a.expires_day",
        params,
    )
    return {as_date(day): int(n) for day, n in rows if int(n) > 0}


async def prune(engine: SqlEngine, before: date) -> int:
    """Forgets days before `before`: they count for no later day."""
    return await engine.execute(
        "DELETE FROM course_activity WHERE expires_day < ?", (_day_param(before),)
    )


async def count_from_shards(shards: Sequence[SqlEngine], today: date) -> Contributions:
    """The model as the shards' primaries hold it now: one GROUP BY per shard, concurrently (a
    scan of every subscription, for a rebuild, never on a schedule)."""
    start = day_start(today)
    per_shard = await asyncio.gather(
        *(
            shard.fetch_all(_SHARD_COUNT, (SubscriptionStatus.ACTIVE.value, start))
            for shard in shards
        )
    )
    model: Counter[tuple[int, date]] = Counter()
    for rows in per_shard:
        for course_id, day, count in rows:
            model[(int(course_id), as_date(day))] += int(count)
    return Contributions(model)


async def replace(tx: SqlExecutor, dialect: Dialect, model: Contributions) -> None:
    await tx.execute("DELETE FROM course_activity")
    await add(tx, dialect, model)


def as_date(value: object) -> date:
    if value is None:
        return LIFETIME
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
