"""Admin use cases: writing a course's lessons and a lesson's exercises.

As with courses, each input arrives as an uncalled conversion and is looked at only once the
caller is known to be an admin.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import TypeVar

from datasources.sql.content_store import CourseMissing, NotAPermutation
from records.content import Exercise, ExerciseDraft, Lesson, LessonContent, LessonDraft
from resolvers.content.validation import (
    MAX_EXERCISES_PER_LESSON,
    MAX_LESSONS_PER_COURSE,
    check_fields,
)
from resolvers.context import RequestContext
from resolvers.errors import Problem, invalid, not_found
from resolvers.ids import id_or_problem

T = TypeVar("T")


async def create_lesson(
    ctx: RequestContext,
    raw_course_id: str,
    draft_of_input: Callable[[], LessonDraft],
    position: int | None,
) -> Lesson | Problem:
    problem = ctx.admin_problem()
    if problem is not None:
        return problem
    course_id = id_or_problem(raw_course_id, "courseId")
    if isinstance(course_id, Problem):
        return course_id
    draft = draft_of_input()
    problem = check_fields(dataclasses.asdict(draft))
    if problem is None and position is not None and position < 1:
        problem = invalid("position", "position: 1 or more (past the end: last)")
    if problem is not None:
        return problem
    outline = (await ctx.backends.content.store.outlines([course_id]))[course_id]
    if len(outline) >= MAX_LESSONS_PER_COURSE:
        return invalid("courseId", f"courseId: a course has at most {MAX_LESSONS_PER_COURSE}")
    try:
        return await ctx.backends.content.create_lesson(course_id, draft, position, ctx.now)
    except CourseMissing:
        return not_found("course")


async def update_lesson(
    ctx: RequestContext, raw_lesson_id: str, changes_of_input: Callable[[], Mapping[str, object]]
) -> Lesson | Problem:
    return await _update(
        ctx, raw_lesson_id, changes_of_input, ctx.backends.content.update_lesson, "lesson"
    )


async def reorder_lessons(
    ctx: RequestContext, raw_course_id: str, raw_lesson_ids: Sequence[str]
) -> list[Lesson] | Problem:
    problem = ctx.admin_problem()
    if problem is not None:
        return problem
    course_id = id_or_problem(raw_course_id, "courseId")
    if isinstance(course_id, Problem):
        return course_id
    lesson_ids = _ids(raw_lesson_ids, "lessonIds", MAX_LESSONS_PER_COURSE)
    if isinstance(lesson_ids, Problem):
        return lesson_ids
    try:
        return await ctx.backends.content.reorder_lessons(course_id, lesson_ids, ctx.now)
    except CourseMissing:
        return not_found("course")
    except NotAPermutation:
        return invalid("lessonIds", "lessonIds: name every lesson of the course exactly once")


async def create_exercise(
    ctx: RequestContext, raw_lesson_id: str, draft_of_input: Callable[[], ExerciseDraft]
) -> tuple[Lesson, Exercise] | Problem:
    problem = ctx.admin_problem()
    if problem is not None:
        return problem
    lesson_id = id_or_problem(raw_lesson_id, "lessonId")
    if isinstance(lesson_id, Problem):
        return lesson_id
    draft = draft_of_input()
    problem = check_fields(dataclasses.asdict(draft))
    if problem is not None:
        return problem
    existing = (await ctx.backends.content.store.lesson_contents([lesson_id])).get(lesson_id)
    if existing is None:
        return not_found("lesson")
    if len(existing.exercises) >= MAX_EXERCISES_PER_LESSON:
        return invalid("lessonId", f"lessonId: a lesson has at most {MAX_EXERCISES_PER_LESSON}")
    try:
        return await ctx.backends.content.create_exercise(lesson_id, draft, ctx.now)
    except CourseMissing:
        return not_found("lesson")


async def update_exercise(
    ctx: RequestContext,
    raw_exercise_id: str,
    changes_of_input: Callable[[], Mapping[str, object]],
) -> tuple[Lesson, Exercise] | Problem:
    return await _update(
        ctx, raw_exercise_id, changes_of_input, ctx.backends.content.update_exercise, "exercise"
    )


async def _update(
    ctx: RequestContext,
    raw_id: str,
    changes_of_input: Callable[[], Mapping[str, object]],
    write: Callable[[int, Mapping[str, object], datetime], Awaitable[T]],
    what: str,
) -> T | Problem:
    """Some fields of a lesson or an exercise: admin, id, at least one valid change."""
    problem = ctx.admin_problem()
    if problem is not None:
        return problem
    row_id = id_or_problem(raw_id, "id")
    if isinstance(row_id, Problem):
        return row_id
    changes = changes_of_input()
    if not changes:
        return invalid("input", "input: give at least one field to change")
    problem = check_fields(changes)
    if problem is not None:
        return problem
    try:
        return await write(row_id, changes, ctx.now)
    except CourseMissing:
        return not_found(what)


async def reorder_exercises(
    ctx: RequestContext, raw_lesson_id: str, raw_exercise_ids: Sequence[str]
) -> LessonContent | Problem:
    problem = ctx.admin_problem()
    if problem is not None:
        return problem
    lesson_id = id_or_problem(raw_lesson_id, "lessonId")
    if isinstance(lesson_id, Problem):
        return lesson_id
    exercise_ids = _ids(raw_exercise_ids, "exerciseIds", MAX_EXERCISES_PER_LESSON)
    if isinstance(exercise_ids, Problem):
        return exercise_ids
    try:
        return await ctx.backends.content.reorder_exercises(lesson_id, exercise_ids, ctx.now)
    except CourseMissing:
        return not_found("lesson")
    except NotAPermutation:
        return invalid("exerciseIds", "exerciseIds: name every exercise of the lesson exactly once")


def _ids(raw_ids: Sequence[str], field: str, most: int) -> list[int] | Problem:
    if len(raw_ids) > most:
        return invalid(field, f"{field}: at most {most}")
    ids: list[int] = []
    for raw in raw_ids:
        parsed = id_or_problem(raw, field)
        if isinstance(parsed, Problem):
            return parsed
        ids.append(parsed)
    return ids
