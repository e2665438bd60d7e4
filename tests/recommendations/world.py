"""A small catalog whose users take courses in three clear groups, written through the real
stores, for the recommendation tests on both backends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from datasources.backends import Backends
from records.catalog import Category, Course
from records.subscriptions import NewSubscription
from tests.factories import add_course

# Users 1-10 take typing 1, typing 2 and coding 1; 11-20 typing 3 and typing 4; 21-30 coding
# 2, coding 3 and hindi 1. Newcomer takes typing 1 only, stranger nothing.
NEWCOMER = 100
STRANGER = 200


@dataclass(frozen=True)
class World:
    typing: list[Course]
    coding: list[Course]
    hindi: list[Course]

    @property
    def every_course(self) -> list[Course]:
        return [*self.typing, *self.coding, *self.hindi]


async def build_world(backends: Backends) -> World:
    typing = [
        await add_course(backends, title=f"Home Row {n}", category=Category.TOUCH_TYPING)
        for n in range(1, 5)
    ]
    coding = [
        await add_course(backends, title=f"Python Drills {n}", category=Category.CODING)
        for n in range(1, 4)
    ]
    hindi = [
        await add_course(backends, title="Hindi Keys", category=Category.LANGUAGES, language="hi"),
        await add_course(backends, title="Hindi Speed", category=Category.LANGUAGES, language="hi"),
    ]
    groups = {
        range(1, 11): [typing[0], typing[1], coding[0]],
        range(11, 21): [typing[2], typing[3]],
        range(21, 31): [coding[1], coding[2], hindi[0]],
        range(NEWCOMER, NEWCOMER + 1): [typing[0]],
    }
    await enrol(backends, [(u, c) for users, taken in groups.items() for u in users for c in taken])
    return World(typing, coding, hindi)


async def enrol(backends: Backends, pairs: list[tuple[int, Course]]) -> None:
    start = datetime.now(UTC) - timedelta(days=20)
    rows = [
        NewSubscription(user, course.id, start + timedelta(minutes=i), None, "test")
        for i, (user, course) in enumerate(pairs)
    ]
    await backends.uncached_subscriptions.bulk_insert(rows)
