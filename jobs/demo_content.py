"""Deterministic demo content: each demo course's lessons and typing exercises.

Generated from the course itself (its slug seeds a ``random.Random``, so every run gives the
same outline) and from hand-written material under ``demo_vocabulary/content/``: per language a
word list and sentences (``texts.json``), per programming language code snippets
(``snippets.json``). A course's exercises progress from key drills to words, sentences and,
for advanced courses, paragraphs; coding courses type snippets of their language. The first
lesson is a preview, open to everyone.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Final

from records.catalog import Category, Course, Difficulty
from records.content import ExerciseDraft, KeyboardLayout, LessonDraft, LessonKind

Outline = list[tuple[LessonDraft, list[ExerciseDraft]]]

_TARGETS: Final[dict[Difficulty, tuple[int, float]]] = {
    Difficulty.BEGINNER: (20, 90.0),
    Difficulty.INTERMEDIATE: (40, 94.0),
    Difficulty.ADVANCED: (65, 97.0),
}
_TYPING_LESSONS: Final[dict[Difficulty, int]] = {
    Difficulty.BEGINNER: 6,
    Difficulty.INTERMEDIATE: 7,
    Difficulty.ADVANCED: 8,
}
# Key groups of each Latin layout's rows, the first drills of a beginner.
_ROW_DRILLS: Final[dict[KeyboardLayout, tuple[tuple[str, str], ...]]] = {
    KeyboardLayout.QWERTY: (
        ("Home row", "asdf jkl;"),
        ("Top row", "qwer uiop"),
        ("Bottom row", "zxcv m,./"),
    ),
    KeyboardLayout.QWERTZ: (
        ("Home row", "asdf jklö"),
        ("Top row", "qwer uiop"),
        ("Bottom row", "yxcv m,.-"),
    ),
    KeyboardLayout.AZERTY: (
        ("Home row", "qsdf jklm"),
        ("Top row", "azer uiop"),
        ("Bottom row", "wxcv ,;:!"),
    ),
}
_LAYOUT_WORDS: Final[tuple[tuple[str, KeyboardLayout], ...]] = (
    ("remington", KeyboardLayout.REMINGTON_GAIL),
    ("inscript", KeyboardLayout.INSCRIPT),
    ("tamil99", KeyboardLayout.TAMIL99),
    ("avro", KeyboardLayout.AVRO_PHONETIC),
    ("nudi", KeyboardLayout.NUDI),
    ("azerty", KeyboardLayout.AZERTY),
    ("qwertz", KeyboardLayout.QWERTZ),
)
_DEFAULT_LAYOUT: Final[dict[str, KeyboardLayout]] = {
    "de": KeyboardLayout.QWERTZ,
    "fr": KeyboardLayout.AZERTY,
    "ta": KeyboardLayout.TAMIL99,
    "bn": KeyboardLayout.AVRO_PHONETIC,
    "kn": KeyboardLayout.NUDI,
}
_LATIN: Final = frozenset({"en", "es", "fr", "de"})


@dataclass(frozen=True, slots=True)
class LanguageText:
    words: tuple[str, ...]
    sentences: tuple[str, ...]


@cache
def _texts() -> dict[str, LanguageText]:
    raw = json.loads(files("jobs").joinpath("demo_vocabulary/content/texts.json").read_text())
    return {
        code: LanguageText(tuple(entry["words"]), tuple(entry["sentences"]))
        for code, entry in raw.items()
    }


@cache
def _snippets() -> dict[str, tuple[str, ...]]:
    raw = json.loads(files("jobs").joinpath("demo_vocabulary/content/snippets.json").read_text())
    return {name: tuple(snippets) for name, snippets in raw.items()}


def demo_outline(course: Course) -> Outline:
    """The course's lessons with their exercises; the same on every call."""
    rng = random.Random(course.slug)
    snippets = _course_snippets(course)
    # Code is typed on a Latin keyboard whatever language the course is taught in.
    language = "en" if snippets or course.language not in _texts() else course.language
    layout = KeyboardLayout.QWERTY if snippets else _layout(course, language)
    target_wpm, target_accuracy = _TARGETS[course.difficulty]
    typing: list[tuple[str, list[str]]] = []
    if snippets is not None:
        typing = _coding_lessons(rng, snippets, _TYPING_LESSONS[course.difficulty])
    else:
        typing = _text_lessons(rng, course.difficulty, _texts()[language], layout)

    outline: Outline = []
    for number, (title, texts) in enumerate(typing):
        exercises = [
            ExerciseDraft(
                text,
                language,
                layout,
                target_wpm + 5 * min(number, 4),
                target_accuracy,
            )
            for text in texts
        ]
        outline.append(
            (LessonDraft(title, LessonKind.TYPING, 60 * (4 + len(texts)), number == 0), exercises)
        )
        if number == 0:
            outline.append(
                (LessonDraft("Posture, hand position and a calm pace", LessonKind.VIDEO, 240), [])
            )
    outline.append((LessonDraft("Building a daily practice routine", LessonKind.READING, 300), []))
    return outline


def _layout(course: Course, language: str) -> KeyboardLayout:
    title = course.title.lower().replace(" ", "")
    for word, layout in _LAYOUT_WORDS:
        if word in title:
            return layout
    if language in _LATIN:
        return _DEFAULT_LAYOUT.get(language, KeyboardLayout.QWERTY)
    return _DEFAULT_LAYOUT.get(language, KeyboardLayout.INSCRIPT)


def _course_snippets(course: Course) -> tuple[str, ...] | None:
    if course.category is not Category.CODING:
        return None
    return next((_snippets()[tag] for tag in course.tags if tag in _snippets()), None)


def _coding_lessons(
    rng: random.Random, snippets: tuple[str, ...], count: int
) -> list[tuple[str, list[str]]]:
    lessons = [("Brackets, quotes and operators", [_symbol_drill(rng, snippets)])]
    for number in range(1, count):
        picked = rng.sample(snippets, k=min(3, len(snippets)))
        lessons.append((f"Snippets {number}: real code, line by line", picked))
    return lessons


def _symbol_drill(rng: random.Random, snippets: tuple[str, ...]) -> str:
    symbols = sorted(
        {ch for snippet in snippets for ch in snippet if not ch.isalnum() and not ch.isspace()}
    )
    groups = ["".join(rng.sample(symbols, k=min(3, len(symbols)))) for _ in range(12)]
    return " ".join(groups)


def _text_lessons(
    rng: random.Random, difficulty: Difficulty, text: LanguageText, layout: KeyboardLayout
) -> list[tuple[str, list[str]]]:
    lessons: list[tuple[str, list[str]]] = []
    if difficulty is Difficulty.BEGINNER and layout in _ROW_DRILLS:
        for name, keys in _ROW_DRILLS[layout]:
            lessons.append((f"{name} keys", [_key_drill(rng, keys) for _ in range(3)]))
    else:
        lessons.append(("Warm-up: short words", [_words(rng, text, 10) for _ in range(3)]))
    while len(lessons) < _TYPING_LESSONS[difficulty]:
        number = len(lessons) + 1
        if number % 3 == 0 or (difficulty is Difficulty.BEGINNER and number < 5):
            lessons.append(
                (f"Lesson {number}: common words", [_words(rng, text, 14) for _ in range(3)])
            )
        elif difficulty is Difficulty.ADVANCED and number % 2 == 0:
            lessons.append((f"Lesson {number}: a timed paragraph", [_sentences(rng, text, 5)]))
        else:
            lessons.append(
                (f"Lesson {number}: sentences", [_sentences(rng, text, 2) for _ in range(3)])
            )
    return lessons


def _key_drill(rng: random.Random, keys: str) -> str:
    letters = keys.replace(" ", "")
    return " ".join("".join(rng.choice(letters) for _ in range(4)) for _ in range(10))


def _words(rng: random.Random, text: LanguageText, count: int) -> str:
    return " ".join(rng.choice(text.words) for _ in range(count))


def _sentences(rng: random.Random, text: LanguageText, count: int) -> str:
    return " ".join(rng.sample(text.sentences, k=min(count, len(text.sentences))))
