"""Co-subscription and content similarity, computed as the job computes them."""

from __future__ import annotations

import pytest

from domain.recommendations import co_subscriptions
from domain.recommendations.co_subscriptions import SHRINK, CoSubscriptions
from domain.recommendations.content import content_neighbours
from records.catalog import Category, Difficulty
from tests.recommendations.courses import course


def _counted(users: list[list[int]], courses: int = 6) -> CoSubscriptions:
    counts = CoSubscriptions(list(range(1, courses + 1)))
    for taken in users:
        counts.add_user(taken)
    return counts


USERS = [[1, 2]] * 8 + [[1, 3]] * 2 + [[3, 4], [5], [2, 99]]


def test_courses_taken_together_most_are_nearest() -> None:
    neighbours = _counted(USERS).neighbours(kept=5)
    assert neighbours[1].course_ids == (2, 3)
    # c_12 = 8, n_1 = 10, n_2 = 9: the cosine, shrunk
    assert neighbours[1].scores[0] == pytest.approx(8 / ((10 * 9) ** 0.5 + SHRINK), abs=1e-6)
    assert neighbours[4].course_ids == (3,)
    assert 5 not in neighbours  # taken with nothing else
    assert 6 not in neighbours  # taken by nobody


def test_unknown_courses_are_left_out_and_counted_nowhere() -> None:
    counts = _counted(USERS)
    assert counts.users == len(USERS)
    assert counts.subscriptions == sum(len(set(u) - {99}) for u in USERS)
    assert counts.subscribers().tolist() == [10, 9, 3, 1, 1, 0]


def test_counting_in_many_small_flushes_gives_the_same_neighbours(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    whole = _counted(USERS).neighbours(kept=5)
    monkeypatch.setattr(co_subscriptions, "FLUSH_SUBSCRIPTIONS", 3)
    assert _counted(USERS).neighbours(kept=5) == whole


def test_kept_bounds_each_list() -> None:
    users = [[1, other] for other in range(2, 7)]
    assert len(_counted(users).neighbours(kept=2)[1].course_ids) == 2


def test_content_neighbours_share_category_language_and_level_first() -> None:
    courses = [
        course(1, Category.CODING, "en", difficulty=Difficulty.BEGINNER, title="Python basics"),
        course(2, Category.CODING, "en", difficulty=Difficulty.BEGINNER, title="Python loops"),
        course(3, Category.CODING, "en", difficulty=Difficulty.ADVANCED, title="Rust traits"),
        course(4, Category.CODING, "hi", difficulty=Difficulty.BEGINNER, title="Python basics"),
        course(5, Category.KIDS, "en", difficulty=Difficulty.BEGINNER, title="Fun keys"),
    ]
    neighbours = content_neighbours(courses, kept=4)
    assert neighbours[1].course_ids[0] == 2
    assert neighbours[1].course_ids.index(3) < neighbours[1].course_ids.index(5)
    assert 1 not in neighbours[1].course_ids
    assert list(neighbours[1].scores) == sorted(neighbours[1].scores, reverse=True)
    assert all(0 < s <= 1 + 1e-9 for s in neighbours[1].scores)


def test_words_shared_by_two_courses_bring_them_closer() -> None:
    courses = [
        course(1, title="Numeric keypad drills"),
        course(2, title="Numeric keypad speed"),
        course(3, title="Home row drills"),
        course(4, title="Home row speed"),
        course(5, title="Punctuation marks"),
    ]
    assert content_neighbours(courses, kept=1)[1].course_ids == (2,)
