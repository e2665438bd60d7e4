"""Rules lessons and exercises satisfy before they are written; each failure names its field."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from records.content import KeyboardLayout, LessonKind
from resolvers.catalog.queries import LANGUAGE_PATTERN
from resolvers.catalog.validation import input_name
from resolvers.content.progress import MAX_WPM
from resolvers.errors import Problem, invalid

MAX_EXERCISE_CHARACTERS = 5000
MAX_LESSON_SECONDS = 24 * 3600

_Check = Callable[[object], Problem | None]


def check_fields(fields: Mapping[str, object]) -> Problem | None:
    """Checks the lesson or exercise fields present; the first problem found, or None."""
    for name, value in fields.items():
        if value is None:
            field = input_name(name)
            return invalid(field, f"{field}: null is not a value; leave the field out to keep it")
        problem = _CHECKS[name](value)
        if problem is not None:
            return problem
    return None


def _text(field: str, minimum: int, maximum: int) -> _Check:
    def check(value: object) -> Problem | None:
        if not isinstance(value, str) or not minimum <= len(value.strip()) <= maximum:
            return invalid(field, f"{field}: {minimum}-{maximum} characters")
        return None

    return check


def _whole(field: str, minimum: int, maximum: int) -> _Check:
    def check(value: object) -> Problem | None:
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            return invalid(field, f"{field}: a whole number from {minimum} to {maximum}")
        return None

    return check


def _percent(value: object) -> Problem | None:
    if not isinstance(value, int | float) or not 0 <= value <= 100:
        return invalid("targetAccuracy", "targetAccuracy: a percentage from 0 to 100")
    return None


def _language(value: object) -> Problem | None:
    if not isinstance(value, str) or not LANGUAGE_PATTERN.match(value):
        return invalid("language", "language: a two-letter ISO 639-1 code such as 'en'")
    return None


def _member_of(field: str, kind: type) -> _Check:
    def check(value: object) -> Problem | None:
        return None if isinstance(value, kind) else invalid(field, f"{field}: required")

    return check


_CHECKS: dict[str, _Check] = {
    "title": _text("title", 3, 200),
    "kind": _member_of("kind", LessonKind),
    "duration_seconds": _whole("durationSeconds", 0, MAX_LESSON_SECONDS),
    "is_preview": _member_of("isPreview", bool),
    "text": _text("text", 1, MAX_EXERCISE_CHARACTERS),
    "language": _language,
    "keyboard_layout": _member_of("keyboardLayout", KeyboardLayout),
    "target_wpm": _whole("targetWpm", 1, int(MAX_WPM)),
    "target_accuracy": _percent,
}
