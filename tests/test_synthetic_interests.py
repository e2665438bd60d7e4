from __future__ import annotations

import dataclasses
import random
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from itertools import combinations, pairwise

import pytest

from jobs.demo_data import synthetic_courses
from jobs.synthetic_interests import enrolment_minutes_ago, latent_interest_enrolments
from records.catalog import Category, Course
from records.subscriptions import NewSubscription

NOW = datetime(2025, 6, 1, 12, 30, tzinfo=UTC)
WINDOW = timedelta(days=730)
Baskets = dict[int, list[int]]


def _catalog(count: int) -> list[Course]:
    return [d.as_course(n, NOW) for n, d in enumerate(synthetic_courses(count), start=1)]


@pytest.fixture(scope="module")
def catalog() -> list[Course]:
    return _catalog(600)


@pytest.fixture(scope="module")
def four_large_groups(catalog: list[Course]) -> list[Course]:
    """240 courses in 4 groups of 60 (10 bundles each): bundles, not groups, explain pairs."""
    groups = [
        (category, language)
        for category in (Category.CODING, Category.KIDS)
        for language in ("en", "hi")
    ]
    return [
        dataclasses.replace(
            catalog[number % len(catalog)],
            id=number,
            category=groups[number % 4][0],
            language=groups[number % 4][1],
        )
        for number in range(1, 241)
    ]


def _baskets(enrolments: list[NewSubscription]) -> Baskets:
    """Each user's course ids in yield order."""
    baskets: Baskets = defaultdict(list)
    for enrolment in enrolments:
        baskets[enrolment.user_id].append(enrolment.course_id)
    return baskets


def _generate(courses: list[Course], users: int, per_user: int, first: int = 1) -> Baskets:
    return _baskets(list(latent_interest_enrolments(courses, users, per_user, first, NOW)))


def _pair_counts(baskets: Baskets) -> Counter[tuple[int, int]]:
    pairs: Counter[tuple[int, int]] = Counter()
    for course_ids in baskets.values():
        pairs.update(combinations(sorted(course_ids), 2))
    return pairs


def _lift(pairs: list[tuple[int, int]], baskets: Baskets) -> float:
    """How much more often the pairs co-occur than if users' courses were independent."""
    course_counts = Counter(c for course_ids in baskets.values() for c in course_ids)
    pair_counts = _pair_counts(baskets)
    together = sum(pair_counts[pair] for pair in pairs)
    by_chance = sum(course_counts[a] * course_counts[b] for a, b in pairs) / len(baskets)
    return together / by_chance


def test_same_inputs_give_the_same_enrolments(catalog: list[Course]) -> None:
    first = list(latent_interest_enrolments(catalog, 300, 4, 7, NOW))
    second = list(latent_interest_enrolments(list(reversed(catalog)), 300, 4, 7, NOW))
    assert first == second


def test_chunks_have_different_users_but_the_same_bundles(
    four_large_groups: list[Course],
) -> None:
    chunk = _generate(four_large_groups, 2000, 5, first=1)
    later_chunk = _generate(four_large_groups, 2000, 5, first=1_000_001)
    assert list(chunk.values()) != list(later_chunk.values())

    pair_counts = _pair_counts(chunk)
    course_counts = Counter(c for course_ids in chunk.values() for c in course_ids)
    supported = [pair for pair, count in pair_counts.items() if count >= 5]
    bundle_like = sorted(
        supported,
        key=lambda p: pair_counts[p] / (course_counts[p[0]] * course_counts[p[1]]),
        reverse=True,
    )[:30]
    # Same-group pairs of other bundles reach a lift of about 3; the same bundles about 20.
    assert _lift(bundle_like, later_chunk) > 10


def test_each_user_gets_distinct_courses_enrolled_oldest_first(catalog: list[Course]) -> None:
    by_id = {course.id: course for course in catalog}
    enrolments = list(latent_interest_enrolments(catalog, 500, 6, 41, NOW, source="bench"))

    assert [e.user_id for e in enrolments] == [u for u in range(41, 541) for _ in range(6)]
    gaps: list[timedelta] = []
    for start in range(0, len(enrolments), 6):
        user_enrolments = enrolments[start : start + 6]
        assert len({e.course_id for e in user_enrolments}) == 6
        times = [e.enrolled_at for e in user_enrolments]
        gaps.extend(later - earlier for earlier, later in pairwise(times))
    assert min(gaps) > timedelta(0)
    # Independent minutes, sorted: hardly any needed a one-minute bump.
    assert sum(gap == timedelta(minutes=1) for gap in gaps) < len(gaps) / 100
    for enrolment in enrolments:
        assert NOW - WINDOW <= enrolment.enrolled_at <= NOW
        validity = by_id[enrolment.course_id].validity_days
        expected = None if validity is None else enrolment.enrolled_at + timedelta(days=validity)
        assert enrolment.expires_at == expected
        assert enrolment.source == "bench"
    assert any(e.expires_at is None for e in enrolments)


class _FixedRandom(random.Random):
    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


@pytest.mark.parametrize(
    ("value", "expected"), [(0.5, [525600, 525599, 525598, 525597]), (0.0, [3, 2, 1, 0])]
)
def test_colliding_minutes_become_strictly_newer_within_the_window(
    value: float, expected: list[int]
) -> None:
    assert enrolment_minutes_ago(_FixedRandom(value), 4) == expected


def test_users_keep_to_their_latent_interest(catalog: list[Course]) -> None:
    group_of = {course.id: (course.category, course.language) for course in catalog}
    baskets = _generate(catalog, 2000, 5)

    in_main_group = sum(
        Counter(group_of[c] for c in course_ids).most_common(1)[0][1]
        for course_ids in baskets.values()
    )
    assert in_main_group / (2000 * 5) > 0.6


def test_languages_with_more_courses_have_more_users(catalog: list[Course]) -> None:
    language_of = {course.id: course.language for course in catalog}
    baskets = _generate(catalog, 2000, 5)

    english_courses = sum(course.language == "en" for course in catalog) / len(catalog)
    english_users = sum(
        Counter(language_of[c] for c in course_ids).most_common(1)[0][0] == "en"
        for course_ids in baskets.values()
    )
    assert english_users / 2000 == pytest.approx(english_courses, abs=0.1)


def test_popular_courses_hold_most_subscriptions(catalog: list[Course]) -> None:
    baskets = _generate(catalog, 2000, 5)

    per_course = Counter(c for course_ids in baskets.values() for c in course_ids)
    most_popular = sorted(per_course.values(), reverse=True)[: len(catalog) // 10]
    assert sum(most_popular) / (2000 * 5) > 0.25


def test_more_courses_per_user_than_courses_is_rejected(catalog: list[Course]) -> None:
    with pytest.raises(ValueError, match="more subscriptions per user than there are courses"):
        latent_interest_enrolments(catalog[:10], 1, 11, 1, NOW)


def test_every_course_per_user_terminates_with_all_courses(catalog: list[Course]) -> None:
    few = catalog[:25]
    baskets = _generate(few, 3, 25)

    assert sorted(baskets) == [1, 2, 3]
    for course_ids in baskets.values():
        assert sorted(course_ids) == [course.id for course in few]


def test_no_users_or_no_courses_per_user_yield_nothing(catalog: list[Course]) -> None:
    assert list(latent_interest_enrolments(catalog, 0, 3, 1, NOW)) == []
    assert list(latent_interest_enrolments([], 5, 0, 1, NOW)) == []
