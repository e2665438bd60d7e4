"""One batch of a lifecycle job on one shard, in one short transaction.

The job's cursor on the shard (`lifecycle_job_progress`) is locked, read and advanced in the
same transaction that changes the rows, so a batch is applied exactly once: a runner that dies
before the commit changed nothing, one that dies after it resumes past it. Two runners on the
same job wait for each other on the cursor row instead of applying a batch twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from datasources.ids import IdGenerator
from datasources.sql import event_outbox
from datasources.sql.engine import SqlEngine, SqlExecutor
from datasources.sql.shard_router import refuse_while_buckets_move
from datasources.sql.subscription_store import COLUMNS, subscription_from_row
from domain.subscriptions.expiry import validity_expiry
from records.events import Event, EventKind
from records.subscriptions import Access, Subscription, SubscriptionStatus

_INSERT = (
    "INSERT INTO user_typing_courses (id, user_id, typing_course_id, enrolled_at, expires_at,"
    " status, source, updated_at, kept_days) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@dataclass(frozen=True, slots=True)
class ShardCursor:
    """A job's position on one shard: the last key handled (subscription id, or user id for
    grants) and running counts."""

    last_key: int = 0
    processed: int = 0
    changed: int = 0
    finished: bool = False


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    cursor: ShardCursor
    changed_users: tuple[int, ...]


# What a grant gives one user, from their current row (None: leave the row as it is).
Renew = Callable[[Subscription | None], Access | None]


async def count_course_rows(shard: SqlEngine, course_id: int) -> int:
    row = await shard.fetch_one(
        "SELECT COUNT(*) FROM user_typing_courses WHERE typing_course_id = ?", (course_id,)
    )
    return 0 if row is None else int(row[0])


async def read_cursor(shard: SqlEngine, job_id: int) -> ShardCursor:
    row = await shard.fetch_one(
        "SELECT last_key, processed, changed, finished FROM lifecycle_job_progress"
        " WHERE job_id = ?",
        (job_id,),
    )
    return _cursor(row) if row is not None else ShardCursor()


def _cursor(row: Sequence[object]) -> ShardCursor:
    last_key, processed, changed, finished = row
    return ShardCursor(int(str(last_key)), int(str(processed)), int(str(changed)), bool(finished))


async def _locked_cursor(
    tx: SqlExecutor, shard: SqlEngine, job_id: int, now: datetime
) -> ShardCursor:
    """The job's cursor row, locked until `tx` ends; created on the first batch (a runner
    that creates it concurrently makes this batch fail with a conflict, and retry)."""
    await refuse_while_buckets_move(tx, shard)
    row = await tx.fetch_one(
        "SELECT last_key, processed, changed, finished FROM lifecycle_job_progress"
        f" WHERE job_id = ?{shard.dialect.for_update}",
        (job_id,),
    )
    if row is not None:
        return _cursor(row)
    await tx.execute(
        "INSERT INTO lifecycle_job_progress"
        " (job_id, last_key, processed, changed, finished, updated_at) VALUES (?, 0, 0, 0, 0, ?)",
        (job_id, now),
    )
    return ShardCursor()


async def _advance(
    tx: SqlExecutor,
    job_id: int,
    before: ShardCursor,
    last_key: int,
    scanned: int,
    changed: int,
    finished: bool,
    now: datetime,
) -> ShardCursor:
    after = ShardCursor(
        last_key, before.processed + scanned, before.changed + changed, finished or before.finished
    )
    await tx.execute(
        "UPDATE lifecycle_job_progress SET last_key = ?, processed = ?, changed = ?,"
        " finished = ?, updated_at = ? WHERE job_id = ?",
        (after.last_key, after.processed, after.changed, int(after.finished), now, job_id),
    )
    return after


async def _next_course_rows(
    tx: SqlExecutor, shard: SqlEngine, course_id: int, after_id: int, limit: int
) -> list[Subscription]:
    rows = await tx.fetch_all(
        f"SELECT {COLUMNS} FROM user_typing_courses WHERE typing_course_id = ? AND id > ?"
        f" ORDER BY id LIMIT ?{shard.dialect.for_update}",
        (course_id, after_id, limit),
    )
    return [subscription_from_row(row) for row in rows]


async def _set_expiry(tx: SqlExecutor, changes: dict[Subscription, Access], now: datetime) -> None:
    """One UPDATE for the whole batch: a CASE picks each row's new expiry and kept days."""
    if not changes:
        return
    cases = " ".join("WHEN ? THEN ?" for _ in changes)
    expiry_params: list[object] = []
    kept_params: list[object] = []
    for row, access in changes.items():
        expiry_params += [row.id, access.expires_at]
        kept_params += [row.id, access.kept_days]
    users = sorted({row.user_id for row in changes})
    ids = [row.id for row in changes]
    await tx.execute(
        f"UPDATE user_typing_courses SET expires_at = CASE id {cases} END,"
        f" kept_days = CASE id {cases} END, updated_at = ?"
        f" WHERE user_id IN ({', '.join('?' * len(users))})"
        f" AND id IN ({', '.join('?' * len(ids))})",
        (*expiry_params, *kept_params, now, *users, *ids),
    )


async def _course_batch(
    shard: SqlEngine,
    ids: IdGenerator,
    job_id: int,
    course_id: int,
    now: datetime,
    limit: int,
    access_of: Callable[[Subscription], Access],
    kind: EventKind,
) -> BatchOutcome:
    """Next `limit` rows of the course after the cursor: active-status rows whose access_of
    differs from what they hold get it, each with a `kind` event; the cursor moves past every
    row looked at."""
    async with shard.transaction() as tx:
        cursor = await _locked_cursor(tx, shard, job_id, now)
        if cursor.finished:
            return BatchOutcome(cursor, ())
        rows = await _next_course_rows(tx, shard, course_id, cursor.last_key, limit)
        active = [row for row in rows if row.status is SubscriptionStatus.ACTIVE]
        new_expiry = {row: access_of(row) for row in active}
        new_expiry = {
            row: access
            for row, access in new_expiry.items()
            if (access.expires_at, access.kept_days) != (row.expires_at, row.kept_days)
        }
        await _set_expiry(tx, new_expiry, now)
        await event_outbox.append(
            tx,
            [
                event_outbox.subscription_event(
                    ids,
                    kind,
                    replace(row, expires_at=access.expires_at, kept_days=access.kept_days),
                    row,
                    now,
                )
                for row, access in new_expiry.items()
            ],
        )
        last_key = rows[-1].id if rows else cursor.last_key
        after = await _advance(
            tx, job_id, cursor, last_key, len(rows), len(new_expiry), len(rows) < limit, now
        )
        return BatchOutcome(after, tuple(sorted({row.user_id for row in new_expiry})))


async def recompute_validity_batch(
    shard: SqlEngine,
    ids: IdGenerator,
    job_id: int,
    course_id: int,
    validity_days: int | None,
    now: datetime,
    limit: int,
) -> BatchOutcome:
    """Re-derives the expiry of the course's active-status rows under its new validity,
    keeping each row's renewal and extension days (domain/subscriptions/expiry.py)."""

    def access_of(row: Subscription) -> Access:
        expires_at = validity_expiry(row.enrolled_at, validity_days, row.kept_days)
        return Access(row.enrolled_at, expires_at, row.kept_days)

    return await _course_batch(
        shard, ids, job_id, course_id, now, limit, access_of, EventKind.SUBSCRIPTION_REVALIDATED
    )


async def extend_batch(
    shard: SqlEngine,
    ids: IdGenerator,
    job_id: int,
    course_id: int,
    days: int,
    now: datetime,
    limit: int,
) -> BatchOutcome:
    """Adds `days` to every subscription of the course active at `now` (lifetime stays), as
    extension days a later validity change keeps."""

    def access_of(row: Subscription) -> Access:
        if not row.is_active_at(now) or row.expires_at is None:
            return Access(row.enrolled_at, row.expires_at, row.kept_days)
        return Access(row.enrolled_at, row.expires_at + timedelta(days=days), row.kept_days + days)

    return await _course_batch(
        shard, ids, job_id, course_id, now, limit, access_of, EventKind.SUBSCRIPTION_EXTENDED
    )


async def grant_batch(
    shard: SqlEngine,
    ids: IdGenerator,
    job_id: int,
    course_id: int,
    user_ids: Sequence[int],
    renew: Renew,
    source: str,
    now: datetime,
    limit: int,
) -> BatchOutcome:
    """Creates or renews the subscription of the next `limit` users (ascending id) after the
    cursor; `renew` says what each user gets (None: leave the row as it is)."""
    async with shard.transaction() as tx:
        cursor = await _locked_cursor(tx, shard, job_id, now)
        if cursor.finished:
            return BatchOutcome(cursor, ())
        pending = sorted(u for u in set(user_ids) if u > cursor.last_key)
        users = pending[:limit]
        current: dict[int, Subscription] = {}
        if users:
            rows = await tx.fetch_all(
                f"SELECT {COLUMNS} FROM user_typing_courses WHERE typing_course_id = ?"
                f" AND user_id IN ({', '.join('?' * len(users))}){shard.dialect.for_update}",
                (course_id, *users),
            )
            current = {s.user_id: s for s in map(subscription_from_row, rows)}
        inserts: list[tuple[object, ...]] = []
        changed: list[int] = []
        events: list[Event] = []
        active = SubscriptionStatus.ACTIVE.value
        for user_id in users:
            existing = current.get(user_id)
            renewal = renew(existing)
            if renewal is None:
                continue
            changed.append(user_id)
            granted = Subscription(
                id=ids.next_id() if existing is None else existing.id,
                user_id=user_id,
                course_id=course_id,
                enrolled_at=renewal.enrolled_at,
                expires_at=renewal.expires_at,
                status=SubscriptionStatus.ACTIVE,
                source=source,
                updated_at=now,
                kept_days=renewal.kept_days,
            )
            running = existing is not None and existing.is_active_at(now)
            kind = EventKind.SUBSCRIPTION_RENEWED if running else EventKind.SUBSCRIPTION_GRANTED
            events.append(event_outbox.subscription_event(ids, kind, granted, existing, now))
            if existing is None:
                inserts.append(
                    (
                        granted.id,
                        user_id,
                        course_id,
                        renewal.enrolled_at,
                        renewal.expires_at,
                        active,
                        source,
                        now,
                        renewal.kept_days,
                    )
                )
                continue
            await tx.execute(
                "UPDATE user_typing_courses SET enrolled_at = ?, expires_at = ?, kept_days = ?,"
                " status = ?, source = ?, updated_at = ? WHERE user_id = ? AND id = ?",
                (
                    renewal.enrolled_at,
                    renewal.expires_at,
                    renewal.kept_days,
                    active,
                    source,
                    now,
                    user_id,
                    existing.id,
                ),
            )
        if inserts:
            await tx.execute_many(_INSERT, inserts)
        await event_outbox.append(tx, events)
        last_key = users[-1] if users else cursor.last_key
        finished = len(pending) <= limit
        after = await _advance(
            tx, job_id, cursor, last_key, len(users), len(changed), finished, now
        )
        return BatchOutcome(after, tuple(changed))
