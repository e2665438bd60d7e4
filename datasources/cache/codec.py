"""Records to and from the bytes stored in the cache."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from records.catalog import Category, Course, Difficulty
from records.subscriptions import Subscription, SubscriptionStatus


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _course_dict(course: Course) -> dict[str, Any]:
    return {
        "id": course.id,
        "slug": course.slug,
        "title": course.title,
        "description": course.description,
        "category": course.category.value,
        "difficulty": course.difficulty.value,
        "language": course.language,
        "tags": course.tags,
        "price_paise": course.price_paise,
        "currency": course.currency,
        "validity_days": course.validity_days,
        "is_active": course.is_active,
        "created_at": course.created_at,
        "updated_at": course.updated_at,
    }


def _course_from_dict(data: dict[str, Any]) -> Course:
    return Course(
        id=data["id"],
        slug=data["slug"],
        title=data["title"],
        description=data["description"],
        category=Category(data["category"]),
        difficulty=Difficulty(data["difficulty"]),
        language=data["language"],
        tags=tuple(data["tags"]),
        price_paise=data["price_paise"],
        currency=data["currency"],
        validity_days=data["validity_days"],
        is_active=data["is_active"],
        created_at=datetime.fromisoformat(data["created_at"]),
        updated_at=datetime.fromisoformat(data["updated_at"]),
    )


def encode_course(course: Course) -> bytes:
    return orjson.dumps(_course_dict(course))


def decode_course(raw: bytes) -> Course:
    return _course_from_dict(orjson.loads(raw))


def encode_subscriptions(subscriptions: list[Subscription]) -> bytes:
    return orjson.dumps(
        [
            [
                s.id,
                s.user_id,
                s.course_id,
                s.enrolled_at,
                s.expires_at,
                s.status.value,
                s.source,
                s.updated_at,
                s.kept_days,
            ]
            for s in subscriptions
        ]
    )


def decode_subscriptions(raw: bytes) -> list[Subscription]:
    subscriptions = []
    for row in orjson.loads(raw):
        enrolled_at, updated_at = _time(row[3]), _time(row[7])
        assert enrolled_at is not None and updated_at is not None
        subscriptions.append(
            Subscription(
                id=row[0],
                user_id=row[1],
                course_id=row[2],
                enrolled_at=enrolled_at,
                expires_at=_time(row[4]),
                status=SubscriptionStatus(row[5]),
                source=row[6],
                updated_at=updated_at,
                kept_days=row[8] if len(row) > 8 else 0,  # entries cached before the column
            )
        )
    return subscriptions
