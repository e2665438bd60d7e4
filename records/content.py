"""A course's content: its ordered lessons, a typing lesson's exercises, and what a learner
scored on them."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Final

MAX_LESSONS_PER_COURSE: Final = 500
MAX_EXERCISES_PER_LESSON: Final = 100


class LessonKind(enum.StrEnum):
    TYPING = "typing"
    VIDEO = "video"
    READING = "reading"


class KeyboardLayout(enum.StrEnum):
    """The layout an exercise's text is typed on."""

    QWERTY = "qwerty"
    QWERTZ = "qwertz"
    AZERTY = "azerty"
    INSCRIPT = "inscript"
    REMINGTON_GAIL = "remington_gail"
    TAMIL99 = "tamil99"
    AVRO_PHONETIC = "avro_phonetic"
    NUDI = "nudi"


@dataclass(frozen=True, slots=True)
class Lesson:
    id: int
    course_id: int
    position: int  # 1, 2, ... within the course
    title: str
    kind: LessonKind
    duration_seconds: int
    is_preview: bool  # its exercises and assets are open to everyone
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Exercise:
    id: int
    lesson_id: int
    position: int  # 1, 2, ... within the lesson
    text: str
    language: str  # ISO 639-1 code of the text (code snippets: the prose language around them)
    keyboard_layout: KeyboardLayout
    target_wpm: int
    target_accuracy: float  # percent


@dataclass(frozen=True, slots=True)
class LessonDraft:
    title: str
    kind: LessonKind
    duration_seconds: int
    is_preview: bool = False


@dataclass(frozen=True, slots=True)
class ExerciseDraft:
    text: str
    language: str
    keyboard_layout: KeyboardLayout
    target_wpm: int
    target_accuracy: float


@dataclass(frozen=True, slots=True)
class LessonContent:
    """A lesson with its exercises and media, as one cache entry holds them."""

    lesson: Lesson
    exercises: tuple[Exercise, ...]
    assets: tuple[Asset, ...] = ()


@dataclass(frozen=True, slots=True)
class ExerciseAttempt:
    """One submitted result, checked for plausibility before it is stored."""

    user_id: int
    course_id: int
    lesson_id: int
    exercise_id: int
    wpm: float
    accuracy: float  # percent
    duration_ms: int
    passed: bool  # met the exercise's accuracy target
    submitted_at: datetime


@dataclass(frozen=True, slots=True)
class ExerciseStanding:
    """A user's standing on one exercise over every attempt."""

    exercise_id: int
    lesson_id: int
    attempts: int
    best_wpm: float
    accuracy_sum: float
    passed: bool  # at least one attempt met the accuracy target
    last_submitted_at: datetime


@dataclass(frozen=True, slots=True)
class CourseProgress:
    completed_lessons: int
    total_lessons: int  # lessons with exercises: the ones a result can complete
    best_wpm: float | None
    average_accuracy: float | None
    resume_lesson: Lesson | None  # the first typing lesson not completed


class AssetKind(enum.StrEnum):
    IMAGE = "image"
    VIDEO = "video"
    PDF = "pdf"
    AUDIO = "audio"


@dataclass(frozen=True, slots=True)
class AssetVariant:
    """A derived rendition (a WebP of an image at one width), content-addressed."""

    name: str
    content_type: str
    bytes: int
    object_key: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class Asset:
    """A checked object in storage: a lesson's media, or a course's cover (lesson_id None)."""

    id: int
    course_id: int
    lesson_id: int | None
    kind: AssetKind
    content_type: str
    bytes: int
    object_key: str
    width: int | None
    height: int | None
    created_at: datetime
    variants: tuple[AssetVariant, ...] = ()

    @property
    def is_cover(self) -> bool:
        return self.lesson_id is None


@dataclass(frozen=True, slots=True)
class PendingUpload:
    """What an upload was granted for, pinned in its signed form and kept with the uploaded
    object until completion turns it into an Asset: no row exists before the check passed."""

    asset_id: int
    course_id: int
    lesson_id: int | None
    kind: AssetKind
    content_type: str
    bytes: int
