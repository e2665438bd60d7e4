"""The demo data's vocabulary: per-category topics, title patterns and description sentences,
kept as JSON files in `demo_vocabulary/` (one per category, `_shared.json` for what every
category uses) and read here into typed records, with an error that names the file and the
field when one is malformed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from records.catalog import Category, Difficulty

ALL_DIFFICULTIES: tuple[Difficulty, ...] = tuple(Difficulty)
_SHARED_FILE = "_shared.json"


class MalformedVocabulary(ValueError):
    """A vocabulary file does not have the shape the generator needs."""


@dataclass(frozen=True, slots=True)
class Topic:
    """What a course is about; one demo course is made per topic and difficulty."""

    name: str  # fills "{topic}" in a title pattern
    skill: str  # what the learner gets good at; fills "{skill}" in a description opener
    tags: tuple[str, ...]  # one to three; the category tag is added on top
    language: str | None = None  # fixed content language; None: any instruction language
    qualifier: str | None = None  # appended to the title in brackets, e.g. "Hindi - Mangal"
    difficulties: tuple[Difficulty, ...] = ALL_DIFFICULTIES


@dataclass(frozen=True, slots=True)
class CategoryVocabulary:
    category: Category
    tag: str
    topics: tuple[Topic, ...]
    title_patterns: Mapping[Difficulty, tuple[str, ...]]
    openers: tuple[str, ...]
    closers: tuple[str, ...]
    # Repetition weights the draw for topics without a fixed language.
    instruction_languages: tuple[str, ...] = ("en",)


@dataclass(frozen=True, slots=True)
class SharedVocabulary:
    language_names: Mapping[str, str]  # ISO 639-1 code -> English name
    level_sentences: Mapping[Difficulty, tuple[str, ...]]
    language_notes: tuple[str, ...]  # each with a "{language}" placeholder


@cache
def category_vocabularies() -> tuple[CategoryVocabulary, ...]:
    """Every category's vocabulary, in the order of the Category enum."""
    return tuple(_category(category) for category in Category)


@cache
def shared_vocabulary() -> SharedVocabulary:
    document = _read(_SHARED_FILE)
    try:
        return SharedVocabulary(
            language_names={
                str(code): str(name) for code, name in document["language_names"].items()
            },
            level_sentences=_by_difficulty(document["level_sentences"]),
            language_notes=_strings(document["language_notes"]),
        )
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        raise MalformedVocabulary(f"{_SHARED_FILE}: {error!r}") from error


def _category(category: Category) -> CategoryVocabulary:
    name = f"{category.value}.json"
    document = _read(name)
    try:
        if document["category"] != category.value:
            raise ValueError(f"names category {document['category']!r}")
        return CategoryVocabulary(
            category=category,
            tag=str(document["tag"]),
            topics=tuple(_topic(item) for item in document["topics"]),
            title_patterns=_by_difficulty(document["title_patterns"]),
            openers=_strings(document["openers"]),
            closers=_strings(document["closers"]),
            instruction_languages=_weighted(document["instruction_languages"]),
        )
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        raise MalformedVocabulary(f"{name}: {error!r}") from error


def _topic(item: dict[str, Any]) -> Topic:
    difficulties = item.get("difficulties")
    return Topic(
        name=str(item["name"]),
        skill=str(item["skill"]),
        tags=_strings(item["tags"]),
        language=item.get("language"),
        qualifier=item.get("qualifier"),
        difficulties=ALL_DIFFICULTIES
        if difficulties is None
        else tuple(Difficulty(value) for value in difficulties),
    )


def _read(name: str) -> dict[str, Any]:
    text = (files("jobs") / "demo_vocabulary" / name).read_text(encoding="utf-8")
    document = json.loads(text)
    if not isinstance(document, dict):
        raise MalformedVocabulary(f"{name}: expected a JSON object")
    return document


def _by_difficulty(raw: dict[str, list[str]]) -> dict[Difficulty, tuple[str, ...]]:
    found = {Difficulty(level): _strings(values) for level, values in raw.items()}
    missing = [level.value for level in ALL_DIFFICULTIES if level not in found]
    if missing:
        raise ValueError(f"no entries for {', '.join(missing)}")
    return {level: found[level] for level in ALL_DIFFICULTIES}


def _weighted(raw: dict[str, int]) -> tuple[str, ...]:
    """{"en": 8, "hi": 2} -> ("en", ... "en", "hi", "hi"): a uniform draw weights by count."""
    return tuple(code for code, weight in raw.items() for _ in range(int(weight)))


def _strings(raw: list[Any]) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(value, str) for value in raw):
        raise ValueError(f"expected a list of strings, got {raw!r}")
    return tuple(raw)
