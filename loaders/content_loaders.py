"""Batches a request's content reads: outlines by course, lessons (with their exercises) by id."""

from __future__ import annotations

from aiodataloader import DataLoader

from datasources.cache.cached_content import CachedContent
from records.content import Lesson, LessonContent


class OutlineLoader(DataLoader[int, list[Lesson]]):
    def __init__(self, content: CachedContent) -> None:
        super().__init__()
        self._content = content

    async def batch_load_fn(self, course_ids: list[int]) -> list[list[Lesson]]:
        found = await self._content.outlines(course_ids)
        return [found.get(course_id, []) for course_id in course_ids]


class LessonLoader(DataLoader[int, LessonContent | None]):
    def __init__(self, content: CachedContent) -> None:
        super().__init__()
        self._content = content

    async def batch_load_fn(self, lesson_ids: list[int]) -> list[LessonContent | None]:
        found = await self._content.lesson_contents(lesson_ids)
        return [found.get(lesson_id) for lesson_id in lesson_ids]
