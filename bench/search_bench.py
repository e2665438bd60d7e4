"""Latency of the embedded (tantivy) search engine over a synthetic catalog, in-process.

    python -m bench.search_bench --courses 10000

Builds an index in a temporary directory, then times a mix of searches (text, filters, browsing,
sorts, later pages) and autocomplete prefixes through the async engine API, pinned to one core.
The autocomplete row repeats a few prefixes (mostly cache hits); the "1st time" rows ask each
prefix with limits never asked before, so every call runs the engine.
Targets: search p95 < 20 ms, autocomplete p95 < 10 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial

from datasources.search.contract import SearchDocument, SearchFilters, SearchRequest, SearchSort
from datasources.search.tantivy_engine import TantivySearchEngine
from records.catalog import Category, Difficulty

SEARCH_TARGET_MS = 20.0
AUTOCOMPLETE_TARGET_MS = 10.0

_SUBJECTS = (
    "Touch Typing", "Speed Typing", "Accuracy", "Python Code Typing", "JavaScript Typing",
    "Java Typing", "SQL Typing", "Hindi Typing", "Tamil Typing", "Spanish Typing",
    "Data Entry", "Numeric Keypad", "Stenography", "Medical Transcription", "Legal Typing",
    "Exam Typing", "Kids Keyboarding", "Business Email", "Keyboard Shortcuts", "Dvorak Layout",
)  # fmt: skip
_PREFIXES = ("Complete", "Practical", "Advanced", "Essential", "Rapid", "Modern", "Ultimate")
_SUFFIXES = ("Course", "Bootcamp", "Workshop", "Drills", "Masterclass", "Fundamentals", "Sprint")
_WORDS = (
    "learn", "type", "faster", "accurate", "fingers", "home", "row", "keys", "practice",
    "lessons", "drills", "timed", "tests", "words", "minute", "progress", "certificate",
    "posture", "rhythm", "muscle", "memory", "exercises", "beginners", "professionals",
    "students", "exams", "office", "coding", "programs", "brackets", "symbols", "numbers",
    "punctuation", "errors", "speed", "goals", "daily", "habit", "keyboard", "layout", "reports",
    "teachers", "games", "levels", "challenge",
)  # fmt: skip
_TAGS = tuple(f"tag-{name}" for name in _WORDS[:60])
_LANGUAGES = ("en", "en", "en", "hi", "ta", "es", "fr", "de")
_PRICES = (0, 0, 19_900, 29_900, 49_900, 79_900, 99_900, 149_900, 199_900, 299_900, 499_900)

_TEXT_QUERIES = (
    "typing", "touch typing", "python", "pyhton", "speed drills", "keyboard shortcuts",
    "data entry course", "exam", "hindi typing", "javascrpit", "accuracy practice", "stenografy",
    "Touch Typing Fundamentals", "advanced sql typing bootcamp", "kids games", "numbers",
)  # fmt: skip
_PREFIX_QUERIES = (
    "t", "ty", "typ", "tou", "touch", "touch ty", "tuch typ", "py", "pyth", "pyhton", "jav",
    "javascr", "speed d", "data en", "steno", "keyb", "kids k", "hin", "exa", "dvo",
)  # fmt: skip


def synthetic_courses(count: int, seed: int) -> list[SearchDocument]:
    rng = random.Random(seed)
    start = datetime(2022, 1, 1, tzinfo=UTC)
    courses = []
    for course_id in range(1, count + 1):
        courses.append(
            SearchDocument(
                course_id=course_id,
                slug=f"course-{course_id}",
                title=f"{rng.choice(_PREFIXES)} {rng.choice(_SUBJECTS)} {rng.choice(_SUFFIXES)}",
                description=" ".join(rng.choices(_WORDS, k=rng.randint(25, 60))).capitalize(),
                category=rng.choice(list(Category)).value,
                difficulty=rng.choice(list(Difficulty)).value,
                language=rng.choice(_LANGUAGES),
                tags=tuple(rng.sample(_TAGS, rng.randint(1, 4))),
                price_paise=rng.choice(_PRICES),
                popularity=int(rng.paretovariate(1.2)) - 1,  # a few very popular courses
                created_at=start + timedelta(minutes=rng.randrange(0, 1_000_000)),
            )
        )
    return courses


def search_mix(count: int, seed: int) -> list[SearchRequest]:
    rng = random.Random(seed)
    categories = [c.value for c in Category]
    requests = []
    for _ in range(count):
        query = rng.choice(_TEXT_QUERIES) if rng.random() < 0.7 else ""  # else browse
        filters = SearchFilters()
        if rng.random() < 0.5:
            filters = SearchFilters(
                categories=tuple(rng.sample(categories, rng.randint(1, 2))),
                difficulties=(rng.choice(list(Difficulty)).value,) if rng.random() < 0.5 else (),
                languages=("en",) if rng.random() < 0.3 else (),
                tags=(rng.choice(_TAGS),) if rng.random() < 0.2 else (),
                price_max=99_900 if rng.random() < 0.3 else None,
                free=True if rng.random() < 0.1 else None,
            )
        sort = SearchSort.RELEVANCE if rng.random() < 0.7 else rng.choice(list(SearchSort))
        offset = rng.choice((0, 0, 0, 20, 40, 100))
        requests.append(SearchRequest(query, filters, sort, offset, 20))
    return requests


def pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"pinned to core {core}"
    return "not pinned (no sched_setaffinity here)"


async def timed(calls: Sequence[Callable[[], Awaitable[object]]]) -> list[float]:
    latencies = []
    for call in calls:
        started = time.perf_counter()
        await call()
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def percentiles(latencies: list[float]) -> str:
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return f"p50 {cuts[49]:6.2f} ms   p95 {cuts[94]:6.2f} ms   p99 {cuts[98]:6.2f} ms"


async def run(courses: int, searches: int, suggestions: int, seed: int) -> bool:
    catalog = synthetic_courses(courses, seed)
    with tempfile.TemporaryDirectory(prefix="search-bench-") as root:
        engine = await TantivySearchEngine.open(root)
        try:
            started = time.perf_counter()
            await engine.rebuild(catalog[i : i + 1_000] for i in range(0, len(catalog), 1_000))
            print(f"indexed {courses} courses in {time.perf_counter() - started:.2f} s")

            requests = search_mix(searches, seed)
            prefixes = [random.Random(seed + i).choice(_PREFIX_QUERIES) for i in range(suggestions)]
            await timed([partial(engine.search, r) for r in requests[:50]])  # warm up
            search_ms = await timed([partial(engine.search, r) for r in requests])
            text_ms = [ms for ms, r in zip(search_ms, requests, strict=True) if r.query]
            browse_ms = [ms for ms, r in zip(search_ms, requests, strict=True) if not r.query]
            suggest_ms = await timed([partial(engine.autocomplete, p, 8) for p in prefixes])
            # Never asked before (limit 8 is taken above): every call runs the engine.
            first_time = [(p, n) for p in _PREFIX_QUERIES for n in range(1, 21) if n != 8]
            first_ms = await timed([partial(engine.autocomplete, p, n) for p, n in first_time])
        finally:
            await engine.close()

    print(f"search, all      ({len(search_ms):5d}): {percentiles(search_ms)}")
    print(f"  text query     ({len(text_ms):5d}): {percentiles(text_ms)}")
    print(f"  browse         ({len(browse_ms):5d}): {percentiles(browse_ms)}")
    print(f"autocomplete     ({len(suggest_ms):5d}): {percentiles(suggest_ms)}")
    print(f"  1st time       ({len(first_ms):5d}): {percentiles(first_ms)}")
    for label, lengths in (("1-3 letters", range(1, 4)), ("4+ letters", range(4, 1_000))):
        by_length = [
            ms for ms, (p, _) in zip(first_ms, first_time, strict=True) if len(p) in lengths
        ]
        print(f"  1st, {label:11} ({len(by_length):5d}): {percentiles(by_length)}")
    search_p95 = statistics.quantiles(search_ms, n=100, method="inclusive")[94]
    suggest_p95 = statistics.quantiles(suggest_ms, n=100, method="inclusive")[94]
    met = search_p95 < SEARCH_TARGET_MS and suggest_p95 < AUTOCOMPLETE_TARGET_MS
    print(
        f"targets: search p95 < {SEARCH_TARGET_MS:g} ms, autocomplete p95 < "
        f"{AUTOCOMPLETE_TARGET_MS:g} ms: {'met' if met else 'MISSED'}"
    )
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--courses", type=int, default=10_000)
    parser.add_argument("--searches", type=int, default=1_000)
    parser.add_argument("--suggestions", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--all-cores", action="store_true", help="do not pin to one core")
    args = parser.parse_args()
    if not args.all_cores:
        print(pin_to_one_core())
    met = asyncio.run(run(args.courses, args.searches, args.suggestions, args.seed))
    raise SystemExit(0 if met else 1)


if __name__ == "__main__":
    main()
