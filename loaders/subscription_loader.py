"""The signed-in user's subscriptions within one request: their cache entry, read once however
many parts of the request need it (the response cache's lookup, the listing, the entitlement
check of every lesson shown), and their subscription by course, batched into one pass over it."""

from __future__ import annotations

from aiodataloader import DataLoader

from datasources.cache.cached_subscriptions import CachedEntry, CachedSubscriptions
from records.subscriptions import Subscription


class MyEntryLoader(DataLoader[int, CachedEntry]):
    """Keyed by the user's id (the signed-in user's only)."""

    def __init__(self, subscriptions: CachedSubscriptions) -> None:
        super().__init__()
        self._subscriptions = subscriptions
        self._writes_seen = subscriptions.writes

    async def entry(self, user_id: int) -> CachedEntry:
        """The entry as this request read it, read again after a write by this process (a
        mutation of the request's own, say, before a later root field reads it)."""
        if self._subscriptions.writes != self._writes_seen:
            self._writes_seen = self._subscriptions.writes
            self.clear_all()
        return await self.load(user_id)

    async def batch_load_fn(self, user_ids: list[int]) -> list[CachedEntry]:
        return [await self._subscriptions.entry(user_id) for user_id in user_ids]


class MySubscriptionLoader(DataLoader[int, Subscription | None]):
    def __init__(self, subscriptions: CachedSubscriptions, entries: MyEntryLoader, user_id: int):
        super().__init__()
        self._subscriptions = subscriptions
        self._entries = entries
        self._user_id = user_id

    async def batch_load_fn(self, course_ids: list[int]) -> list[Subscription | None]:
        entry = await self._entries.entry(self._user_id)
        found = await self._subscriptions.to_courses_in(entry, self._user_id, course_ids)
        return [found.get(course_id) for course_id in course_ids]
