"""The request-time blend: scores, reasons, exclusions and the popularity fill."""

from __future__ import annotations

from domain.recommendations.popularity import EVERYTHING, popular_lists, scopes_of
from domain.recommendations.ranking import (
    MAX_COURSES_CONSIDERED,
    blended_picks,
    popular_picks,
    top_picks,
)
from records.catalog import Category
from records.recommendations import CourseNeighbours, Neighbours, PopularScope
from tests.recommendations.courses import course

NEIGHBOURS = {
    1: CourseNeighbours(Neighbours((2, 3, 4), (0.9, 0.5, 0.1)), Neighbours((5, 2), (0.8, 0.4))),
    2: CourseNeighbours(Neighbours((1, 3), (0.9, 0.6)), Neighbours((6,), (0.3,))),
}


def test_scores_add_up_over_the_users_courses_with_the_blend_weight() -> None:
    picks = blended_picks([1, 2], NEIGHBOURS, 0.5, {1, 2}, 10)
    scores = {p.course_id: p.score for p in picks}
    assert scores == {3: 0.55, 5: 0.4, 4: 0.05, 6: 0.15}
    assert [p.course_id for p in picks] == [3, 5, 6, 4]


def test_the_reason_is_the_course_that_contributed_most() -> None:
    picks = {p.course_id: p for p in blended_picks([1, 2], NEIGHBOURS, 0.5, {1, 2}, 10)}
    assert picks[3].because_of == 2  # 0.3 from course 2 against 0.25 from course 1
    assert picks[5].because_of == 1
    assert picks[6].because_of == 2


def test_limit_keeps_the_best() -> None:
    picks = blended_picks([1, 2], NEIGHBOURS, 0.5, {1, 2}, 2)
    assert [p.course_id for p in picks] == [3, 5]


def test_owned_courses_are_never_picked() -> None:
    picks = blended_picks([1], NEIGHBOURS, 0.7, {1, 3}, 10)
    assert {p.course_id for p in picks} == {2, 4, 5}


def test_weight_one_uses_co_subscriptions_only_and_zero_content_only() -> None:
    assert [p.course_id for p in blended_picks([1], NEIGHBOURS, 1.0, {1}, 10)] == [2, 3, 4]
    assert [p.course_id for p in blended_picks([1], NEIGHBOURS, 0.0, {1}, 10)] == [5, 2]


def test_only_the_newest_courses_count() -> None:
    many = {
        i: CourseNeighbours(Neighbours((1000 + i,), (1.0,)), Neighbours.empty())
        for i in range(MAX_COURSES_CONSIDERED + 5)
    }
    taken = list(many)
    picks = blended_picks(taken, many, 1.0, set(taken), 100)
    assert {p.course_id for p in picks} == {1000 + i for i in range(MAX_COURSES_CONSIDERED)}


def test_popular_fill_comes_after_the_picks_without_repeating_a_course() -> None:
    scoped = PopularScope(Category.CODING, "en")
    lists = [
        (scoped, Neighbours((3, 7, 8), (0.5, 0.3, 0.2))),
        (EVERYTHING, Neighbours((7, 9), (0.6, 0.4))),
    ]
    picks = blended_picks([1], NEIGHBOURS, 1.0, {1}, 10)
    chosen = top_picks(picks, popular_picks(lists, {1, 8}), 6)
    assert [p.course_id for p in chosen] == [2, 3, 4, 7, 9]
    assert chosen[3].popular_in == scoped
    assert chosen[4].popular_in == EVERYTHING


def test_a_user_with_no_courses_gets_the_most_popular() -> None:
    lists = [(EVERYTHING, Neighbours((4, 2, 9), (0.5, 0.3, 0.2)))]
    chosen = top_picks(blended_picks([], NEIGHBOURS, 0.7, set(), 2), popular_picks(lists, set()), 2)
    assert [p.course_id for p in chosen] == [4, 2]


def test_popular_lists_per_category_and_language_count_only_active_courses() -> None:
    courses = [
        course(1, Category.CODING, "en"),
        course(2, Category.CODING, "en"),
        course(3, Category.CODING, "hi"),
        course(4, Category.CODING, "en", active=False),
    ]
    lists = popular_lists(courses, {1: 1, 2: 3, 3: 4, 4: 100}, kept=10)
    assert lists[PopularScope(Category.CODING, "en")] == Neighbours((2, 1), (0.75, 0.25))
    assert lists[EVERYTHING].course_ids == (3, 2, 1)


def test_scopes_follow_the_users_courses_most_frequent_first() -> None:
    owned = [
        course(1, Category.KIDS, "hi"),
        course(2, Category.CODING, "en"),
        course(3, Category.CODING, "en"),
    ]
    assert scopes_of(owned) == [
        PopularScope(Category.CODING, "en"),
        PopularScope(Category.KIDS, "hi"),
        EVERYTHING,
    ]
    assert scopes_of([]) == [EVERYTHING]
