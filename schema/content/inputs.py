"""Lesson and exercise inputs; lengths and ranges are checked by the resolvers."""

from __future__ import annotations

import strawberry

from records.content import ExerciseDraft, KeyboardLayout, LessonDraft, LessonKind


def _given(source: object, names: tuple[str, ...]) -> dict[str, object]:
    """The fields given, by column name, explicit nulls included (the use case refuses them)."""
    changes: dict[str, object] = {}
    for name in names:
        value = getattr(source, name)
        if value is not strawberry.UNSET:
            changes[name] = value.strip() if isinstance(value, str) else value
    return changes


@strawberry.input
class CreateLessonInput:
    title: str
    kind: LessonKind
    duration_seconds: int
    is_preview: bool = False

    def to_draft(self) -> LessonDraft:
        return LessonDraft(self.title.strip(), self.kind, self.duration_seconds, self.is_preview)


@strawberry.input(description="Only the fields given change")
class UpdateLessonInput:
    title: str | None = strawberry.UNSET
    kind: LessonKind | None = strawberry.UNSET
    duration_seconds: int | None = strawberry.UNSET
    is_preview: bool | None = strawberry.UNSET

    def changes(self) -> dict[str, object]:
        return _given(self, ("title", "kind", "duration_seconds", "is_preview"))


@strawberry.input
class CreateExerciseInput:
    text: str
    language: str = "en"
    keyboard_layout: KeyboardLayout = KeyboardLayout.QWERTY
    target_wpm: int
    target_accuracy: float

    def to_draft(self) -> ExerciseDraft:
        return ExerciseDraft(
            self.text.strip(),
            self.language,
            self.keyboard_layout,
            self.target_wpm,
            self.target_accuracy,
        )


@strawberry.input(description="Only the fields given change")
class UpdateExerciseInput:
    text: str | None = strawberry.UNSET
    language: str | None = strawberry.UNSET
    keyboard_layout: KeyboardLayout | None = strawberry.UNSET
    target_wpm: int | None = strawberry.UNSET
    target_accuracy: float | None = strawberry.UNSET

    def changes(self) -> dict[str, object]:
        return _given(
            self, ("text", "language", "keyboard_layout", "target_wpm", "target_accuracy")
        )


@strawberry.input(description="A file of an HLS folder: its path in the folder, its exact size")
class VideoFileInput:
    path: str
    bytes: int
