"""Batches every course lookup of one request into one catalog read."""

from __future__ import annotations

from aiodataloader import DataLoader

from datasources.cache.catalog_snapshot import CatalogSnapshot
from records.catalog import Course


class CourseLoader(DataLoader[int, Course | None]):
    def __init__(self, catalog: CatalogSnapshot) -> None:
        super().__init__()
        self._catalog = catalog

    def held(self, course_id: int) -> Course | None:
        """The course at once when the process's catalog snapshot holds it (nearly always);
        None: `load` it."""
        return self._catalog.held_now(course_id)

    async def batch_load_fn(self, course_ids: list[int]) -> list[Course | None]:
        found = await self._catalog.get_courses(course_ids)
        return [found.get(course_id) for course_id in course_ids]
