"""The demo content: generated the same way every time, valid by the rules admins write under,
in each course's own script and keyboard, and loaded by `seed` so a demo user can learn."""

from __future__ import annotations

import dataclasses
import unicodedata
from datetime import UTC, datetime

import httpx

from datasources.backends import Backends
from jobs.demo_content import demo_outline
from jobs.demo_data import SHOWCASE_USER, demo_courses
from jobs.seed import seed_demo
from records.catalog import Category
from records.content import KeyboardLayout, LessonKind
from resolvers.content.validation import check_fields
from tests.conftest import graphql, token_for

_NOW = datetime(2026, 1, 1, tzinfo=UTC)


DEMO = [d.as_course(n, _NOW) for n, d in enumerate(demo_courses(), start=1)]


def _scripts(text: str) -> set[str]:
    return {unicodedata.name(ch).split()[0] for ch in text if ch.isalpha()}


def test_every_demo_course_has_a_valid_outline_with_a_preview_lesson() -> None:
    for course in DEMO:
        outline = demo_outline(course)
        assert outline == demo_outline(course), course.slug
        kinds = {lesson.kind for lesson, _ in outline}
        assert kinds == set(LessonKind), course.slug
        first, first_exercises = outline[0]
        assert first.is_preview and first.kind is LessonKind.TYPING and first_exercises
        assert [lesson.is_preview for lesson, _ in outline].count(True) == 1
        for lesson, exercises in outline:
            assert check_fields(dataclasses.asdict(lesson)) is None, lesson
            assert (lesson.kind is LessonKind.TYPING) == bool(exercises), lesson
            for exercise in exercises:
                assert check_fields(dataclasses.asdict(exercise)) is None, exercise


def test_exercises_are_in_the_course_script_on_its_keyboard() -> None:
    by_slug = {course.slug: course for course in DEMO}
    hindi = next(c for c in DEMO if "remington" in c.slug and c.language == "hi")
    hindi_exercises = [e for _, es in demo_outline(hindi) for e in es]
    assert {e.keyboard_layout for e in hindi_exercises} == {KeyboardLayout.REMINGTON_GAIL}
    assert all(_scripts(e.text) == {"DEVANAGARI"} for e in hindi_exercises)
    tamil = next(c for c in DEMO if c.category is Category.LANGUAGES and c.language == "ta")
    assert all(_scripts(e.text) == {"TAMIL"} for _, es in demo_outline(tamil) for e in es)
    german = next(c for c in DEMO if c.language == "de" and "qwertz" in c.slug)
    assert {e.keyboard_layout for _, es in demo_outline(german) for e in es} == {
        KeyboardLayout.QWERTZ
    }
    coding = [c for c in by_slug.values() if c.category is Category.CODING]
    for course in coding:
        exercises = [e for _, es in demo_outline(course) for e in es]
        # Code is code whatever language the course is taught in.
        assert {(e.language, e.keyboard_layout) for e in exercises} == {
            ("en", KeyboardLayout.QWERTY)
        }, course.slug
        assert all(set(e.text) & set("(){}[]<>;=|$") for e in exercises), course.slug


async def test_seeded_demo_user_opens_a_subscribed_lesson(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    report = await seed_demo(backends)
    assert report.lessons > report.courses
    token = token_for(SHOWCASE_USER)
    mine = await graphql(
        client,
        """{ me { subscriptions(first: 1) { edges { node { course { lessons(first: 3) {
             edges { node { id isPreview } } } } } } } } }""",
        token=token,
    )
    course = mine["data"]["me"]["subscriptions"]["edges"][0]["node"]["course"]
    locked = next(e["node"] for e in course["lessons"]["edges"] if not e["node"]["isPreview"])
    document = """query($id: ID!) { lesson(id: $id) { kind exercises { __typename
      ... on ExerciseList { items { text } } } } }"""
    opened = await graphql(client, document, {"id": locked["id"]}, token)
    lesson = opened["data"]["lesson"]
    if lesson["kind"] == "TYPING":
        assert lesson["exercises"]["items"]
    else:
        assert lesson["exercises"] == {"__typename": "ExerciseList", "items": []}
    anonymous = await graphql(client, document, {"id": locked["id"]})
    assert anonymous["data"]["lesson"]["exercises"]["__typename"] == "NotEntitled"


async def test_seeded_courses_have_covers_and_beginners_a_keyboard_diagram(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    await seed_demo(backends)
    page = await graphql(
        client,
        """{ courses(first: 100, filter: {difficulty: BEGINNER, language: "en"}) { edges { node {
             id coverImage { width variants { width } }
             lessons(first: 1) { edges { node { isPreview assets { __typename
               ... on AssetList { items { kind contentType width variants { name } } } } } } }
           } } } }""",
    )
    nodes = [edge["node"] for edge in page["data"]["courses"]["edges"]]
    assert nodes and all(node["coverImage"]["width"] == 1280 for node in nodes)
    first_lessons = [node["lessons"]["edges"][0]["node"] for node in nodes]
    diagrams = [
        item
        for lesson in first_lessons
        for item in lesson["assets"].get("items", [])
        if lesson["isPreview"]
    ]
    assert diagrams, "no beginner course shows a keyboard diagram"
    assert all(d["kind"] == "IMAGE" and d["contentType"] == "image/png" for d in diagrams)
