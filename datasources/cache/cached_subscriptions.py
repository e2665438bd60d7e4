"""Cache-aside for one user's subscriptions under `user:{id}:subscriptions`.

The entry holds the newest rows of the user (nearly every user has a handful); pages
beyond it go to the shard. Course data is not embedded, so catalog changes never make
it stale; only writes to the user's rows invalidate it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from datasources.cache.base import Cache
from datasources.cache.codec import decode_subscriptions, encode_subscriptions
from datasources.cache.metrics import record_lookups
from datasources.cache.single_flight import SingleFlight
from datasources.sql.subscription_store import ShardedSubscriptionStore
from records.subscriptions import NewSubscription, Subscription, SubscriptionKey

SUBSCRIPTIONS_TTL_SECONDS = 900
CACHED_ROWS_PER_USER = 200
DECODED_ENTRIES_KEPT = 20_000


@dataclass(frozen=True, slots=True)
class CachedEntry:
    """A user's cache entry as stored (the bytes identify the state) and decoded."""

    raw: bytes
    rows: list[Subscription]


def subscriptions_key(user_id: int) -> str:
    return f"user:{user_id}:subscriptions"


def _after(rows: list[Subscription], before: SubscriptionKey | None) -> list[Subscription]:
    if before is None:
        return rows
    return [r for r in rows if (r.enrolled_at, r.id) < (before.enrolled_at, before.id)]


class CachedSubscriptions:
    def __init__(self, store: ShardedSubscriptionStore, cache: Cache) -> None:
        self.store = store
        self._cache = cache
        self._flight: SingleFlight[int, list[Subscription]] = SingleFlight()
        # Decoded rows by the entry bytes they came from: equal bytes, equal rows, so a
        # change by any worker (new bytes) can never be answered from here.
        self._decoded: dict[bytes, list[Subscription]] = {}

    async def list_for_user(
        self, user_id: int, before: SubscriptionKey | None, limit: int
    ) -> list[Subscription]:
        newest = await self._newest_rows(user_id)
        window = _after(newest, before)
        complete = len(newest) < CACHED_ROWS_PER_USER
        if len(window) >= limit or complete:
            return window[:limit]
        return await self.store.list_for_user(user_id, before, limit)

    async def _newest_rows(self, user_id: int) -> list[Subscription]:
        (raw,) = await self._cache.get_many([subscriptions_key(user_id)])
        record_lookups("user_subscriptions", int(raw is not None), int(raw is None))
        if raw is not None:
            return self._decode(raw)
        loaded = await self._flight.load_many([user_id], self._load)
        return loaded[user_id]

    async def complete_entry(self, user_id: int) -> CachedEntry | None:
        """The user's cached entry if it holds all their rows; None if absent or partial."""
        (raw,) = await self._cache.get_many([subscriptions_key(user_id)])
        if raw is None:
            return None
        rows = self._decode(raw)
        return CachedEntry(raw, rows) if len(rows) < CACHED_ROWS_PER_USER else None

    def _decode(self, raw: bytes) -> list[Subscription]:
        rows = self._decoded.get(raw)
        if rows is None:
            rows = decode_subscriptions(raw)
            if len(self._decoded) >= DECODED_ENTRIES_KEPT:
                del self._decoded[next(iter(self._decoded))]
            self._decoded[raw] = rows
        return rows

    async def _load(self, user_ids: list[int]) -> dict[int, list[Subscription]]:
        (user_id,) = user_ids
        rows = await self.store.list_for_user(user_id, None, CACHED_ROWS_PER_USER)
        await self._cache.set_many(
            {subscriptions_key(user_id): encode_subscriptions(rows)}, SUBSCRIPTIONS_TTL_SECONDS
        )
        return {user_id: rows}

    async def to_courses(self, user_id: int, course_ids: Sequence[int]) -> dict[int, Subscription]:
        """The user's subscription to each of the courses that has one, from the user's cache
        entry when it holds all their rows (what entitlement checks read on every request)."""
        newest = await self._newest_rows(user_id)
        wanted = set(course_ids)
        found = {s.course_id: s for s in newest if s.course_id in wanted}
        if len(newest) >= CACHED_ROWS_PER_USER:
            for course_id in wanted - found.keys():
                subscription = await self.store.get(user_id, course_id)
                if subscription is not None:
                    found[course_id] = subscription
        return found

    async def get(self, user_id: int, course_id: int) -> Subscription | None:
        return await self.store.get(user_id, course_id)

    async def enroll_unless_active(
        self, enrolment: NewSubscription, now: datetime
    ) -> Subscription | None:
        subscription = await self.store.enroll_unless_active(enrolment, now)
        await self.invalidate([enrolment.user_id])
        return subscription

    async def cancel(self, user_id: int, course_id: int, now: datetime) -> Subscription | None:
        subscription = await self.store.cancel(user_id, course_id, now)
        await self.invalidate([user_id])
        return subscription

    async def invalidate(self, user_ids: Sequence[int]) -> None:
        await self._cache.delete(*(subscriptions_key(u) for u in user_ids))
