"""`user_typing_courses` across shards: one user's rows live on the shard the bucket map names."""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from datasources.ids import IdGenerator
from datasources.sharding import BucketMap
from datasources.sql import event_outbox
from datasources.sql.engine import Dialect, Row, SqlEngine, SqlExecutor, retry_on_conflict
from datasources.sql.packed_rows import fetch_page
from datasources.sql.shard_router import ShardRouter
from datasources.sql.timestamps import from_db, from_db_required, to_db
from records.events import EventKind
from records.subscriptions import (
    ExpiryKey,
    NewSubscription,
    Subscription,
    SubscriptionKey,
    SubscriptionStatus,
)

COLUMNS = (
    "id, user_id, typing_course_id, enrolled_at, expires_at, status, source, updated_at, kept_days"
)
_INSERT = (
    "INSERT INTO user_typing_courses (id, user_id, typing_course_id, enrolled_at, expires_at,"
    " status, source, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_HEAD = _INSERT.partition(" VALUES ")[0] + " VALUES "
_LITERAL_SOURCE = re.compile(r"[A-Za-z0-9_:.-]{1,64}")


def _time_literal(value: datetime | None) -> str:
    """Naive UTC with microseconds, the text both dialects read (and SQLite stores)."""
    if value is None:
        return "NULL"
    return "'" + to_db(value).isoformat(" ", "microseconds") + "'"


def subscription_from_row(row: Row) -> Subscription:
    return Subscription(
        id=int(row[0]),
        user_id=int(row[1]),
        course_id=int(row[2]),
        enrolled_at=from_db_required(row[3]),
        expires_at=from_db(row[4]),
        status=SubscriptionStatus(row[5]),
        source=row[6],
        updated_at=from_db_required(row[7]),
        kept_days=int(row[8]),
    )


class ShardedSubscriptionStore:
    def __init__(self, router: ShardRouter, ids: IdGenerator):
        self.router = router
        self.shards = router.shards
        self._ids = ids

    @property
    def bucket_map(self) -> BucketMap:
        return self.router.bucket_map

    def shard_for(self, user_id: int) -> SqlEngine:
        return self.router.shard_for(user_id)

    async def list_for_user(
        self, user_id: int, before: SubscriptionKey | None, limit: int
    ) -> list[Subscription]:
        keyset, params = "", [user_id]
        if before is not None:
            keyset = " AND (enrolled_at < ? OR (enrolled_at = ? AND id < ?))"
            params += [before.enrolled_at, before.enrolled_at, before.id]  # type: ignore[list-item]
        rows = await fetch_page(
            self.shard_for(user_id),
            COLUMNS,
            f"user_typing_courses WHERE user_id = ?{keyset}",
            "enrolled_at DESC, id DESC",
            params,
            limit,
        )
        return [subscription_from_row(row) for row in rows]

    async def list_expiring(
        self, user_id: int, now: datetime, until: datetime, after: ExpiryKey | None, limit: int
    ) -> list[Subscription]:
        """Active subscriptions with now < expires_at <= until, soonest first, after `after`."""
        keyset, params = "", [user_id, SubscriptionStatus.ACTIVE.value, now, until]
        if after is not None:
            keyset = " AND (expires_at > ? OR (expires_at = ? AND id > ?))"
            params += [after.expires_at, after.expires_at, after.id]
        rows = await fetch_page(
            self.shard_for(user_id),
            COLUMNS,
            "user_typing_courses WHERE user_id = ? AND status = ?"
            f" AND expires_at > ? AND expires_at <= ?{keyset}",
            "expires_at, id",
            params,
            limit,
        )
        return [subscription_from_row(row) for row in rows]

    async def get(self, user_id: int, course_id: int) -> Subscription | None:
        row = await self.shard_for(user_id).fetch_one(
            f"SELECT {COLUMNS} FROM user_typing_courses WHERE user_id = ? AND typing_course_id = ?",
            (user_id, course_id),
        )
        return None if row is None else subscription_from_row(row)

    async def enroll_unless_active(
        self, enrolment: NewSubscription, now: datetime
    ) -> Subscription | None:
        return await retry_on_conflict(lambda: self._enroll_once(enrolment, now))

    async def _enroll_once(self, enrolment: NewSubscription, now: datetime) -> Subscription | None:
        async with self.router.writing(enrolment.user_id) as (engine, tx):
            current = await self._locked(tx, engine, enrolment.user_id, enrolment.course_id)
            if current is not None and current.is_active_at(now):
                return None
            if current is None:
                await tx.execute(
                    _INSERT,
                    (
                        self._ids.next_id(),
                        enrolment.user_id,
                        enrolment.course_id,
                        enrolment.enrolled_at,
                        enrolment.expires_at,
                        SubscriptionStatus.ACTIVE.value,
                        enrolment.source,
                        now,
                    ),
                )
            else:
                await tx.execute(
                    "UPDATE user_typing_courses SET enrolled_at = ?, expires_at = ?, status = ?,"
                    " source = ?, updated_at = ?, kept_days = 0 WHERE user_id = ? AND id = ?",
                    (
                        enrolment.enrolled_at,
                        enrolment.expires_at,
                        SubscriptionStatus.ACTIVE.value,
                        enrolment.source,
                        now,
                        enrolment.user_id,
                        current.id,
                    ),
                )
            return await self._recorded(
                tx,
                engine,
                EventKind.SUBSCRIPTION_ENROLLED,
                current,
                enrolment.user_id,
                enrolment.course_id,
                now,
            )

    async def cancel(self, user_id: int, course_id: int, now: datetime) -> Subscription | None:
        async with self.router.writing(user_id) as (engine, tx):
            current = await self._locked(tx, engine, user_id, course_id)
            if current is None or not current.is_active_at(now):
                return None
            await tx.execute(
                "UPDATE user_typing_courses SET status = ?, expires_at = ?, updated_at = ?"
                " WHERE user_id = ? AND id = ?",
                (SubscriptionStatus.CANCELLED.value, now, now, user_id, current.id),
            )
            return await self._recorded(
                tx, engine, EventKind.SUBSCRIPTION_CANCELLED, current, user_id, course_id, now
            )

    async def bulk_insert(self, enrolments: Sequence[NewSubscription]) -> int:
        """Seeding path: rows grouped by shard, shards written concurrently."""
        by_shard: dict[int, list[tuple[object, ...]]] = defaultdict(list)
        for e in enrolments:
            by_shard[self.bucket_map.shard_for(e.user_id)].append(
                (
                    self._ids.next_id(),
                    e.user_id,
                    e.course_id,
                    e.enrolled_at,
                    e.expires_at,
                    SubscriptionStatus.ACTIVE.value,
                    e.source,
                    e.enrolled_at,
                )
            )
        counts = await asyncio.gather(
            *(self.shards[shard].execute_many(_INSERT, rows) for shard, rows in by_shard.items())
        )
        return sum(counts)

    async def bulk_insert_as_text(self, enrolments: Sequence[NewSubscription]) -> int:
        """Seeding path for millions of rows: one multi-row INSERT per shard whose values
        are formatted here, not escaped one by one by the driver. Only ints, timestamps
        and a checked `source` token reach the SQL text."""
        by_shard: dict[int, list[str]] = defaultdict(list)
        shard_of_user: dict[int, int] = {}
        sources: dict[str, str] = {}
        active = SubscriptionStatus.ACTIVE.value
        for e in enrolments:
            shard = shard_of_user.get(e.user_id)
            if shard is None:
                shard = shard_of_user[e.user_id] = self.bucket_map.shard_for(int(e.user_id))
            source = sources.get(e.source)
            if source is None:
                if not _LITERAL_SOURCE.fullmatch(e.source):
                    raise ValueError(f"not a plain source token: {e.source!r}")
                source = sources[e.source] = f"'{active}','{e.source}'"
            enrolled = _time_literal(e.enrolled_at)
            by_shard[shard].append(
                f"({int(self._ids.next_id())},{int(e.user_id)},{int(e.course_id)},{enrolled},"
                f"{_time_literal(e.expires_at)},{source},{enrolled})"
            )
        counts = await asyncio.gather(
            *(
                self.shards[shard].execute(_INSERT_HEAD + ",".join(values))
                for shard, values in by_shard.items()
            )
        )
        return sum(counts)

    async def _recorded(
        self,
        tx: SqlExecutor,
        engine: SqlEngine,
        kind: EventKind,
        before: Subscription | None,
        user_id: int,
        course_id: int,
        now: datetime,
    ) -> Subscription:
        """The row as the change left it, with the change's event in the same transaction."""
        after = await self._locked(tx, engine, user_id, course_id)
        if after is None:
            raise RuntimeError(f"user {user_id}'s subscription to {course_id} vanished")
        event = event_outbox.subscription_event(self._ids, kind, after, before, now)
        await event_outbox.append(tx, [event])
        return after

    @staticmethod
    async def _locked(
        tx: SqlExecutor, engine: SqlEngine, user_id: int, course_id: int
    ) -> Subscription | None:
        return await locked_subscription(tx, engine.dialect, user_id, course_id)


async def locked_subscription(
    tx: SqlExecutor, dialect: Dialect, user_id: int, course_id: int
) -> Subscription | None:
    """The user's row for the course, locked until `tx` ends."""
    row = await tx.fetch_one(
        f"SELECT {COLUMNS} FROM user_typing_courses WHERE user_id = ? AND typing_course_id = ?"
        f"{dialect.for_update}",
        (user_id, course_id),
    )
    return None if row is None else subscription_from_row(row)
