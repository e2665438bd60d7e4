"""Content types: lessons (the outline everyone sees), exercises (behind entitlement), progress."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.utils.await_maybe import AwaitableOrValue

from records.content import (
    CourseProgress,
    Exercise,
    ExerciseStanding,
    KeyboardLayout,
    Lesson,
    LessonKind,
)
from resolvers.content import assets, outline
from resolvers.pagination import Page
from resolvers.subscriptions import course_of
from schema.catalog.types import CourseType, course_type_of
from schema.common.cost import ASSUMED_EXERCISES_PER_LESSON, ListSize
from schema.common.info import Info
from schema.common.pagination import PageInfo
from schema.common.problems import NotEntitled
from schema.common.results import result
from schema.content.assets import AssetList, AssetsResult, AssetType

strawberry.enum(LessonKind, name="LessonKind")
strawberry.enum(KeyboardLayout, name="KeyboardLayout")


@strawberry.type(name="Exercise")
class ExerciseType:
    id: strawberry.ID
    position: int
    text: str = strawberry.field(description="What the learner types")
    language: str = strawberry.field(description="ISO 639-1 code of the text")
    keyboard_layout: KeyboardLayout
    target_wpm: int = strawberry.field(description="Words (5 characters) per minute to aim for")
    target_accuracy: float = strawberry.field(description="Percent; a result at or above passes")

    @classmethod
    def from_record(cls, exercise: Exercise) -> ExerciseType:
        return cls(
            id=strawberry.ID(str(exercise.id)),
            position=exercise.position,
            text=exercise.text,
            language=exercise.language,
            keyboard_layout=exercise.keyboard_layout,
            target_wpm=exercise.target_wpm,
            target_accuracy=exercise.target_accuracy,
        )


@strawberry.type
class ExerciseList:
    items: list[ExerciseType] = strawberry.field(
        directives=[ListSize(assumed_size=ASSUMED_EXERCISES_PER_LESSON)]
    )


ExercisesResult = Annotated[ExerciseList | NotEntitled, strawberry.union("ExercisesResult")]


@strawberry.type(name="Lesson")
class LessonType:
    id: strawberry.ID
    course_id: strawberry.ID
    position: int = strawberry.field(description="1, 2, ... within the course")
    title: str
    kind: LessonKind
    duration_seconds: int
    is_preview: bool = strawberry.field(description="Exercises and media open to everyone")
    record: strawberry.Private[Lesson]

    @strawberry.field(graphql_type=CourseType | None)
    def course(self, info: Info) -> AwaitableOrValue[CourseType | None]:
        return course_type_of(course_of(info.context, self.record.course_id))

    @strawberry.field(
        description="The exercises, for subscribers of the course (everyone on a preview lesson)"
    )
    async def exercises(self, info: Info) -> ExercisesResult:
        outcome = await outline.exercises_of(info.context, self.record)
        return result(
            outcome,
            lambda exercises: ExerciseList(items=[ExerciseType.from_record(e) for e in exercises]),
            NotEntitled,
        )

    @strawberry.field(
        description="The media (images, video, PDF, audio) behind signed, expiring links, for"
        " subscribers of the course (everyone on a preview lesson)"
    )
    async def assets(self, info: Info) -> AssetsResult:
        outcome = await assets.assets_of(info.context, self.record)
        return result(
            outcome,
            lambda items: AssetList(items=[AssetType.from_signed(a) for a in items]),
            NotEntitled,
        )

    @classmethod
    def from_record(cls, lesson: Lesson) -> LessonType:
        return cls(
            id=strawberry.ID(str(lesson.id)),
            course_id=strawberry.ID(str(lesson.course_id)),
            position=lesson.position,
            title=lesson.title,
            kind=lesson.kind,
            duration_seconds=lesson.duration_seconds,
            is_preview=lesson.is_preview,
            record=lesson,
        )


@strawberry.type
class LessonEdge:
    cursor: str
    node: LessonType


@strawberry.type
class LessonConnection:
    edges: list[LessonEdge]
    page_info: PageInfo
    total_count: int

    @classmethod
    def from_page(cls, page: Page[Lesson], total_count: int) -> LessonConnection:
        edges = [
            LessonEdge(cursor=cursor, node=LessonType.from_record(lesson))
            for lesson, cursor in zip(page.items, page.cursors, strict=True)
        ]
        return cls(
            edges=edges,
            page_info=PageInfo.of(page.cursors, page.has_next_page),
            total_count=total_count,
        )


@strawberry.type(name="ExerciseStanding")
class ExerciseStandingType:
    exercise_id: strawberry.ID
    attempts: int
    best_wpm: float
    average_accuracy: float
    passed: bool = strawberry.field(description="At least one attempt met the accuracy target")

    @classmethod
    def from_record(cls, standing: ExerciseStanding) -> ExerciseStandingType:
        return cls(
            exercise_id=strawberry.ID(str(standing.exercise_id)),
            attempts=standing.attempts,
            best_wpm=standing.best_wpm,
            average_accuracy=standing.accuracy_sum / standing.attempts,
            passed=standing.passed,
        )


@strawberry.type(name="CourseProgress")
class CourseProgressType:
    completed_lessons: int = strawberry.field(
        description="Lessons whose every exercise was passed at least once"
    )
    total_lessons: int = strawberry.field(description="Lessons with exercises")
    best_wpm: float | None
    average_accuracy: float | None = strawberry.field(description="Percent, over every attempt")
    resume_lesson: LessonType | None = strawberry.field(
        description="The first lesson not completed yet; null when all are"
    )

    @classmethod
    def from_record(cls, progress: CourseProgress) -> CourseProgressType:
        return cls(
            completed_lessons=progress.completed_lessons,
            total_lessons=progress.total_lessons,
            best_wpm=progress.best_wpm,
            average_accuracy=progress.average_accuracy,
            resume_lesson=(
                None
                if progress.resume_lesson is None
                else LessonType.from_record(progress.resume_lesson)
            ),
        )
