"""Admin use cases: writing a course's lessons and a lesson's exercises.

As with courses, each input arrives as an uncalled conversion and is looked at only once the
caller is known to be an admin.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import TypeVar

from datasources.sql.content_store import CourseMissing, NotAPermutation, ParentFull
from records.content import (
    MAX_EXERCISES_PER_LESSON,
    MAX_LESSONS_PER_COURSE,
    Exercise,
    ExerciseDraft,
    Lesson,
    LessonContent,
    LessonDraft,
)
from resolvers.content.validation import check_fields
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
    try:
        return await ctx.backends.content.create_lesson(course_id, draft, position, ctx.now)
    except CourseMissing:
        return not_found("course")
    except ParentFull:
        return invalid("courseId", f"courseId: a course has at most {MAX_LESSONS_PER_COURSE}")


async def update_lesson(
    ctx: RequestContext, raw_lesson_id: str, changes_of_input: Callable[[], Mapping[str, object]]
) -> Lesson | Problem:
    return await _update(
        ctx, raw_lesson_id, changes_of_input, ctx.backends.content.update_lesson, "lesson"
    )


async def reorder_lessons(
    ctx: RequestContext, raw_course_id: str, raw_lesson_ids: Sequence[str]
) -> list[Lesson] | Problem:
    return await _reorder(
        ctx,
        (raw_course_id, "courseId", "course"),
        (raw_lesson_ids, "lessonIds", "lesson", MAX_LESSONS_PER_COURSE),
        ctx.backends.content.reorder_lessons,
    )


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
    try:
        return await ctx.backends.content.create_exercise(lesson_id, draft, ctx.now)
    except CourseMissing:
        return not_found("lesson")
    except ParentFull:
        return invalid("lessonId", f"lessonId: a lesson has at most {MAX_EXERCISES_PER_LESSON}")


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
    return await _reorder(
        ctx,
        (raw_lesson_id, "lessonId", "lesson"),
        (raw_exercise_ids, "exerciseIds", "exercise", MAX_EXERCISES_PER_LESSON),
        ctx.backends.content.reorder_exercises,
    )


async def _reorder(
    ctx: RequestContext,
    parent: tuple[str, str, str],
    children: tuple[Sequence[str], str, str, int],
    write: Callable[[int, Sequence[int], datetime], Awaitable[T]],
) -> T | Problem:
    """Every child of a parent in a new order: parent (raw id, field, what), children (raw
    ids, field, what, most)."""
    raw_parent_id, parent_field, parent_name = parent
    raw_ids, field, name, most = children
    problem = ctx.admin_problem()
    if problem is not None:
        return problem
    parent_id = id_or_problem(raw_parent_id, parent_field)
    if isinstance(parent_id, Problem):
        return parent_id
    ids = _ids(raw_ids, field, most)
    if isinstance(ids, Problem):
        return ids
    try:
        return await write(parent_id, ids, ctx.now)
    except CourseMissing:
        return not_found(parent_name)
    except NotAPermutation:
        return invalid(field, f"{field}: name every {name} of the {parent_name} exactly once")


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
