"""`course_lessons` and `lesson_exercises` on the catalog database.

Every write locks its course's row first (content writes of one course run one at a time, so
positions never collide) and appends a course.changed event in its transaction, like a catalog
write: search and the response caches follow content changes the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from datasources.ids import IdGenerator
from datasources.sql import event_outbox
from datasources.sql.engine import Row, SqlEngine, SqlExecutor
from datasources.sql.timestamps import from_db_required
from records.content import (
    MAX_EXERCISES_PER_LESSON,
    MAX_LESSONS_PER_COURSE,
    Exercise,
    ExerciseDraft,
    KeyboardLayout,
    Lesson,
    LessonContent,
    LessonDraft,
    LessonKind,
)

_LESSON_COLUMNS = "id, course_id, position, title, kind, duration_seconds, is_preview, updated_at"
_EXERCISE_COLUMNS = (
    "id, lesson_id, position, text, language, keyboard_layout, target_wpm, target_accuracy"
)
_INSERT_LESSON = (
    "INSERT INTO course_lessons (course_id, position, title, kind, duration_seconds,"
    " is_preview, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_EXERCISE = (
    "INSERT INTO lesson_exercises (lesson_id, position, text, language, keyboard_layout,"
    " target_wpm, target_accuracy) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_LESSON_UPDATABLE: dict[str, Callable[[Any], object]] = {
    "title": str,
    "kind": lambda kind: LessonKind(kind).value,
    "duration_seconds": int,
    "is_preview": lambda preview: 1 if preview else 0,
}
_EXERCISE_UPDATABLE: dict[str, Callable[[Any], object]] = {
    "text": str,
    "language": str,
    "keyboard_layout": lambda layout: KeyboardLayout(layout).value,
    "target_wpm": int,
    "target_accuracy": float,
}


class CourseMissing(Exception):
    """The course, lesson or exercise a content write names does not exist."""


class ParentFull(Exception):
    """The course already has MAX_LESSONS_PER_COURSE lessons, or the lesson
    MAX_EXERCISES_PER_LESSON exercises."""


class NotAPermutation(Exception):
    """A reorder must name every lesson (or exercise) of its parent exactly once."""


def lesson_from_row(row: Row) -> Lesson:
    return Lesson(
        id=int(row[0]),
        course_id=int(row[1]),
        position=int(row[2]),
        title=row[3],
        kind=LessonKind(row[4]),
        duration_seconds=int(row[5]),
        is_preview=bool(row[6]),
        updated_at=from_db_required(row[7]),
    )


def exercise_from_row(row: Row) -> Exercise:
    return Exercise(
        id=int(row[0]),
        lesson_id=int(row[1]),
        position=int(row[2]),
        text=row[3],
        language=row[4],
        keyboard_layout=KeyboardLayout(row[5]),
        target_wpm=int(row[6]),
        target_accuracy=float(row[7]),
    )


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))


def _lesson_params(course_id: int, position: int, draft: LessonDraft, now: datetime) -> Row:
    return (
        course_id,
        position,
        draft.title,
        draft.kind.value,
        draft.duration_seconds,
        1 if draft.is_preview else 0,
        now,
    )


def _exercise_params(lesson_id: int, position: int, draft: ExerciseDraft) -> Row:
    return (
        lesson_id,
        position,
        draft.text,
        draft.language,
        draft.keyboard_layout.value,
        draft.target_wpm,
        draft.target_accuracy,
    )


class SqlContentStore:
    def __init__(self, engine: SqlEngine, ids: IdGenerator) -> None:
        self.engine = engine
        self._ids = ids

    async def outlines(self, course_ids: Sequence[int]) -> dict[int, list[Lesson]]:
        """Every lesson of each course, in position order (a course without any: [])."""
        if not course_ids:
            return {}
        rows = await self.engine.fetch_all(
            f"SELECT {_LESSON_COLUMNS} FROM course_lessons WHERE course_id IN"
            f" ({_marks(course_ids)}) ORDER BY course_id, position, id",
            tuple(course_ids),
        )
        found: dict[int, list[Lesson]] = {course_id: [] for course_id in course_ids}
        for lesson in map(lesson_from_row, rows):
            found[lesson.course_id].append(lesson)
        return found

    async def lesson_contents(self, lesson_ids: Sequence[int]) -> dict[int, LessonContent]:
        """Each lesson that exists, with its exercises in position order."""
        if not lesson_ids:
            return {}
        lessons = await self.engine.fetch_all(
            f"SELECT {_LESSON_COLUMNS} FROM course_lessons WHERE id IN ({_marks(lesson_ids)})",
            tuple(lesson_ids),
        )
        exercises = await self.engine.fetch_all(
            f"SELECT {_EXERCISE_COLUMNS} FROM lesson_exercises WHERE lesson_id IN"
            f" ({_marks(lesson_ids)}) ORDER BY lesson_id, position, id",
            tuple(lesson_ids),
        )
        by_lesson: dict[int, list[Exercise]] = defaultdict(list)
        for exercise in map(exercise_from_row, exercises):
            by_lesson[exercise.lesson_id].append(exercise)
        return {
            lesson.id: LessonContent(lesson, tuple(by_lesson[lesson.id]))
            for lesson in map(lesson_from_row, lessons)
        }

    async def lessons_of_exercises(self, exercise_ids: Sequence[int]) -> dict[int, int]:
        """The lesson of each exercise that exists (an exercise never changes lesson)."""
        if not exercise_ids:
            return {}
        rows = await self.engine.fetch_all(
            f"SELECT id, lesson_id FROM lesson_exercises WHERE id IN ({_marks(exercise_ids)})",
            tuple(exercise_ids),
        )
        return {int(row[0]): int(row[1]) for row in rows}

    async def create_lesson(
        self, course_id: int, draft: LessonDraft, position: int | None, now: datetime
    ) -> Lesson:
        """At `position` (1-based; later lessons move down one), or last when None or past
        the end. Raises CourseMissing, ParentFull."""
        async with self.engine.transaction() as tx:
            await self._lock_course(tx, course_id)
            count = await _count(tx, "course_lessons", "course_id", course_id)
            if count >= MAX_LESSONS_PER_COURSE:
                raise ParentFull(f"course {course_id}")
            at = count + 1 if position is None else max(1, min(position, count + 1))
            await tx.execute(
                "UPDATE course_lessons SET position = position + 1"
                " WHERE course_id = ? AND position >= ?",
                (course_id, at),
            )
            lesson_id = await tx.insert(_INSERT_LESSON, _lesson_params(course_id, at, draft, now))
            await self._changed(tx, course_id, now)
            return await _lesson_in(tx, lesson_id)

    async def update_lesson(
        self, lesson_id: int, changes: Mapping[str, object], now: datetime
    ) -> Lesson:
        """Raises CourseMissing when the lesson does not exist."""
        values = _assignments(changes, _LESSON_UPDATABLE)
        async with self.engine.transaction() as tx:
            course_id = await self._lock_course_of_lesson(tx, lesson_id)
            await tx.execute(
                f"UPDATE course_lessons SET {values.sql}, updated_at = ? WHERE id = ?",
                (*values.params, now, lesson_id),
            )
            await self._changed(tx, course_id, now)
            return await _lesson_in(tx, lesson_id)

    async def reorder_lessons(
        self, course_id: int, lesson_ids: Sequence[int], now: datetime
    ) -> list[Lesson]:
        """Positions 1.. in the order given. Raises CourseMissing, NotAPermutation."""
        async with self.engine.transaction() as tx:
            await self._lock_course(tx, course_id)
            rows = await tx.fetch_all(
                "SELECT id FROM course_lessons WHERE course_id = ?", (course_id,)
            )
            await _renumber(tx, "course_lessons", {int(r[0]) for r in rows}, lesson_ids, now)
            await self._changed(tx, course_id, now)
            outline = await tx.fetch_all(
                f"SELECT {_LESSON_COLUMNS} FROM course_lessons WHERE course_id = ?"
                " ORDER BY position, id",
                (course_id,),
            )
            return [lesson_from_row(row) for row in outline]

    async def create_exercise(
        self, lesson_id: int, draft: ExerciseDraft, now: datetime
    ) -> tuple[Lesson, Exercise]:
        """Appended to the lesson. Raises CourseMissing, ParentFull."""
        async with self.engine.transaction() as tx:
            course_id = await self._lock_course_of_lesson(tx, lesson_id)
            count = await _count(tx, "lesson_exercises", "lesson_id", lesson_id)
            if count >= MAX_EXERCISES_PER_LESSON:
                raise ParentFull(f"lesson {lesson_id}")
            position = count + 1
            exercise_id = await tx.insert(
                _INSERT_EXERCISE, _exercise_params(lesson_id, position, draft)
            )
            await self._touch_lesson(tx, lesson_id, course_id, now)
            return await _lesson_in(tx, lesson_id), await _exercise_in(tx, exercise_id)

    async def update_exercise(
        self, exercise_id: int, changes: Mapping[str, object], now: datetime
    ) -> tuple[Lesson, Exercise]:
        """Raises CourseMissing when the exercise does not exist."""
        values = _assignments(changes, _EXERCISE_UPDATABLE)
        lesson_id = (await self.lessons_of_exercises([exercise_id])).get(exercise_id)
        if lesson_id is None:
            raise CourseMissing(f"exercise {exercise_id}")
        async with self.engine.transaction() as tx:
            course_id = await self._lock_course_of_lesson(tx, lesson_id)
            await tx.execute(
                f"UPDATE lesson_exercises SET {values.sql} WHERE id = ?",
                (*values.params, exercise_id),
            )
            await self._touch_lesson(tx, lesson_id, course_id, now)
            return await _lesson_in(tx, lesson_id), await _exercise_in(tx, exercise_id)

    async def reorder_exercises(
        self, lesson_id: int, exercise_ids: Sequence[int], now: datetime
    ) -> LessonContent:
        """Raises CourseMissing, NotAPermutation."""
        async with self.engine.transaction() as tx:
            course_id = await self._lock_course_of_lesson(tx, lesson_id)
            rows = await tx.fetch_all(
                "SELECT id FROM lesson_exercises WHERE lesson_id = ?", (lesson_id,)
            )
            await _renumber(tx, "lesson_exercises", {int(r[0]) for r in rows}, exercise_ids, None)
            await self._touch_lesson(tx, lesson_id, course_id, now)
        return (await self.lesson_contents([lesson_id]))[lesson_id]

    async def bulk_insert(
        self,
        course_id: int,
        lessons: Sequence[tuple[LessonDraft, Sequence[ExerciseDraft]]],
        now: datetime,
    ) -> list[int]:
        """Seeding path: one course's whole outline in one transaction, no outbox (a reindex
        follows a seed); the lessons' ids in order."""
        lesson_ids: list[int] = []
        async with self.engine.transaction() as tx:
            for position, (draft, exercises) in enumerate(lessons, start=1):
                lesson_id = await tx.insert(
                    _INSERT_LESSON, _lesson_params(course_id, position, draft, now)
                )
                lesson_ids.append(lesson_id)
                await tx.execute_many(
                    _INSERT_EXERCISE,
                    [
                        _exercise_params(lesson_id, number, exercise)
                        for number, exercise in enumerate(exercises, start=1)
                    ],
                )
        return lesson_ids

    async def _lock_course(self, tx: SqlExecutor, course_id: int) -> None:
        row = await tx.fetch_one(
            f"SELECT id FROM typing_courses WHERE id = ?{self.engine.dialect.for_update}",
            (course_id,),
        )
        if row is None:
            raise CourseMissing(f"course {course_id}")

    async def _lock_course_of_lesson(self, tx: SqlExecutor, lesson_id: int) -> int:
        row = await tx.fetch_one("SELECT course_id FROM course_lessons WHERE id = ?", (lesson_id,))
        if row is None:
            raise CourseMissing(f"lesson {lesson_id}")
        await self._lock_course(tx, int(row[0]))
        return int(row[0])

    async def _touch_lesson(
        self, tx: SqlExecutor, lesson_id: int, course_id: int, now: datetime
    ) -> None:
        await tx.execute("UPDATE course_lessons SET updated_at = ? WHERE id = ?", (now, lesson_id))
        await self._changed(tx, course_id, now)

    async def _changed(self, tx: SqlExecutor, course_id: int, now: datetime) -> None:
        await event_outbox.append(tx, [event_outbox.course_event(self._ids, course_id, now)])


@dataclass(frozen=True, slots=True)
class _Assignments:
    sql: str
    params: tuple[object, ...]


def _assignments(
    changes: Mapping[str, object], updatable: Mapping[str, Callable[[Any], object]]
) -> _Assignments:
    unknown = set(changes) - set(updatable)
    if unknown or not changes:
        raise ValueError(f"not updatable: {sorted(unknown) or 'nothing given'}")
    return _Assignments(
        ", ".join(f"{column} = ?" for column in changes),
        tuple(updatable[column](value) for column, value in changes.items()),
    )


async def _count(tx: SqlExecutor, table: str, parent_column: str, parent_id: int) -> int:
    row = await tx.fetch_one(
        f"SELECT COUNT(*) FROM {table} WHERE {parent_column} = ?", (parent_id,)
    )
    return 0 if row is None else int(row[0])


async def _renumber(
    tx: SqlExecutor,
    table: str,
    existing: set[int],
    ordered_ids: Sequence[int],
    now: datetime | None,
) -> None:
    if len(ordered_ids) != len(existing) or set(ordered_ids) != existing:
        raise NotAPermutation(table)
    touched = ", updated_at = ?" if now is not None else ""
    await tx.execute_many(
        f"UPDATE {table} SET position = ?{touched} WHERE id = ?",
        [
            (position, *((now,) if now is not None else ()), row_id)
            for position, row_id in enumerate(ordered_ids, start=1)
        ],
    )


async def _lesson_in(tx: SqlExecutor, lesson_id: int) -> Lesson:
    row = await tx.fetch_one(
        f"SELECT {_LESSON_COLUMNS} FROM course_lessons WHERE id = ?", (lesson_id,)
    )
    assert row is not None
    return lesson_from_row(row)


async def _exercise_in(tx: SqlExecutor, exercise_id: int) -> Exercise:
    row = await tx.fetch_one(
        f"SELECT {_EXERCISE_COLUMNS} FROM lesson_exercises WHERE id = ?", (exercise_id,)
    )
    assert row is not None
    return exercise_from_row(row)
