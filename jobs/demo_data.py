"""Deterministic demo data: typing courses and the enrolments of demo users.

Courses are composed from hand-written per-category vocabulary (topics, title patterns,
description sentences; the JSON files under ``demo_vocabulary/``, read by
``jobs.demo_vocabulary``) with a seeded ``random.Random``, so every run yields the same data.
Nothing here reads the clock; enrolment dates are relative to an explicit ``now``.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from jobs.demo_vocabulary import (
    CategoryVocabulary,
    Topic,
    category_vocabularies,
    shared_vocabulary,
)
from records.catalog import CourseDraft, Difficulty

MAX_SLUG_LENGTH: Final = 120
MAX_TITLE_LENGTH: Final = 200
MAX_DESCRIPTION_LENGTH: Final = 5000
CURRENCY: Final = "INR"

DEMO_COURSE_SEED: Final = 20240611
DEMO_SUBSCRIPTION_SEED: Final = 611
DEMO_USERS: Final[tuple[int, ...]] = tuple(range(1, 51))
SHOWCASE_USER: Final = 1  # always has both an active and an expired subscription


_FREE_SHARE: Final = 0.2
_INACTIVE_SHARE: Final = 0.03
_PAID_PRICES_PAISE: Final[Mapping[Difficulty, tuple[int, ...]]] = {
    Difficulty.BEGINNER: (19900, 29900, 49900),
    Difficulty.INTERMEDIATE: (49900, 79900, 99900),
    Difficulty.ADVANCED: (99900, 149900, 199900),
}
# Repetition weights the draw: lifetime, half-year and one-year access are the most common.
_VALIDITY_DAYS_CHOICES: Final[tuple[int | None, ...]] = (
    None,
    None,
    30,
    90,
    90,
    180,
    180,
    365,
    365,
    730,
)

_MIN_EXPIRED_PERCENT: Final = 20
_ENROLMENT_WINDOW: Final = timedelta(days=730)
_MAX_COURSES_PER_USER: Final = 8


@dataclass(frozen=True, slots=True)
class DemoEnrolment:
    user_id: int
    course_id: int
    enrolled_at: datetime  # timezone-aware UTC
    expires_at: datetime | None  # timezone-aware UTC; None: lifetime access

    def is_expired_at(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


# Every (vocabulary, topic, difficulty) the vocabulary allows, in a fixed order.
_COURSE_SHAPES: Final[tuple[tuple[CategoryVocabulary, Topic, Difficulty], ...]] = tuple(
    (vocabulary, topic, difficulty)
    for vocabulary in category_vocabularies()
    for topic in vocabulary.topics
    for difficulty in topic.difficulties
)

_SLUG_REPLACEMENTS: Final = (("c++", "cpp"), ("c#", "csharp"), ("&", " and "))
_NON_SLUG_CHARACTERS: Final = re.compile(r"[^a-z0-9]+")


def demo_courses() -> list[CourseDraft]:
    """The demo catalogue: one course per topic and difficulty, identical on every call."""
    rng = random.Random(DEMO_COURSE_SEED)
    used_titles: set[str] = set()
    drafts: list[CourseDraft] = []
    for vocabulary, topic, difficulty in _COURSE_SHAPES:
        language = _pick_language(rng, vocabulary, topic)
        title = _unused_title(rng, vocabulary, topic, difficulty, language, used_titles)
        used_titles.add(title)
        slug = _slugify(title, MAX_SLUG_LENGTH)
        drafts.append(_draft(rng, vocabulary, topic, difficulty, language, title, slug))
    return drafts


def synthetic_courses(count: int, seed: int = 7) -> list[CourseDraft]:
    """``count`` courses from the demo vocabulary, numbered as batches to keep slugs unique."""
    if count < 0:
        raise ValueError(f"count must not be negative, got {count}")
    rng = random.Random(seed)
    drafts: list[CourseDraft] = []
    for batch in range(1, count + 1):
        vocabulary, topic, difficulty = rng.choice(_COURSE_SHAPES)
        language = _pick_language(rng, vocabulary, topic)
        pattern = rng.choice(vocabulary.title_patterns[difficulty])
        base_title = _title(pattern, topic, language)
        slug_suffix = f"-batch-{batch}"
        slug = _slugify(base_title, MAX_SLUG_LENGTH - len(slug_suffix)) + slug_suffix
        title = f"{base_title} - Batch {batch}"
        drafts.append(_draft(rng, vocabulary, topic, difficulty, language, title, slug))
    return drafts


def demo_subscriptions(
    course_ids: Sequence[int],
    validity_by_course: Mapping[int, int | None],
    now: datetime,
) -> list[DemoEnrolment]:
    """Enrolments of ``DEMO_USERS`` in the given courses, enrolled within two years before ``now``.

    At least 20% of the enrolments have expired at ``now``, and ``SHOWCASE_USER`` has both
    an active and an expired one. Raises ValueError when the courses cannot provide that
    (fewer than two courses, or none whose validity is shorter than two years).
    """
    now_utc = _as_utc(now)
    courses = sorted(set(course_ids))
    validity = {course_id: _validity_days(validity_by_course, course_id) for course_id in courses}
    expirable = [course_id for course_id in courses if _can_expire(validity[course_id])]
    if len(courses) < 2 or not expirable:
        raise ValueError(
            "demo subscriptions need at least two courses, one of them valid for under two years"
        )
    rng = random.Random(DEMO_SUBSCRIPTION_SEED)
    enrolments = _showcase_enrolments(rng, courses, expirable, validity, now_utc)
    for user_id in DEMO_USERS:
        if user_id != SHOWCASE_USER:
            enrolments.extend(_random_enrolments(rng, user_id, courses, validity, now_utc))
    return _with_expired_share(rng, enrolments, validity, now_utc)


def _pick_language(rng: random.Random, vocabulary: CategoryVocabulary, topic: Topic) -> str:
    return topic.language or rng.choice(vocabulary.instruction_languages)


def _title(pattern: str, topic: Topic, language: str) -> str:
    title = pattern.format(topic=topic.name)
    if topic.qualifier is not None:
        return f"{title} ({topic.qualifier})"
    if topic.language is None and language != "en":
        return f"{title} ({shared_vocabulary().language_names[language]})"
    return title


def _unused_title(
    rng: random.Random,
    vocabulary: CategoryVocabulary,
    topic: Topic,
    difficulty: Difficulty,
    language: str,
    used_titles: set[str],
) -> str:
    patterns = list(vocabulary.title_patterns[difficulty])
    rng.shuffle(patterns)
    for pattern in patterns:
        title = _title(pattern, topic, language)
        if title not in used_titles:
            return title
    raise ValueError(f"every title pattern for {topic.name!r} ({difficulty}) is already used")


def _draft(
    rng: random.Random,
    vocabulary: CategoryVocabulary,
    topic: Topic,
    difficulty: Difficulty,
    language: str,
    title: str,
    slug: str,
) -> CourseDraft:
    return CourseDraft(
        slug=slug,
        title=title,
        description=_description(rng, vocabulary, topic, difficulty, language),
        category=vocabulary.category,
        difficulty=difficulty,
        language=language,
        tags=_tags(vocabulary, topic, language),
        price_paise=_price_paise(rng, difficulty),
        currency=CURRENCY,
        validity_days=rng.choice(_VALIDITY_DAYS_CHOICES),
        is_active=rng.random() >= _INACTIVE_SHARE,
    )


def _description(
    rng: random.Random,
    vocabulary: CategoryVocabulary,
    topic: Topic,
    difficulty: Difficulty,
    language: str,
) -> str:
    sentences = [rng.choice(vocabulary.openers).format(skill=topic.skill)]
    if rng.random() < 0.75:
        sentences.append(rng.choice(shared_vocabulary().level_sentences[difficulty]))
    if language != "en" and topic.language is None:
        note = rng.choice(shared_vocabulary().language_notes)
        sentences.append(note.format(language=shared_vocabulary().language_names[language]))
    elif rng.random() < 0.6:
        sentences.append(rng.choice(vocabulary.closers))
    return " ".join(sentences)


def _tags(vocabulary: CategoryVocabulary, topic: Topic, language: str) -> tuple[str, ...]:
    tags = [vocabulary.tag, *topic.tags]
    if language != "en":
        tags.append(shared_vocabulary().language_names[language].lower())
    return tuple(dict.fromkeys(tags))[:5]


def _price_paise(rng: random.Random, difficulty: Difficulty) -> int:
    if rng.random() < _FREE_SHARE:
        return 0
    return rng.choice(_PAID_PRICES_PAISE[difficulty])


def _slugify(text: str, max_length: int) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    lowered = ascii_text.lower()
    for old, new in _SLUG_REPLACEMENTS:
        lowered = lowered.replace(old, new)
    slug = _NON_SLUG_CHARACTERS.sub("-", lowered).strip("-")
    if len(slug) <= max_length:
        return slug
    shortened = slug[:max_length]
    # Cut at the last word boundary unless the cut already falls on one.
    if slug[max_length] != "-" and "-" in shortened:
        shortened = shortened.rsplit("-", 1)[0]
    return shortened.strip("-")


def _as_utc(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(UTC)


def _validity_days(validity_by_course: Mapping[int, int | None], course_id: int) -> int | None:
    days = validity_by_course[course_id]
    if days is not None and days <= 0:
        raise ValueError(f"course {course_id} has non-positive validity_days {days}")
    return days


def _can_expire(validity_days: int | None) -> bool:
    """Whether an enrolment inside the two-year window can have run out by now."""
    return validity_days is not None and timedelta(days=validity_days) < _ENROLMENT_WINDOW


def _window_minutes() -> int:
    return _ENROLMENT_WINDOW // timedelta(minutes=1)


def _enrolment(
    user_id: int, course_id: int, validity_days: int | None, minutes_ago: int, now: datetime
) -> DemoEnrolment:
    enrolled_at = now - timedelta(minutes=minutes_ago)
    expires_at = None if validity_days is None else enrolled_at + timedelta(days=validity_days)
    return DemoEnrolment(user_id, course_id, enrolled_at, expires_at)


def _enrol_any_time(
    rng: random.Random, user_id: int, course_id: int, validity_days: int | None, now: datetime
) -> DemoEnrolment:
    minutes_ago = rng.randint(0, _window_minutes())
    return _enrolment(user_id, course_id, validity_days, minutes_ago, now)


def _enrol_active(
    rng: random.Random, user_id: int, course_id: int, validity_days: int | None, now: datetime
) -> DemoEnrolment:
    latest_minutes_ago = _window_minutes()
    if validity_days is not None:
        # One minute short of the validity, so expires_at stays strictly after now.
        latest_minutes_ago = min(latest_minutes_ago, validity_days * 24 * 60 - 1)
    minutes_ago = rng.randint(0, latest_minutes_ago)
    return _enrolment(user_id, course_id, validity_days, minutes_ago, now)


def _enrol_expired(
    rng: random.Random, user_id: int, course_id: int, validity_days: int, now: datetime
) -> DemoEnrolment:
    # At least one minute longer ago than the validity, so expires_at is before now.
    minutes_ago = rng.randint(validity_days * 24 * 60 + 1, _window_minutes())
    return _enrolment(user_id, course_id, validity_days, minutes_ago, now)


def _showcase_enrolments(
    rng: random.Random,
    courses: list[int],
    expirable: list[int],
    validity: Mapping[int, int | None],
    now: datetime,
) -> list[DemoEnrolment]:
    expired_course = rng.choice(expirable)
    others = [course_id for course_id in courses if course_id != expired_course]
    active_course = rng.choice(others)
    expired_days = validity[expired_course]
    assert expired_days is not None  # guaranteed by choosing from expirable
    enrolments = [
        _enrol_expired(rng, SHOWCASE_USER, expired_course, expired_days, now),
        _enrol_active(rng, SHOWCASE_USER, active_course, validity[active_course], now),
    ]
    remaining = [course_id for course_id in others if course_id != active_course]
    extra_count = min(rng.randint(0, _MAX_COURSES_PER_USER - 2), len(remaining))
    for course_id in rng.sample(remaining, extra_count):
        enrolments.append(_enrol_any_time(rng, SHOWCASE_USER, course_id, validity[course_id], now))
    return enrolments


def _random_enrolments(
    rng: random.Random,
    user_id: int,
    courses: list[int],
    validity: Mapping[int, int | None],
    now: datetime,
) -> list[DemoEnrolment]:
    course_count = min(rng.randint(1, _MAX_COURSES_PER_USER), len(courses))
    return [
        _enrol_any_time(rng, user_id, course_id, validity[course_id], now)
        for course_id in rng.sample(courses, course_count)
    ]


def _with_expired_share(
    rng: random.Random,
    enrolments: list[DemoEnrolment],
    validity: Mapping[int, int | None],
    now: datetime,
) -> list[DemoEnrolment]:
    """Backdate randomly chosen active enrolments until enough of them have expired."""
    expired_count = sum(enrolment.is_expired_at(now) for enrolment in enrolments)
    required = -(-len(enrolments) * _MIN_EXPIRED_PERCENT // 100)  # ceiling division
    candidates = [
        index
        for index, enrolment in enumerate(enrolments)
        if enrolment.user_id != SHOWCASE_USER
        and not enrolment.is_expired_at(now)
        and _can_expire(validity[enrolment.course_id])
    ]
    missing = max(0, required - expired_count)
    if missing > len(candidates):
        raise ValueError("too few time-limited courses to make 20% of demo enrolments expired")
    result = list(enrolments)
    for index in rng.sample(candidates, missing):
        enrolment = result[index]
        days = validity[enrolment.course_id]
        assert days is not None  # candidates only hold time-limited courses
        result[index] = _enrol_expired(rng, enrolment.user_id, enrolment.course_id, days, now)
    return result
