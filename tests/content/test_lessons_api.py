"""Course content over GraphQL: the public outline, exercises only for those entitled, and
entitlement following a subscription's changes at once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from datasources.backends import Backends
from records.catalog import Course
from records.content import ExerciseDraft, KeyboardLayout, Lesson, LessonDraft, LessonKind
from records.subscriptions import NewSubscription
from tests.conftest import graphql, token_for
from tests.factories import add_course
from tests.graphql_flows import CANCEL, ENROLL

OUTLINE = """query($id: ID!, $first: Int, $after: String) { course(id: $id) {
  lessons(first: $first, after: $after) { totalCount
    edges { cursor node { id position title kind durationSeconds isPreview } }
    pageInfo { hasNextPage endCursor } } } }"""
EXERCISES = """query($id: ID!) { lesson(id: $id) { id title course { id }
  exercises { __typename ... on ExerciseList { items { id position text language
    keyboardLayout targetWpm targetAccuracy } } ... on NotEntitled { message } } } }"""
LEARNER = 7


async def add_lesson(
    backends: Backends, course: Course, title: str, preview: bool = False, exercises: int = 2
) -> Lesson:
    now = datetime.now(UTC)
    lesson = await backends.content.create_lesson(
        course.id, LessonDraft(title, LessonKind.TYPING, 300, preview), None, now
    )
    for number in range(1, exercises + 1):
        await backends.content.create_exercise(
            lesson.id,
            ExerciseDraft(drill_text(number), "en", KeyboardLayout.QWERTY, 20, 90.0),
            now,
        )
    return lesson


def drill_text(number: int) -> str:
    """200 characters and the drill's number."""
    return "asdf jkl; " * 20 + f"drill {number}"


async def _exercises(client: httpx.AsyncClient, lesson: Lesson, token: str | None) -> Any:
    body = await graphql(client, EXERCISES, {"id": str(lesson.id)}, token)
    assert "errors" not in body, body
    return body["data"]["lesson"]["exercises"]


async def test_the_outline_is_public_and_pages_in_position_order(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends)
    titles = [f"Lesson {n}: home row" for n in range(1, 6)]
    for title in titles:
        await add_lesson(backends, course, title)
    first = await graphql(client, OUTLINE, {"id": str(course.id), "first": 3})
    lessons = first["data"]["course"]["lessons"]
    assert lessons["totalCount"] == 5
    assert [e["node"]["title"] for e in lessons["edges"]] == titles[:3]
    assert [e["node"]["position"] for e in lessons["edges"]] == [1, 2, 3]
    assert lessons["pageInfo"]["hasNextPage"] is True
    after = lessons["pageInfo"]["endCursor"]
    rest = await graphql(client, OUTLINE, {"id": str(course.id), "first": 3, "after": after})
    rest_lessons = rest["data"]["course"]["lessons"]
    assert [e["node"]["title"] for e in rest_lessons["edges"]] == titles[3:]
    assert rest_lessons["pageInfo"]["hasNextPage"] is False
    bad = await graphql(client, OUTLINE, {"id": str(course.id), "after": "bm9wZQ"})
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_exercises_only_for_subscribers_or_on_a_preview_lesson(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends)
    preview = await add_lesson(backends, course, "Try the home row", preview=True)
    locked = await add_lesson(backends, course, "Top row", exercises=3)
    learner = token_for(LEARNER)
    for token in (None, learner):
        assert (await _exercises(client, locked, token))["__typename"] == "NotEntitled"
        opened = await _exercises(client, preview, token)
        assert [item["position"] for item in opened["items"]] == [1, 2]
    enrolled = await graphql(client, ENROLL, {"c": str(course.id)}, learner)
    assert enrolled["data"]["enroll"]["__typename"] == "EnrollSuccess"
    items = (await _exercises(client, locked, learner))["items"]
    assert [item["text"] for item in items] == [drill_text(n) for n in (1, 2, 3)]
    assert items[0]["keyboardLayout"] == "QWERTY" and items[0]["targetAccuracy"] == 90.0
    # Another user's subscription opens nothing for this one.
    assert (await _exercises(client, locked, token_for(LEARNER + 1)))["__typename"] == (
        "NotEntitled"
    )
    admin = token_for(1, admin=True)
    assert (await _exercises(client, locked, admin))["__typename"] == "ExerciseList"


async def test_a_cancelled_subscription_closes_the_lesson_on_the_next_request(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends)
    locked = await add_lesson(backends, course, "Top row")
    learner = token_for(LEARNER)
    await graphql(client, ENROLL, {"c": str(course.id)}, learner)
    assert (await _exercises(client, locked, learner))["__typename"] == "ExerciseList"
    cancelled = await graphql(client, CANCEL, {"c": str(course.id)}, learner)
    assert cancelled["data"]["cancelSubscription"]["__typename"] == "CancelSuccess"
    assert (await _exercises(client, locked, learner))["__typename"] == "NotEntitled"


async def test_an_expired_subscription_opens_nothing(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends)
    locked = await add_lesson(backends, course, "Top row")
    await backends.uncached_subscriptions.bulk_insert([_ended_subscription(LEARNER, course.id)])
    assert (await _exercises(client, locked, token_for(LEARNER)))["__typename"] == "NotEntitled"


def _ended_subscription(user_id: int, course_id: int) -> NewSubscription:
    return NewSubscription(
        user_id,
        course_id,
        datetime(2024, 1, 1, tzinfo=UTC),
        datetime(2024, 2, 1, tzinfo=UTC),
        "test",
    )


async def test_a_lesson_of_an_inactive_course_is_only_for_its_subscribers(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends)
    lesson = await add_lesson(backends, course, "Top row")
    learner = token_for(LEARNER)
    await graphql(client, ENROLL, {"c": str(course.id)}, learner)
    await backends.catalog.update_course(course.id, {"is_active": False}, datetime.now(UTC))
    anonymous = await graphql(client, EXERCISES, {"id": str(lesson.id)})
    assert anonymous["data"]["lesson"] is None
    kept = await graphql(client, EXERCISES, {"id": str(lesson.id)}, learner)
    assert kept["data"]["lesson"]["exercises"]["__typename"] == "ExerciseList"


async def test_unknown_and_malformed_lesson_ids(client: httpx.AsyncClient) -> None:
    unknown = await graphql(client, EXERCISES, {"id": "987654321"})
    assert unknown == {"data": {"lesson": None}}
    malformed = await graphql(client, EXERCISES, {"id": "lesson-1"})
    assert malformed["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "Internal" not in str(malformed)
