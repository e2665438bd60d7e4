"""A learner's exercise results and their progress through a course.

A result is checked before it is stored: the exercise exists, the user may open its lesson,
and the figures are possible (speed, accuracy and duration in range, and no faster than typing
the exercise's whole text in the time given allows).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from records.content import (
    CourseProgress,
    Exercise,
    ExerciseAttempt,
    ExerciseStanding,
    Lesson,
    LessonContent,
)
from resolvers.content.entitlement import may_open
from resolvers.context import RequestContext
from resolvers.errors import NOT_ENTITLED, UNAUTHENTICATED, Problem, invalid, not_found
from resolvers.ids import id_or_problem, require_id

MAX_WPM = 250.0  # above the sustained world record: anything faster is not a person typing
MIN_DURATION_MS = 1_000
MAX_DURATION_MS = 3_600_000
CHARACTERS_PER_WORD = 5  # the standard definition of a typed "word"
# Rounding and a client's clock: a claimed speed may exceed the text-over-time speed this much.
SPEED_TOLERANCE = 1.1


@dataclass(frozen=True, slots=True)
class SubmittedResult:
    standing: ExerciseStanding
    progress: CourseProgress


async def submit_result(
    ctx: RequestContext, raw_exercise_id: str, wpm: float, accuracy: float, duration_ms: int
) -> SubmittedResult | Problem:
    if ctx.principal is None:
        return UNAUTHENTICATED
    exercise_id = id_or_problem(raw_exercise_id, "exerciseId")
    if isinstance(exercise_id, Problem):
        return exercise_id
    lesson_id = (await ctx.backends.content.lessons_of_exercises([exercise_id])).get(exercise_id)
    content = None if lesson_id is None else await ctx.loaders.lesson.load(lesson_id)
    exercise = None if content is None else _exercise_in(content, exercise_id)
    if content is None or exercise is None:
        return not_found("exercise")
    if not await may_open(ctx, content.lesson):
        return NOT_ENTITLED
    problem = _implausible(exercise, wpm, accuracy, duration_ms)
    if problem is not None:
        return problem
    standing = await ctx.backends.progress.record(
        ExerciseAttempt(
            user_id=ctx.principal.user_id,
            course_id=content.lesson.course_id,
            lesson_id=content.lesson.id,
            exercise_id=exercise.id,
            wpm=wpm,
            accuracy=accuracy,
            duration_ms=duration_ms,
            passed=accuracy >= exercise.target_accuracy,
            submitted_at=ctx.now,
        )
    )
    return SubmittedResult(standing, await _progress(ctx, content.lesson.course_id))


async def course_progress(ctx: RequestContext, raw_course_id: str) -> CourseProgress:
    course_id = require_id(raw_course_id, "courseId")
    ctx.require_user()
    return await _progress(ctx, course_id)


async def _progress(ctx: RequestContext, course_id: int) -> CourseProgress:
    user = ctx.require_user()
    outline = await ctx.loaders.outline.load(course_id)
    contents = await ctx.loaders.lesson.load_many([lesson.id for lesson in outline])
    standings = await ctx.backends.progress.standings(user.user_id, course_id)
    return progress_of(outline, [c for c in contents if c is not None], standings)


def progress_of(
    outline: Sequence[Lesson],
    contents: Sequence[LessonContent],
    standings: Sequence[ExerciseStanding],
) -> CourseProgress:
    """Lessons with exercises count; one is completed when every exercise it has now was
    passed at least once. Speed and accuracy are over every attempt in the course."""
    passed = {s.exercise_id for s in standings if s.passed}
    exercises_of = {c.lesson.id: c.exercises for c in contents}
    measurable = [lesson for lesson in outline if exercises_of.get(lesson.id)]
    completed = {
        lesson.id
        for lesson in measurable
        if all(exercise.id in passed for exercise in exercises_of[lesson.id])
    }
    attempts = sum(s.attempts for s in standings)
    return CourseProgress(
        completed_lessons=len(completed),
        total_lessons=len(measurable),
        best_wpm=max((s.best_wpm for s in standings), default=None),
        average_accuracy=sum(s.accuracy_sum for s in standings) / attempts if attempts else None,
        resume_lesson=next((lesson for lesson in measurable if lesson.id not in completed), None),
    )


def _exercise_in(content: LessonContent, exercise_id: int) -> Exercise | None:
    return next((e for e in content.exercises if e.id == exercise_id), None)


def _implausible(
    exercise: Exercise, wpm: float, accuracy: float, duration_ms: int
) -> Problem | None:
    if not 0 < wpm <= MAX_WPM:
        return invalid("wpm", f"wpm: more than 0 and at most {MAX_WPM:g}")
    if not 0 <= accuracy <= 100:
        return invalid("accuracy", "accuracy: a percentage from 0 to 100")
    if not MIN_DURATION_MS <= duration_ms <= MAX_DURATION_MS:
        return invalid(
            "durationMs", f"durationMs: from {MIN_DURATION_MS} to {MAX_DURATION_MS} milliseconds"
        )
    words = len(exercise.text) / CHARACTERS_PER_WORD
    fastest = words / (duration_ms / 60_000) * SPEED_TOLERANCE
    if wpm > fastest:
        return invalid(
            "wpm",
            f"wpm: {wpm:g} is faster than typing this exercise's {len(exercise.text)} characters"
            f" in {duration_ms} ms allows (at most {fastest:.0f})",
        )
    return None
