"""Cache-aside in front of the content store: outlines under `course:{id}:lessons`, a lesson
with its exercises under `lesson:{id}:content`, an exercise's lesson under `exercise:{id}:lesson`
(it never changes). Every write drops what it changed, after the commit, and reports the course
as changed (`on_course_changed`: the catalog's invalidation, which also retires the response
caches built from the catalog)."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime

import orjson

from datasources.cache.base import Cache
from datasources.cache.cache_aside import CachedById
from datasources.cache.content_codec import (
    decode_cover,
    decode_lesson_content,
    decode_outline,
    encode_cover,
    encode_lesson_content,
    encode_outline,
)
from datasources.sql.asset_store import SqlAssetStore
from datasources.sql.content_store import SqlContentStore
from records.content import Asset, Exercise, ExerciseDraft, Lesson, LessonContent, LessonDraft

CONTENT_TTL_SECONDS = 3600
EXERCISE_LESSON_TTL_SECONDS = 24 * 3600


def outline_key(course_id: int) -> str:
    return f"course:{course_id}:lessons"


def lesson_content_key(lesson_id: int) -> str:
    return f"lesson:{lesson_id}:content"


class CachedContent:
    def __init__(
        self,
        store: SqlContentStore,
        assets: SqlAssetStore,
        cache: Cache,
        on_course_changed: Callable[[Sequence[int]], Awaitable[None]],
    ) -> None:
        self.store = store
        self.assets = assets
        self._on_course_changed = on_course_changed
        self._outlines: CachedById[list[Lesson]] = CachedById(
            cache,
            "lesson_outline",
            outline_key,
            encode_outline,
            decode_outline,
            CONTENT_TTL_SECONDS,
        )
        self._contents: CachedById[LessonContent] = CachedById(
            cache,
            "lesson_content",
            lesson_content_key,
            encode_lesson_content,
            decode_lesson_content,
            CONTENT_TTL_SECONDS,
        )
        self._covers: CachedById[Asset | None] = CachedById(
            cache,
            "course_cover",
            lambda i: f"course:{i}:cover",
            encode_cover,
            decode_cover,
            CONTENT_TTL_SECONDS,
        )
        self._exercise_lessons: CachedById[int] = CachedById(
            cache,
            "exercise_lesson",
            lambda i: f"exercise:{i}:lesson",
            orjson.dumps,
            orjson.loads,
            EXERCISE_LESSON_TTL_SECONDS,
        )

    async def covers(self, course_ids: Sequence[int]) -> dict[int, Asset | None]:
        return await self._covers.get_many(course_ids, self.assets.covers)

    async def outlines(self, course_ids: Sequence[int]) -> dict[int, list[Lesson]]:
        return await self._outlines.get_many(course_ids, self.store.outlines)

    async def lesson_contents(self, lesson_ids: Sequence[int]) -> dict[int, LessonContent]:
        return await self._contents.get_many(lesson_ids, self._load_contents)

    async def _load_contents(self, lesson_ids: Sequence[int]) -> dict[int, LessonContent]:
        contents = await self.store.lesson_contents(lesson_ids)
        assets = await self.assets.of_lessons(list(contents))
        return {
            lesson_id: dataclasses.replace(content, assets=tuple(assets.get(lesson_id, ())))
            for lesson_id, content in contents.items()
        }

    async def record_asset(self, asset: Asset) -> Asset:
        """Stores a checked asset (or finds it stored by an earlier completion)."""
        stored = await self.assets.insert(asset)
        if stored.lesson_id is None:
            await self._covers.forget([stored.course_id])
            await self._on_course_changed([stored.course_id])
        else:
            await self._changed(stored.course_id, [stored.lesson_id])
        return stored

    async def lessons_of_exercises(self, exercise_ids: Sequence[int]) -> dict[int, int]:
        return await self._exercise_lessons.get_many(exercise_ids, self.store.lessons_of_exercises)

    async def create_lesson(
        self, course_id: int, draft: LessonDraft, position: int | None, now: datetime
    ) -> Lesson:
        lesson = await self.store.create_lesson(course_id, draft, position, now)
        # Later lessons moved down one: any cached lesson of the course may hold an old position.
        outline = (await self.store.outlines([course_id]))[course_id]
        await self._changed(course_id, [each.id for each in outline])
        return lesson

    async def update_lesson(
        self, lesson_id: int, changes: Mapping[str, object], now: datetime
    ) -> Lesson:
        lesson = await self.store.update_lesson(lesson_id, changes, now)
        await self._changed(lesson.course_id, [lesson_id])
        return lesson

    async def reorder_lessons(
        self, course_id: int, lesson_ids: Sequence[int], now: datetime
    ) -> list[Lesson]:
        outline = await self.store.reorder_lessons(course_id, lesson_ids, now)
        await self._changed(course_id, [lesson.id for lesson in outline])
        return outline

    async def create_exercise(
        self, lesson_id: int, draft: ExerciseDraft, now: datetime
    ) -> tuple[Lesson, Exercise]:
        lesson, exercise = await self.store.create_exercise(lesson_id, draft, now)
        await self._changed(lesson.course_id, [lesson_id])
        return lesson, exercise

    async def update_exercise(
        self, exercise_id: int, changes: Mapping[str, object], now: datetime
    ) -> tuple[Lesson, Exercise]:
        lesson, exercise = await self.store.update_exercise(exercise_id, changes, now)
        await self._changed(lesson.course_id, [lesson.id])
        return lesson, exercise

    async def reorder_exercises(
        self, lesson_id: int, exercise_ids: Sequence[int], now: datetime
    ) -> LessonContent:
        content = await self.store.reorder_exercises(lesson_id, exercise_ids, now)
        await self._changed(content.lesson.course_id, [lesson_id])
        return content

    async def _changed(self, course_id: int, lesson_ids: Sequence[int]) -> None:
        await self._outlines.forget([course_id])
        await self._contents.forget(lesson_ids)
        await self._on_course_changed([course_id])
