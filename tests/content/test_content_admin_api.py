"""Admin content writes: positions, reorders, validation before anything is written, permission
before input, and every cache (the outline, the lesson, the anonymous response) following."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from datasources.backends import Backends
from datasources.sql import event_outbox
from records.events import EventKind
from tests.conftest import graphql, token_for
from tests.content.test_lessons_api import EXERCISES, OUTLINE, add_lesson
from tests.db_state import written
from tests.factories import add_course

ADMIN = token_for(1, admin=True)
_RESULT = "__typename ... on UserError { message } ... on InvalidInput { field }"
CREATE_LESSON = f"""mutation($c: ID!, $input: CreateLessonInput!, $at: Int) {{
  createLesson(courseId: $c, input: $input, position: $at) {{ {_RESULT}
    ... on LessonPayload {{ lesson {{ id position title }} }} }} }}"""
UPDATE_LESSON = f"""mutation($id: ID!, $input: UpdateLessonInput!) {{
  updateLesson(id: $id, input: $input) {{ {_RESULT}
    ... on LessonPayload {{ lesson {{ id title isPreview }} }} }} }}"""
REORDER_LESSONS = f"""mutation($c: ID!, $ids: [ID!]!) {{
  reorderLessons(courseId: $c, lessonIds: $ids) {{ {_RESULT}
    ... on LessonsPayload {{ lessons {{ id position }} }} }} }}"""
CREATE_EXERCISE = f"""mutation($l: ID!, $input: CreateExerciseInput!) {{
  createExercise(lessonId: $l, input: $input) {{ {_RESULT}
    ... on ExercisePayload {{ exercise {{ id position text }} }} }} }}"""
UPDATE_EXERCISE = f"""mutation($id: ID!, $input: UpdateExerciseInput!) {{
  updateExercise(id: $id, input: $input) {{ {_RESULT}
    ... on ExercisePayload {{ exercise {{ id text targetWpm }} }} }} }}"""
REORDER_EXERCISES = f"""mutation($l: ID!, $ids: [ID!]!) {{
  reorderExercises(lessonId: $l, exerciseIds: $ids) {{ {_RESULT}
    ... on ExercisesPayload {{ exercises {{ id position }} }} }} }}"""


def _lesson_input(**overrides: Any) -> dict[str, Any]:
    return {"title": "Bottom row", "kind": "TYPING", "durationSeconds": 420, **overrides}


def _exercise_input(**overrides: Any) -> dict[str, Any]:
    return {"text": "zxcv m,./", "targetWpm": 25, "targetAccuracy": 92.5, **overrides}


async def _outline_titles(client: httpx.AsyncClient, course_id: int) -> list[str]:
    body = await graphql(client, OUTLINE, {"id": str(course_id)})
    return [e["node"]["title"] for e in body["data"]["course"]["lessons"]["edges"]]


async def test_lessons_insert_at_a_position_and_reorder(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends)
    home = await add_lesson(backends, course, "Home row")
    top = await add_lesson(backends, course, "Top row")
    # Read once anonymously, so the response cache and the outline cache hold the old outline.
    assert await _outline_titles(client, course.id) == ["Home row", "Top row"]
    created = await graphql(
        client, CREATE_LESSON, {"c": str(course.id), "input": _lesson_input(), "at": 2}, ADMIN
    )
    bottom = created["data"]["createLesson"]["lesson"]
    assert bottom["position"] == 2
    assert await _outline_titles(client, course.id) == ["Home row", "Bottom row", "Top row"]

    order = [str(top.id), bottom["id"], str(home.id)]
    reordered = await graphql(client, REORDER_LESSONS, {"c": str(course.id), "ids": order}, ADMIN)
    assert [(x["id"], x["position"]) for x in reordered["data"]["reorderLessons"]["lessons"]] == [
        (lesson_id, position) for position, lesson_id in enumerate(order, start=1)
    ]
    assert await _outline_titles(client, course.id) == ["Top row", "Bottom row", "Home row"]
    for wrong in ([str(top.id), bottom["id"]], [*order, str(top.id)], ["987", "988", "989"]):
        refused = await graphql(client, REORDER_LESSONS, {"c": str(course.id), "ids": wrong}, ADMIN)
        assert refused["data"]["reorderLessons"].get("field") == "lessonIds", refused
    renamed = await graphql(
        client,
        UPDATE_LESSON,
        {"id": str(home.id), "input": {"title": "Home row again", "isPreview": True}},
        ADMIN,
    )
    assert renamed["data"]["updateLesson"]["lesson"]["isPreview"] is True
    assert (await _outline_titles(client, course.id))[-1] == "Home row again"
    opened = await graphql(client, EXERCISES, {"id": str(home.id)})  # now a preview: open
    assert opened["data"]["lesson"]["exercises"]["__typename"] == "ExerciseList"


async def test_exercise_writes_show_on_the_next_read(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends)
    lesson = await add_lesson(backends, course, "Home row", preview=True, exercises=1)
    read = await graphql(client, EXERCISES, {"id": str(lesson.id)})
    (first,) = read["data"]["lesson"]["exercises"]["items"]
    created = await graphql(
        client, CREATE_EXERCISE, {"l": str(lesson.id), "input": _exercise_input()}, ADMIN
    )
    second = created["data"]["createExercise"]["exercise"]
    assert second["position"] == 2
    updated = await graphql(
        client, UPDATE_EXERCISE, {"id": first["id"], "input": {"targetWpm": 35}}, ADMIN
    )
    assert updated["data"]["updateExercise"]["exercise"]["targetWpm"] == 35
    reordered = await graphql(
        client, REORDER_EXERCISES, {"l": str(lesson.id), "ids": [second["id"], first["id"]]}, ADMIN
    )
    assert [e["id"] for e in reordered["data"]["reorderExercises"]["exercises"]] == [
        second["id"],
        first["id"],
    ]
    items = (await graphql(client, EXERCISES, {"id": str(lesson.id)}))["data"]["lesson"][
        "exercises"
    ]["items"]
    assert [(e["id"], e["position"], e["targetWpm"]) for e in items] == [
        (second["id"], 1, 25),
        (first["id"], 2, 35),
    ]


async def test_content_writes_reach_the_outbox_as_course_changes(backends: Backends) -> None:
    course = await add_course(backends)
    before = await event_outbox.pending(backends.catalog_engine)
    await add_lesson(backends, course, "Home row", exercises=2)
    rows = await backends.catalog_engine.fetch_all("SELECT kind, payload FROM event_outbox")
    assert await event_outbox.pending(backends.catalog_engine) == before + 3
    assert {row[0] for row in rows} == {EventKind.COURSE_CHANGED.value}
    assert all(f'"course_id":{course.id}' in row[1] for row in rows[-3:])


async def test_concurrent_appends_get_distinct_positions(backends: Backends) -> None:
    course = await add_course(backends)
    await asyncio.gather(
        *(add_lesson(backends, course, f"Drill {n}", exercises=0) for n in range(8))
    )
    outline = (await backends.content.store.outlines([course.id]))[course.id]
    assert [lesson.position for lesson in outline] == list(range(1, 9))


async def test_permission_before_input_and_invalid_input_writes_nothing(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends)
    lesson = await add_lesson(backends, course, "Home row", exercises=1)
    huge = "x" * 20_000
    cases: list[tuple[str, dict[str, Any], str]] = [
        (CREATE_LESSON, {"c": str(course.id), "input": _lesson_input(title=huge)}, "title"),
        (CREATE_LESSON, {"c": str(course.id), "input": _lesson_input(title="  ")}, "title"),
        (
            CREATE_LESSON,
            {"c": str(course.id), "input": _lesson_input(durationSeconds=-1)},
            "durationSeconds",
        ),
        (CREATE_LESSON, {"c": str(course.id), "input": _lesson_input(), "at": 0}, "position"),
        (CREATE_LESSON, {"c": "course-1", "input": _lesson_input()}, "courseId"),
        (UPDATE_LESSON, {"id": str(lesson.id), "input": {"title": None}}, "title"),
        (UPDATE_LESSON, {"id": str(lesson.id), "input": {}}, "input"),
        (CREATE_EXERCISE, {"l": str(lesson.id), "input": _exercise_input(text=huge)}, "text"),
        (
            CREATE_EXERCISE,
            {"l": str(lesson.id), "input": _exercise_input(language="english")},
            "language",
        ),
        (
            CREATE_EXERCISE,
            {"l": str(lesson.id), "input": _exercise_input(targetWpm=0)},
            "targetWpm",
        ),
        (
            CREATE_EXERCISE,
            {"l": str(lesson.id), "input": _exercise_input(targetAccuracy=101)},
            "targetAccuracy",
        ),
        (REORDER_EXERCISES, {"l": str(lesson.id), "ids": ["x"]}, "exerciseIds"),
    ]
    before = await written(backends)
    for document, variables, field in cases:
        for token, expected in ((None, "Unauthenticated"), (token_for(2), "Forbidden")):
            body = await graphql(client, document, variables, token)
            assert next(iter(body["data"].values()))["__typename"] == expected, field
        body = await graphql(client, document, variables, ADMIN)
        answer = next(iter(body["data"].values()))
        assert (answer["__typename"], answer.get("field")) == ("InvalidInput", field), body
    missing = await graphql(client, CREATE_LESSON, {"c": "987654", "input": _lesson_input()}, ADMIN)
    assert missing["data"]["createLesson"]["__typename"] == "NotFound"
    no_exercise = await graphql(
        client, UPDATE_EXERCISE, {"id": "987654", "input": {"targetWpm": 30}}, ADMIN
    )
    assert no_exercise["data"]["updateExercise"]["__typename"] == "NotFound"
    assert await written(backends) == before


async def test_a_full_lesson_takes_no_more_exercises(
    client: httpx.AsyncClient, backends: Backends, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("datasources.sql.content_store.MAX_EXERCISES_PER_LESSON", 2)
    course = await add_course(backends)
    lesson = await add_lesson(backends, course, "Home row", exercises=2)
    before = await written(backends)
    refused = await graphql(
        client, CREATE_EXERCISE, {"l": str(lesson.id), "input": _exercise_input()}, ADMIN
    )
    answer = refused["data"]["createExercise"]
    assert (answer["__typename"], answer["field"]) == ("InvalidInput", "lessonId")
    assert await written(backends) == before
