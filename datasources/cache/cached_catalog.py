"""Cache-aside in front of the catalog store.

Details live under `course:{id}:details`. Lists and category counts live under keys that
carry the catalog generation, so one increment after any catalog write retires them all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime

from datasources.cache.base import Cache
from datasources.cache.cache_aside import CachedById
from datasources.cache.codec import (
    decode_category_counts,
    decode_course,
    decode_courses,
    encode_category_counts,
    encode_course,
    encode_courses,
)
from datasources.cache.metrics import record_lookups
from datasources.cache.single_flight import SingleFlight
from datasources.sql.catalog_store import SqlCatalogStore
from records.catalog import CategoryCount, Course, CourseDraft, CourseFilter

DETAILS_TTL_SECONDS = 3600
LIST_TTL_SECONDS = 3600
_GENERATION_KEY = "catalog:generation"

_BytesLoader = Callable[[list[str]], Awaitable[dict[str, bytes]]]


def details_key(course_id: int) -> str:
    return f"course:{course_id}:details"


class CachedCatalog:
    def __init__(self, store: SqlCatalogStore, cache: Cache) -> None:
        self.store = store
        self._cache = cache
        self._details: CachedById[Course] = CachedById(
            cache, "course_details", details_key, encode_course, decode_course, DETAILS_TTL_SECONDS
        )
        self._list_flight: SingleFlight[str, bytes] = SingleFlight()

    async def get_courses(self, ids: Sequence[int]) -> dict[int, Course]:
        return await self._details.get_many(ids, self.store.get_courses)

    async def get_course_by_slug(self, slug: str) -> Course | None:
        # Rare next to lookups by id, and a slug-to-id cache would need its own invalidation.
        return await self.store.get_course_by_slug(slug)

    async def list_courses(
        self, course_filter: CourseFilter, after_id: int | None, limit: int
    ) -> list[Course]:
        generation = await self._cache.get_counter(_GENERATION_KEY)
        key = (
            f"catalog:g{generation}:list:{course_filter.category}:{course_filter.difficulty}:"
            f"{course_filter.language}:{int(course_filter.active_only)}:{after_id}:{limit}"
        )

        async def load(keys: list[str]) -> dict[str, bytes]:
            raw = encode_courses(await self.store.list_courses(course_filter, after_id, limit))
            await self._cache.set_many({key: raw}, LIST_TTL_SECONDS)
            return {key: raw}

        return decode_courses(await self._cached_bytes("catalog_list", key, load))

    async def category_counts(self) -> list[CategoryCount]:
        generation = await self._cache.get_counter(_GENERATION_KEY)
        key = f"catalog:g{generation}:categories"

        async def load(keys: list[str]) -> dict[str, bytes]:
            raw = encode_category_counts(await self.store.category_counts())
            await self._cache.set_many({key: raw}, LIST_TTL_SECONDS)
            return {key: raw}

        return decode_category_counts(await self._cached_bytes("categories", key, load))

    async def _cached_bytes(self, keyspace: str, key: str, load: _BytesLoader) -> bytes:
        (raw,) = await self._cache.get_many([key])
        record_lookups(keyspace, int(raw is not None), int(raw is None))
        if raw is None:
            raw = (await self._list_flight.load_many([key], load))[key]
        return raw

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
        """After a committed catalog change: drop details, retire every list."""
        await self._details.forget(course_ids)
        await self._cache.incr(_GENERATION_KEY)
