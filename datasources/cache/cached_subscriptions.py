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
    """A user's cache entry as stored (the bytes identify the state) and decoded: their newest
    CACHED_ROWS_PER_USER rows."""

    raw: bytes
    rows: list[Subscription]

    @property
    def complete(self) -> bool:
        """It holds all the user's rows."""
        return len(self.rows) < CACHED_ROWS_PER_USER


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
        self._flight: SingleFlight[int, CachedEntry] = SingleFlight()
        # Decoded rows by the entry bytes they came from: equal bytes, equal rows, so a
        # change by any worker (new bytes) can never be answered from here.
        self._decoded: dict[bytes, list[Subscription]] = {}
        # Moves on with every write this process makes to anyone's rows, so that a request
        # holding an entry it read before one of its own writes reads it again (MyEntryLoader).
        self.writes = 0

    async def list_in(
        self, entry: CachedEntry, user_id: int, before: SubscriptionKey | None, limit: int
    ) -> list[Subscription]:
        """The user's rows older than `before`, newest first, from their entry as already read
        (`entry`), or from their shard past what the entry holds."""
        window = _after(entry.rows, before)
        if len(window) >= limit or entry.complete:
            return window[:limit]
        return await self.store.list_for_user(user_id, before, limit)

    async def entry(self, user_id: int) -> CachedEntry:
        """The user's entry: from the cache, or read from their shard and stored there."""
        (raw,) = await self._cache.get_many([subscriptions_key(user_id)])
        record_lookups("user_subscriptions", int(raw is not None), int(raw is None))
        if raw is not None:
            return CachedEntry(raw, self._decode(raw))
        loaded = await self._flight.load_many([user_id], self._load)
        return loaded[user_id]

    def _decode(self, raw: bytes) -> list[Subscription]:
        rows = self._decoded.get(raw)
        if rows is None:
            rows = decode_subscriptions(raw)
            if len(self._decoded) >= DECODED_ENTRIES_KEPT:
                del self._decoded[next(iter(self._decoded))]
            self._decoded[raw] = rows
        return rows

    async def _load(self, user_ids: list[int]) -> dict[int, CachedEntry]:
        (user_id,) = user_ids
        rows = await self.store.list_for_user(user_id, None, CACHED_ROWS_PER_USER)
        raw = encode_subscriptions(rows)
        await self._cache.set_many({subscriptions_key(user_id): raw}, SUBSCRIPTIONS_TTL_SECONDS)
        return {user_id: CachedEntry(raw, rows)}

    async def to_courses_in(
        self, entry: CachedEntry, user_id: int, course_ids: Sequence[int]
    ) -> dict[int, Subscription]:
        """The user's subscription to each of the courses that has one, from the user's cache
        entry when it holds all their rows (what entitlement checks read on every request)."""
        wanted = set(course_ids)
        found = {s.course_id: s for s in entry.rows if s.course_id in wanted}
        if not entry.complete:
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
        self.writes += 1
        await self._cache.delete(*(subscriptions_key(u) for u in user_ids))
