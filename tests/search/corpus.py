"""A deterministic catalog of a few hundred courses for the search tests.

A handful of hand-written courses carry the ranking cases; the rest vary every facet and price
bucket boundary so that filter and facet arithmetic is exercised.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from datasources.search.contract import SearchDocument

EXACT_TOUCH_TYPING = 3
STENOGRAPHY_IN_TITLE = 5
STENOGRAPHY_IN_DESCRIPTION = 6
SHORTCUTS_UNPOPULAR = 7
SHORTCUTS_POPULAR = 8
RENAMED = 9
ESCAPED = 10

_START = datetime(2023, 1, 1, tzinfo=UTC)
_TOPICS = (
    ("Touch Typing", "touch_typing", ("touch-typing", "home-row")),
    ("Speed Typing", "speed_building", ("speed", "wpm")),
    ("Accuracy", "accuracy", ("accuracy", "error-free")),
    ("JavaScript Typing", "coding", ("javascript", "code")),
    ("Python Typing", "coding", ("python", "code")),
    ("Hindi Typing", "languages", ("hindi", "inscript")),
    ("Data Entry", "business", ("data-entry", "numeric-keypad")),
    ("Exam Typing", "exam_preparation", ("ssc", "government-exams")),
    ("Kids Keyboarding", "kids", ("kids", "games")),
    ("Business Writing", "business", ("email", "office")),
)
_ADJECTIVES = ("Complete", "Practical", "Advanced", "Essential", "Rapid", "Modern")
_FORMATS = ("Course", "Bootcamp", "Workshop", "Drills", "Masterclass")
_SENTENCES = (
    "Build muscle memory with short daily lessons.",
    "Track your words per minute and accuracy as you progress.",
    "Includes timed tests, certificates and progress reports.",
    "Practise with real text drawn from books, news and code.",
    "Learn proper posture and finger placement on the keyboard.",
    "Designed for learners who want to type without looking.",
)
_LANGUAGES = ("en", "en", "hi", "ta", "es")
_DIFFICULTIES = ("beginner", "intermediate", "advanced")
# Every price bucket, including values on its boundaries.
_PRICES = (0, 0, 100, 29_900, 49_999, 50_000, 99_900, 99_999, 100_000, 199_999, 200_000, 450_000)


def _course(
    course_id: int,
    title: str,
    description: str,
    *,
    category: str = "touch_typing",
    difficulty: str = "beginner",
    language: str = "en",
    tags: tuple[str, ...] = (),
    price_paise: int = 0,
    popularity: int = 0,
    days: int = 0,
) -> SearchDocument:
    return SearchDocument(
        course_id=course_id,
        slug=f"course-{course_id}",
        title=title,
        description=description,
        category=category,
        difficulty=difficulty,
        language=language,
        tags=tags,
        price_paise=price_paise,
        popularity=popularity,
        created_at=_START + timedelta(days=days),
    )


def hand_written_courses() -> list[SearchDocument]:
    same_description = "Save time every day with practical drills for common tools."
    return [
        _course(
            1,
            "Touch Typing Fundamentals",
            "Learn touch typing from the home row up, one finger at a time.",
            tags=("touch-typing", "home-row"),
            popularity=40,
            days=1,
        ),
        _course(
            2,
            "Python Code Typing",
            "Type real Python programs faster: brackets, colons and indentation.",
            category="coding",
            difficulty="intermediate",
            tags=("python", "code"),
            price_paise=49_900,
            popularity=800,
            days=2,
        ),
        _course(
            EXACT_TOUCH_TYPING,
            "Touch Typing",
            "A short first course for new typists.",
            tags=("touch-typing",),
            popularity=0,
            days=3,
        ),
        _course(
            STENOGRAPHY_IN_TITLE,
            "Stenography Essentials",
            "Write at the speed of speech with a chorded keyboard.",
            category="business",
            tags=("shorthand",),
            price_paise=150_000,
            popularity=100,
            days=5,
        ),
        _course(
            STENOGRAPHY_IN_DESCRIPTION,
            "Court Reporting Skills",
            "Write at the speed of speech with stenography machines.",
            category="business",
            tags=("shorthand",),
            price_paise=150_000,
            popularity=100,
            days=6,
        ),
        _course(
            SHORTCUTS_UNPOPULAR,
            "Keyboard Shortcuts for Designers",
            same_description,
            category="business",
            tags=("shortcuts",),
            price_paise=29_900,
            popularity=10,
            days=7,
        ),
        _course(
            SHORTCUTS_POPULAR,
            "Keyboard Shortcuts for Developers",
            same_description,
            category="business",
            tags=("shortcuts",),
            price_paise=29_900,
            popularity=5_000,
            days=8,
        ),
        _course(
            RENAMED,
            "Quokka Finger Drills",
            "Playful finger exercises for young learners.",
            category="kids",
            tags=("kids", "games"),
            popularity=30,
            days=9,
        ),
        _course(
            ESCAPED,
            "Typing & Tricks <Pro>",
            "Tips & tricks for <faster> typing.",
            category="speed_building",
            difficulty="advanced",
            tags=("speed",),
            price_paise=99_900,
            popularity=20,
            days=10,
        ),
    ]


def generated_courses(count: int = 300, first_id: int = 100) -> list[SearchDocument]:
    rng = random.Random(20240601)
    courses = []
    for offset in range(count):
        topic, category, topic_tags = _TOPICS[offset % len(_TOPICS)]
        extra_tags = rng.sample(("beginner-friendly", "certificate", "timed-tests", "games"), 1)
        courses.append(
            _course(
                first_id + offset,
                f"{rng.choice(_ADJECTIVES)} {topic} {rng.choice(_FORMATS)}",
                " ".join(rng.sample(_SENTENCES, 3)),
                category=category,
                difficulty=rng.choice(_DIFFICULTIES),
                language=rng.choice(_LANGUAGES),
                tags=(*topic_tags, *extra_tags),
                price_paise=rng.choice(_PRICES),
                # Repeated popularity values make ties that pagination must order by course_id.
                popularity=rng.choice((0, 0, 5, 50, 120, 900, 2_500)),
                days=rng.randrange(0, 60),
            )
        )
    return courses


def catalog() -> list[SearchDocument]:
    return hand_written_courses() + generated_courses()
