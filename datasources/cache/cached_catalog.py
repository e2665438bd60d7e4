"""Cache-aside in front of the catalog store, behind each process's catalog snapshot.

Details live under `course:{id}:details`, read for the ids a snapshot does not hold yet. The
catalog generation moves on after every catalog change (and content change), retiring what
the response caches built before it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from datasources.cache.base import Cache
from datasources.cache.cache_aside import CachedById
from datasources.cache.codec import decode_course, encode_course
from datasources.sql.catalog_store import SqlCatalogStore
from records.catalog import Course, CourseDraft

DETAILS_TTL_SECONDS = 3600
_GENERATION_KEY = "catalog:generation"


def details_key(course_id: int) -> str:
    return f"course:{course_id}:details"


class CachedCatalog:
    def __init__(self, store: SqlCatalogStore, cache: Cache) -> None:
        self.store = store
        self._cache = cache
        self._details: CachedById[Course] = CachedById(
            cache, "course_details", details_key, encode_course, decode_course, DETAILS_TTL_SECONDS
        )

    async def get_courses(self, ids: Sequence[int]) -> dict[int, Course]:
        return await self._details.get_many(ids, self.store.get_courses)

    async def get_course_by_slug(self, slug: str) -> Course | None:
        # Rare next to lookups by id, and a slug-to-id cache would need its own invalidation.
        return await self.store.get_course_by_slug(slug)

    async def create_course(self, draft: CourseDraft, now: datetime) -> Course:
        course = await self.store.create_course(draft, now)
        await self.invalidate([course.id])
        return course

    async def update_course(
        self, course_id: int, changes: Mapping[str, object], now: datetime
    ) -> Course | None:
        course = await self.store.update_course(course_id, changes, now)
        await self.invalidate([course_id])
        return course

    async def generation(self) -> int:
        """Moves on after every catalog change; whatever was built from an older one is stale."""
        return await self._cache.get_counter(_GENERATION_KEY)

    async def invalidate(self, course_ids: Sequence[int]) -> None:
        """After a committed catalog change: drop details, move the generation on."""
        await self._details.forget(course_ids)
        await self._cache.incr(_GENERATION_KEY)
