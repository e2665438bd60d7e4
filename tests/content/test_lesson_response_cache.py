"""A subscriber's lesson answer is served whole from the signed-in response cache while the
user's subscriptions, the content and the links' remaining life allow, and never after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from prometheus_client import REGISTRY

from datasources.backends import Backends
from records.content import LessonDraft, LessonKind
from tests.conftest import graphql, token_for
from tests.content.media_files import png
from tests.content.test_assets_api import complete_upload, upload
from tests.content.test_lessons_api import LEARNER, add_lesson
from tests.factories import add_course
from tests.graphql_flows import CANCEL, ENROLL

LESSON = """query($id: ID!) { lesson(id: $id) { title exercises { __typename
  ... on ExerciseList { items { text } } } } }"""


def _hits() -> float:
    labels = {"keyspace": "user_response", "result": "hit"}
    return REGISTRY.get_sample_value("coursegate_cache_lookups_total", labels) or 0.0


async def _lesson(client: httpx.AsyncClient, lesson_id: int, token: str) -> bytes:
    response = await client.post(
        "/graphql",
        json={"query": LESSON, "variables": {"id": str(lesson_id)}},
        headers={"authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    return response.content


async def test_a_lesson_answer_is_cached_until_the_subscription_changes(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends)
    lesson = await add_lesson(backends, course, "Top row")
    learner = token_for(LEARNER)
    await graphql(client, ENROLL, {"c": str(course.id)}, learner)
    first = await _lesson(client, lesson.id, learner)
    assert b"ExerciseList" in first
    hits = _hits()
    assert await _lesson(client, lesson.id, learner) == first
    assert await _lesson(client, lesson.id, learner) == first
    assert _hits() >= hits + 1  # the first repeat may store, later ones hit
    await graphql(client, CANCEL, {"c": str(course.id)}, learner)
    assert b"NotEntitled" in await _lesson(client, lesson.id, learner)


async def test_a_content_change_and_the_admin_role_are_not_answered_from_a_stale_entry(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends)
    lesson = await add_lesson(backends, course, "Top row")
    learner = token_for(LEARNER)
    admin_token = token_for(LEARNER, admin=True)
    for _ in range(3):
        assert b"NotEntitled" in await _lesson(client, lesson.id, learner)
    assert b"ExerciseList" in await _lesson(client, lesson.id, admin_token)
    renamed = await graphql(
        client,
        'mutation($id: ID!) { updateLesson(id: $id, input: {title: "Top row, again"}) {'
        " __typename } }",
        {"id": str(lesson.id)},
        token_for(1, admin=True),
    )
    assert renamed["data"]["updateLesson"]["__typename"] == "LessonPayload"
    assert b"Top row, again" in await _lesson(client, lesson.id, learner)


async def test_links_in_a_cached_answer_keep_most_of_their_life(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends)
    lesson = await backends.content.create_lesson(
        course.id, LessonDraft("Diagram", LessonKind.READING, 60), None, datetime.now(UTC)
    )

    await complete_upload(
        client, await upload(client, backends, lesson.id, png(40, 40), "image/png")
    )
    learner = token_for(LEARNER)
    await graphql(client, ENROLL, {"c": str(course.id)}, learner)
    document = """query($id: ID!) { lesson(id: $id) { assets { ... on AssetList {
      items { expiresAt } } } } }"""
    for _ in range(3):
        body = await graphql(client, document, {"id": str(lesson.id)}, learner)
        (item,) = body["data"]["lesson"]["assets"]["items"]
        left = datetime.fromisoformat(item["expiresAt"]) - datetime.now(UTC)
        ttl = timedelta(seconds=backends.link_ttl_seconds)
        assert ttl / 2 - timedelta(minutes=1) <= left <= ttl
