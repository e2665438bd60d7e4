"""Exercise results (signed-in learners) and content writes (admins)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from records.content import AssetKind, Exercise, Lesson, LessonContent
from resolvers.content import admin, progress, uploads
from resolvers.content.progress import SubmittedResult
from schema.common.cost import ListSize
from schema.common.info import Info
from schema.common.problems import (
    Forbidden,
    InvalidInput,
    NotEntitled,
    NotFound,
    Unauthenticated,
)
from schema.common.results import result
from schema.content.assets import AssetPayload, AssetUpload, VideoUpload, asset_payload
from schema.content.inputs import (
    CreateExerciseInput,
    CreateLessonInput,
    UpdateExerciseInput,
    UpdateLessonInput,
    VideoFileInput,
)
from schema.content.types import (
    CourseProgressType,
    ExerciseStandingType,
    ExerciseType,
    LessonType,
)


@strawberry.type
class ExerciseResultPayload:
    standing: ExerciseStandingType
    progress: CourseProgressType


@strawberry.type
class LessonPayload:
    lesson: LessonType


@strawberry.type
class LessonsPayload:
    lessons: list[LessonType]


@strawberry.type
class ExercisePayload:
    lesson: LessonType
    exercise: ExerciseType


@strawberry.type
class ExercisesPayload:
    lesson: LessonType
    exercises: list[ExerciseType]


SubmitExerciseResultResult = Annotated[
    ExerciseResultPayload | NotFound | NotEntitled | Unauthenticated | InvalidInput,
    strawberry.union("SubmitExerciseResultResult"),
]
LessonResult = Annotated[
    LessonPayload | NotFound | Unauthenticated | Forbidden | InvalidInput,
    strawberry.union("LessonResult"),
]
LessonsResult = Annotated[
    LessonsPayload | NotFound | Unauthenticated | Forbidden | InvalidInput,
    strawberry.union("LessonsResult"),
]
ExerciseResult = Annotated[
    ExercisePayload | NotFound | Unauthenticated | Forbidden | InvalidInput,
    strawberry.union("ExerciseResult"),
]
AssetUploadResult = Annotated[
    AssetUpload | NotFound | Unauthenticated | Forbidden | InvalidInput,
    strawberry.union("AssetUploadResult"),
]
VideoUploadResult = Annotated[
    VideoUpload | NotFound | Unauthenticated | Forbidden | InvalidInput,
    strawberry.union("VideoUploadResult"),
]
CompleteAssetUploadResult = Annotated[
    AssetPayload | NotFound | Unauthenticated | Forbidden | InvalidInput,
    strawberry.union("CompleteAssetUploadResult"),
]
ExercisesResultPayload = Annotated[
    ExercisesPayload | NotFound | Unauthenticated | Forbidden | InvalidInput,
    strawberry.union("ReorderExercisesResult"),
]


def _submitted(submitted: SubmittedResult) -> ExerciseResultPayload:
    return ExerciseResultPayload(
        standing=ExerciseStandingType.from_record(submitted.standing),
        progress=CourseProgressType.from_record(submitted.progress),
    )


def _lesson(lesson: Lesson) -> LessonPayload:
    return LessonPayload(lesson=LessonType.from_record(lesson))


def _lessons(lessons: list[Lesson]) -> LessonsPayload:
    return LessonsPayload(lessons=[LessonType.from_record(lesson) for lesson in lessons])


def _exercise(written: tuple[Lesson, Exercise]) -> ExercisePayload:
    lesson, exercise = written
    return ExercisePayload(
        lesson=LessonType.from_record(lesson), exercise=ExerciseType.from_record(exercise)
    )


def _exercises(content: LessonContent) -> ExercisesPayload:
    return ExercisesPayload(
        lesson=LessonType.from_record(content.lesson),
        exercises=[ExerciseType.from_record(e) for e in content.exercises],
    )


@strawberry.type
class ContentMutations:
    @strawberry.mutation(
        description="Record one attempt at an exercise (speed in words of 5 characters per"
        " minute, accuracy in percent); answers the exercise's standing and the course progress"
    )
    async def submit_exercise_result(
        self, info: Info, exercise_id: strawberry.ID, wpm: float, accuracy: float, duration_ms: int
    ) -> SubmitExerciseResultResult:
        outcome = await progress.submit_result(
            info.context, exercise_id, wpm, accuracy, duration_ms
        )
        return result(outcome, _submitted, NotFound, NotEntitled, Unauthenticated, InvalidInput)

    @strawberry.mutation(
        description="Admin: add a lesson at `position` (later ones move down), or last"
    )
    async def create_lesson(
        self,
        info: Info,
        course_id: strawberry.ID,
        input: CreateLessonInput,
        position: int | None = None,
    ) -> LessonResult:
        outcome = await admin.create_lesson(info.context, course_id, input.to_draft, position)
        return result(outcome, _lesson, NotFound, Unauthenticated, Forbidden, InvalidInput)

    @strawberry.mutation(description="Admin: change some fields of a lesson")
    async def update_lesson(
        self, info: Info, id: strawberry.ID, input: UpdateLessonInput
    ) -> LessonResult:
        outcome = await admin.update_lesson(info.context, id, input.changes)
        return result(outcome, _lesson, NotFound, Unauthenticated, Forbidden, InvalidInput)

    @strawberry.mutation(
        description="Admin: put every lesson of a course in the order given",
        directives=[ListSize(slicing_arguments=["lessonIds"], sized_fields=["lessons"])],
    )
    async def reorder_lessons(
        self, info: Info, course_id: strawberry.ID, lesson_ids: list[strawberry.ID]
    ) -> LessonsResult:
        outcome = await admin.reorder_lessons(info.context, course_id, lesson_ids)
        return result(outcome, _lessons, NotFound, Unauthenticated, Forbidden, InvalidInput)

    @strawberry.mutation(description="Admin: add an exercise at the end of a lesson")
    async def create_exercise(
        self, info: Info, lesson_id: strawberry.ID, input: CreateExerciseInput
    ) -> ExerciseResult:
        outcome = await admin.create_exercise(info.context, lesson_id, input.to_draft)
        return result(outcome, _exercise, NotFound, Unauthenticated, Forbidden, InvalidInput)

    @strawberry.mutation(description="Admin: change some fields of an exercise")
    async def update_exercise(
        self, info: Info, id: strawberry.ID, input: UpdateExerciseInput
    ) -> ExerciseResult:
        outcome = await admin.update_exercise(info.context, id, input.changes)
        return result(outcome, _exercise, NotFound, Unauthenticated, Forbidden, InvalidInput)

    @strawberry.mutation(
        description="Admin: a form to upload a lesson's media straight to storage (`bytes` is"
        " the file's exact size); completeAssetUpload then checks it"
    )
    async def create_asset_upload(
        self,
        info: Info,
        lesson_id: strawberry.ID,
        kind: AssetKind,
        content_type: str,
        bytes: int,
    ) -> AssetUploadResult:
        outcome = await uploads.create_upload(
            info.context, lesson_id, None, kind, content_type, bytes
        )
        return result(
            outcome, AssetUpload.from_grant, NotFound, Unauthenticated, Forbidden, InvalidInput
        )

    @strawberry.mutation(
        description="Admin: forms to upload a video lesson's HLS folder straight to storage, one"
        " per file (index.m3u8 at the root, variant playlists at most one folder down, .ts,"
        " .m4s, .mp4 init, .vtt and .aac files); completeAssetUpload then checks the folder",
        directives=[ListSize(slicing_arguments=["files"], sized_fields=["files"])],
    )
    async def create_video_upload(
        self, info: Info, lesson_id: strawberry.ID, files: list[VideoFileInput]
    ) -> VideoUploadResult:
        outcome = await uploads.create_video_upload(
            info.context, lesson_id, [(file.path, file.bytes) for file in files]
        )
        return result(
            outcome, VideoUpload.from_grant, NotFound, Unauthenticated, Forbidden, InvalidInput
        )

    @strawberry.mutation(description="Admin: a form to upload a course's cover image")
    async def create_cover_upload(
        self, info: Info, course_id: strawberry.ID, content_type: str, bytes: int
    ) -> AssetUploadResult:
        outcome = await uploads.create_upload(
            info.context, None, course_id, AssetKind.IMAGE, content_type, bytes
        )
        return result(
            outcome, AssetUpload.from_grant, NotFound, Unauthenticated, Forbidden, InvalidInput
        )

    @strawberry.mutation(
        description="Admin: check an uploaded file (type, size, contents) or video folder (every"
        " file, its playlists), make WebP renditions of images, and add it to its lesson (or"
        " make it the course's cover)"
    )
    async def complete_asset_upload(
        self, info: Info, asset_id: strawberry.ID
    ) -> CompleteAssetUploadResult:
        outcome = await uploads.complete_upload(info.context, asset_id)
        return result(outcome, asset_payload, NotFound, Unauthenticated, Forbidden, InvalidInput)

    @strawberry.mutation(
        description="Admin: put every exercise of a lesson in the order given",
        directives=[ListSize(slicing_arguments=["exerciseIds"], sized_fields=["exercises"])],
    )
    async def reorder_exercises(
        self, info: Info, lesson_id: strawberry.ID, exercise_ids: list[strawberry.ID]
    ) -> ExercisesResultPayload:
        outcome = await admin.reorder_exercises(info.context, lesson_id, exercise_ids)
        return result(outcome, _exercises, NotFound, Unauthenticated, Forbidden, InvalidInput)
