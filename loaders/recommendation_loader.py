"""Batches one request's course-neighbour lookups (`similar` on every course of a page, a
user's courses for their recommendations) into one read, all of one model version: the first
lookup fixes the version for the whole request, so a switch mid-request mixes nothing."""

from __future__ import annotations

import asyncio

from aiodataloader import DataLoader

from datasources.cache.cached_recommendations import CachedRecommendations
from records.recommendations import CourseNeighbours, ModelVersion


class NeighbourLoader(DataLoader[int, CourseNeighbours | None]):
    def __init__(self, recommendations: CachedRecommendations) -> None:
        super().__init__()
        self._recommendations = recommendations
        self._model: asyncio.Future[ModelVersion | None] | None = None

    async def model(self) -> ModelVersion | None:
        """The model this request reads; None when none is built yet. Fields asking at once
        share one lookup, so they cannot see two versions."""
        if self._model is None:
            self._model = asyncio.ensure_future(self._recommendations.current())
        return await asyncio.shield(self._model)

    async def batch_load_fn(self, course_ids: list[int]) -> list[CourseNeighbours | None]:
        model = await self.model()
        if model is None:
            return [None] * len(course_ids)
        found = await self._recommendations.neighbours(model, course_ids)
        return [found.get(course_id) for course_id in course_ids]
