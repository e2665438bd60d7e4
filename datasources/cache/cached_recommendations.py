"""What requests read of the recommendation models, and where they read it from.

- The current version: kept by each process for `RECHECK_SECONDS`, shared under
  `recommendations:model` for `MODEL_TTL_SECONDS`, else read from the catalog database. A job
  that publishes a version drops the shared entry, so every process uses it within seconds
  (at most the TTL, when another process re-stored the version before it as the job
  switched). The job's own process never keeps a version older than the one it published.
- A course's neighbours: under `recommendations:{version}:course:{id}`; a version's rows never
  change, so an entry is right for as long as it lasts.
- A version's popularity lists: a few dozen small lists, kept whole by each process.
- With no model yet: the popularity model kept from events (`course_activity`), kept by each
  process for `FALLBACK_SECONDS`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime

import orjson

from datasources.cache.base import Cache
from datasources.cache.cache_aside import CachedById
from datasources.recommendation_codec import decode_course, encode_course
from datasources.sql import popularity_store
from datasources.sql.recommendation_store import RecommendationStore
from records.recommendations import CourseNeighbours, ModelVersion, Neighbours

MODEL_KEY = "recommendations:model"
MODEL_TTL_SECONDS = 60
RECHECK_SECONDS = 5.0
NEIGHBOURS_TTL_SECONDS = 2 * 86400
FALLBACK_SECONDS = 300.0
FALLBACK_KEPT = 200


class CachedRecommendations:
    def __init__(self, store: RecommendationStore, cache: Cache) -> None:
        self.store = store
        self._cache = cache
        self._current: tuple[float, ModelVersion | None] | None = None
        self._published: int | None = None  # the newest version this process published
        self._neighbours: dict[int, CachedById[CourseNeighbours]] = {}
        self._popular: dict[int, dict[str, Neighbours]] = {}
        self._fallback: tuple[float, Neighbours] | None = None

    async def current(self) -> ModelVersion | None:
        """The newest ready model; None before the first is built."""
        now = time.monotonic()
        if self._current is not None and now - self._current[0] < RECHECK_SECONDS:
            return self._current[1]
        (raw,) = await self._cache.get_many([MODEL_KEY])
        model = _decode_model(raw) if raw else None
        if model is None or self._before_published(model):
            model = await self.store.current()
            if model is not None and not self._before_published(model):
                await self._cache.set_many({MODEL_KEY: _encode_model(model)}, MODEL_TTL_SECONDS)
        # Checked after every wait: this process may have published a version meanwhile.
        if self._before_published(model):
            await self._cache.delete(MODEL_KEY)  # it may have gone in after the switch's delete
            return model
        self._current = (now, model)
        return model

    async def current_version(self) -> int | None:
        model = await self.current()
        return None if model is None else model.version

    async def switched(self, version: int) -> None:
        """`version` was published: this process never again keeps an older one, and the shared
        entry is dropped for every other process."""
        self._published = max(self._published or version, version)
        self._current = None
        await self._cache.delete(MODEL_KEY)

    def _before_published(self, model: ModelVersion | None) -> bool:
        """Read from somewhere (the shared entry, a query) older than this process's last
        publication."""
        if self._published is None:
            return False
        return model is None or model.version < self._published

    async def neighbours(
        self, model: ModelVersion, course_ids: Sequence[int]
    ) -> dict[int, CourseNeighbours]:
        cached = self._neighbours.get(model.version)
        if cached is None:
            version = model.version
            cached = CachedById(
                self._cache,
                "recommendations",
                lambda course_id: f"recommendations:{version}:course:{course_id}",
                encode_course,
                decode_course,
                NEIGHBOURS_TTL_SECONDS,
            )
            self._neighbours = {version: cached}  # a process reads one version at a time
        return await cached.get_many(
            course_ids, lambda ids: self.store.neighbours(model.version, ids)
        )

    async def popular(self, model: ModelVersion) -> dict[str, Neighbours]:
        """Every popularity list of the version, by scope key."""
        lists = self._popular.get(model.version)
        if lists is None:
            lists = await self.store.popular(model.version)
            self._popular = {model.version: lists}
        return lists

    async def fallback_popular(self) -> Neighbours:
        """The most subscribed courses now, from the popularity kept from events: what is
        recommended before any model exists."""
        now = time.monotonic()
        if self._fallback is not None and now - self._fallback[0] < FALLBACK_SECONDS:
            return self._fallback[1]
        counts = await popularity_store.active_counts(self.store.engine, datetime.now(UTC).date())
        best = sorted(counts, key=lambda c: (-counts[c], c))[:FALLBACK_KEPT]
        total = sum(counts.values()) or 1
        popular = Neighbours(tuple(best), tuple(round(counts[c] / total, 6) for c in best))
        self._fallback = (now, popular)
        return popular


def _encode_model(model: ModelVersion) -> bytes:
    return orjson.dumps(
        [
            model.version,
            model.built_at.isoformat(),
            model.subscriptions,
            model.users,
            model.blend_weight,
        ]
    )


def _decode_model(raw: bytes) -> ModelVersion:
    version, built_at, subscriptions, users, weight = orjson.loads(raw)
    return ModelVersion(
        int(version),
        datetime.fromisoformat(built_at),
        int(subscriptions),
        int(users),
        float(weight),
    )
