"""Exercise results: stored on the learner's shard only when plausible and entitled, folded into
a standing per exercise, and read back as the course's progress."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from datasources.backends import Backends
from records.content import Lesson
from tests.conftest import graphql, token_for
from tests.content.test_lessons_api import LEARNER, add_lesson
from tests.db_state import written
from tests.factories import add_course
from tests.graphql_flows import ENROLL

SUBMIT = """mutation($e: ID!, $wpm: Float!, $acc: Float!, $ms: Int!) {
  submitExerciseResult(exerciseId: $e, wpm: $wpm, accuracy: $acc, durationMs: $ms) {
    __typename
    ... on ExerciseResultPayload {
      standing { exerciseId attempts bestWpm averageAccuracy passed }
      progress { completedLessons totalLessons bestWpm averageAccuracy resumeLesson { id } }
    }
    ... on UserError { message } ... on InvalidInput { field } } }"""
PROGRESS = """query($c: ID!) { me { progress(courseId: $c) { completedLessons totalLessons
  bestWpm averageAccuracy resumeLesson { id title } } } }"""


async def _exercise_ids(backends: Backends, lesson: Lesson) -> list[str]:
    content = (await backends.content.lesson_contents([lesson.id]))[lesson.id]
    return [str(e.id) for e in content.exercises]


async def _submit(
    client: httpx.AsyncClient, exercise_id: str, wpm: float, accuracy: float, ms: int = 20_000
) -> Any:
    variables = {"e": exercise_id, "wpm": wpm, "acc": accuracy, "ms": ms}
    body = await graphql(client, SUBMIT, variables, token_for(LEARNER))
    assert "errors" not in body, body
    return body["data"]["submitExerciseResult"]


async def test_results_complete_lessons_and_move_the_resume_point(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends)
    first = await add_lesson(backends, course, "Home row")
    second = await add_lesson(backends, course, "Top row", exercises=1)
    await add_lesson(backends, course, "Watch the posture", exercises=0)
    await graphql(client, ENROLL, {"c": str(course.id)}, token_for(LEARNER))
    one, two = await _exercise_ids(backends, first)

    missed = await _submit(client, one, 30, 80)  # under the 90 % target: not passed
    assert missed["standing"] == {
        "exerciseId": one,
        "attempts": 1,
        "bestWpm": 30.0,
        "averageAccuracy": 80.0,
        "passed": False,
    }
    assert missed["progress"]["resumeLesson"]["id"] == str(first.id)
    await _submit(client, one, 25, 96)
    done = await _submit(client, two, 40, 92)
    assert done["progress"] == {
        "completedLessons": 1,
        "totalLessons": 2,  # the video-free lesson without exercises does not count
        "bestWpm": 40.0,
        "averageAccuracy": (80 + 96 + 92) / 3,
        "resumeLesson": {"id": str(second.id)},
    }
    standing = (await _submit(client, one, 20, 50))["standing"]
    assert (standing["attempts"], standing["bestWpm"], standing["passed"]) == (3, 30.0, True)

    read = await graphql(client, PROGRESS, {"c": str(course.id)}, token_for(LEARNER))
    progress = read["data"]["me"]["progress"]
    assert progress["completedLessons"] == 1
    assert progress["resumeLesson"] == {"id": str(second.id), "title": "Top row"}
    someone_else = await graphql(client, PROGRESS, {"c": str(course.id)}, token_for(LEARNER + 1))
    assert someone_else["data"]["me"]["progress"] == {
        "completedLessons": 0,
        "totalLessons": 2,
        "bestWpm": None,
        "averageAccuracy": None,
        "resumeLesson": {"id": str(first.id), "title": "Home row"},
    }
    shard = backends.uncached_subscriptions.shard_for(LEARNER)
    rows = await shard.fetch_all("SELECT user_id FROM exercise_results")
    assert [int(row[0]) for row in rows] == [LEARNER] * 4  # every attempt, on the user's shard


async def test_impossible_or_unentitled_results_are_refused_and_write_nothing(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends)
    lesson = await add_lesson(backends, course, "Home row")
    exercise = (await _exercise_ids(backends, lesson))[0]  # 207 characters
    not_entitled = await _submit(client, exercise, 30, 95)
    assert not_entitled["__typename"] == "NotEntitled"
    await graphql(client, ENROLL, {"c": str(course.id)}, token_for(LEARNER))
    before = await written(backends)
    cases = {
        "wpm": (0, 95, 20_000),
        "accuracy": (30, 100.5, 20_000),
        "durationMs": (30, 95, 10),
    }
    for field, (wpm, accuracy, ms) in cases.items():
        refused = await _submit(client, exercise, wpm, accuracy, ms)
        assert (refused["__typename"], refused["field"]) == ("InvalidInput", field)
    # 207 characters in a minute is about 41 wpm: 100 cannot be.
    too_fast = await _submit(client, exercise, 100, 95, 60_000)
    assert too_fast["field"] == "wpm" and "faster than typing" in too_fast["message"]
    assert (await _submit(client, "999999999", 30, 95))["__typename"] == "NotFound"
    assert (await _submit(client, "x1", 30, 95))["field"] == "exerciseId"
    anonymous = await graphql(client, SUBMIT, {"e": exercise, "wpm": 30, "acc": 95, "ms": 20_000})
    assert anonymous["data"]["submitExerciseResult"]["__typename"] == "Unauthenticated"
    assert await written(backends) == before


async def test_concurrent_first_attempts_fold_into_one_standing(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends)
    lesson = await add_lesson(backends, course, "Home row", preview=True, exercises=1)
    (exercise,) = await _exercise_ids(backends, lesson)
    results = await asyncio.gather(*(_submit(client, exercise, 10 + n, 90) for n in range(8)))
    assert all(r["__typename"] == "ExerciseResultPayload" for r in results), results
    standings = await backends.progress.standings(LEARNER, course.id)
    assert [(s.attempts, s.best_wpm) for s in standings] == [(8, 17.0)]
