"""Batches the signed-in user's subscription lookups of one request (entitlement checks of
every lesson it shows) into one read of the user's cache entry."""

from __future__ import annotations

from aiodataloader import DataLoader

from datasources.cache.cached_subscriptions import CachedSubscriptions
from records.subscriptions import Subscription


class MySubscriptionLoader(DataLoader[int, Subscription | None]):
    def __init__(self, subscriptions: CachedSubscriptions, user_id: int) -> None:
        super().__init__()
        self._subscriptions = subscriptions
        self._user_id = user_id

    async def batch_load_fn(self, course_ids: list[int]) -> list[Subscription | None]:
        found = await self._subscriptions.to_courses(self._user_id, course_ids)
        return [found.get(course_id) for course_id in course_ids]
