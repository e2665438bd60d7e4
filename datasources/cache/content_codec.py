"""Lessons and exercises to and from the bytes stored in the cache."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from records.content import (
    Asset,
    AssetKind,
    AssetVariant,
    Exercise,
    KeyboardLayout,
    Lesson,
    LessonContent,
    LessonKind,
)


def _lesson_row(lesson: Lesson) -> list[Any]:
    return [
        lesson.id,
        lesson.course_id,
        lesson.position,
        lesson.title,
        lesson.kind.value,
        lesson.duration_seconds,
        lesson.is_preview,
        lesson.updated_at,
    ]


def _lesson_from_row(row: list[Any]) -> Lesson:
    return Lesson(
        id=row[0],
        course_id=row[1],
        position=row[2],
        title=row[3],
        kind=LessonKind(row[4]),
        duration_seconds=row[5],
        is_preview=row[6],
        updated_at=datetime.fromisoformat(row[7]),
    )


def encode_outline(lessons: list[Lesson]) -> bytes:
    return orjson.dumps([_lesson_row(lesson) for lesson in lessons])


def decode_outline(raw: bytes) -> list[Lesson]:
    return [_lesson_from_row(row) for row in orjson.loads(raw)]


def _asset_row(asset: Asset) -> list[Any]:
    return [
        asset.id,
        asset.course_id,
        asset.lesson_id,
        asset.kind.value,
        asset.content_type,
        asset.bytes,
        asset.object_key,
        asset.width,
        asset.height,
        asset.created_at,
        [
            [v.name, v.content_type, v.bytes, v.object_key, v.width, v.height]
            for v in asset.variants
        ],
    ]


def _asset_from_row(row: list[Any]) -> Asset:
    return Asset(
        id=row[0],
        course_id=row[1],
        lesson_id=row[2],
        kind=AssetKind(row[3]),
        content_type=row[4],
        bytes=row[5],
        object_key=row[6],
        width=row[7],
        height=row[8],
        created_at=datetime.fromisoformat(row[9]),
        variants=tuple(AssetVariant(*variant) for variant in row[10]),
    )


def encode_cover(asset: Asset | None) -> bytes:
    return orjson.dumps(None if asset is None else _asset_row(asset))


def decode_cover(raw: bytes) -> Asset | None:
    row = orjson.loads(raw)
    return None if row is None else _asset_from_row(row)


def encode_lesson_content(content: LessonContent) -> bytes:
    return orjson.dumps(
        [
            _lesson_row(content.lesson),
            [_asset_row(asset) for asset in content.assets],
            [
                [
                    e.id,
                    e.lesson_id,
                    e.position,
                    e.text,
                    e.language,
                    e.keyboard_layout.value,
                    e.target_wpm,
                    e.target_accuracy,
                ]
                for e in content.exercises
            ],
        ]
    )


def decode_lesson_content(raw: bytes) -> LessonContent:
    lesson, assets, exercises = orjson.loads(raw)
    return LessonContent(
        _lesson_from_row(lesson),
        tuple(
            Exercise(
                id=row[0],
                lesson_id=row[1],
                position=row[2],
                text=row[3],
                language=row[4],
                keyboard_layout=KeyboardLayout(row[5]),
                target_wpm=row[6],
                target_accuracy=row[7],
            )
            for row in exercises
        ),
        tuple(_asset_from_row(row) for row in assets),
    )
