from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone

import pytest

from jobs.demo_data import (
    DEMO_USERS,
    DemoEnrolment,
    demo_courses,
    demo_subscriptions,
    synthetic_courses,
)
from records.catalog import Category, CourseDraft, Difficulty

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
LANGUAGE_CODE_PATTERN = re.compile(r"^[a-z]{2}$")
NOW = datetime(2025, 6, 1, 12, 30, tzinfo=UTC)
ALLOWED_VALIDITY_DAYS = {None, 30, 90, 180, 365, 730}


@pytest.fixture(scope="module")
def courses() -> list[CourseDraft]:
    return demo_courses()


@pytest.fixture(scope="module")
def enrolments(courses: list[CourseDraft]) -> list[DemoEnrolment]:
    course_ids, validity = _numbered(courses)
    return demo_subscriptions(course_ids, validity, NOW)


def _numbered(drafts: list[CourseDraft]) -> tuple[list[int], dict[int, int | None]]:
    validity = {number: draft.validity_days for number, draft in enumerate(drafts, start=1)}
    return list(validity), validity


def _share(count: int, total: int) -> float:
    return count / total


def test_demo_catalogue_is_large_enough(courses: list[CourseDraft]) -> None:
    assert len(courses) >= 200


def test_every_category_and_difficulty_is_present(courses: list[CourseDraft]) -> None:
    assert {course.category for course in courses} == set(Category)
    assert {course.difficulty for course in courses} == set(Difficulty)


def test_several_languages_are_present(courses: list[CourseDraft]) -> None:
    languages = {course.language for course in courses}
    assert {"en", "hi", "ta", "mr", "bn", "te", "es", "fr", "de"} <= languages
    assert all(LANGUAGE_CODE_PATTERN.match(language) for language in languages)


def test_slugs_are_unique_and_well_formed(courses: list[CourseDraft]) -> None:
    slugs = [course.slug for course in courses]
    assert len(set(slugs)) == len(slugs)
    for slug in slugs:
        assert SLUG_PATTERN.match(slug), slug
        assert len(slug) <= 120


def test_titles_are_unique_and_within_limits(courses: list[CourseDraft]) -> None:
    titles = [course.title for course in courses]
    assert len(set(titles)) == len(titles)
    assert all(0 < len(title) <= 200 for title in titles)


def test_descriptions_are_short_prose_within_limits(courses: list[CourseDraft]) -> None:
    for course in courses:
        assert 0 < len(course.description) <= 5000
        sentence_count = course.description.count(". ") + 1
        assert 1 <= sentence_count <= 3, course.description
        assert course.description.endswith(".")


def test_tags_are_lowercase_and_two_to_five(courses: list[CourseDraft]) -> None:
    for course in courses:
        assert 2 <= len(course.tags) <= 5, course.tags
        assert len(set(course.tags)) == len(course.tags)
        assert all(SLUG_PATTERN.match(tag) for tag in course.tags), course.tags


def test_prices_are_paise_with_a_realistic_free_share(courses: list[CourseDraft]) -> None:
    assert all(isinstance(course.price_paise, int) for course in courses)
    assert all(course.price_paise >= 0 for course in courses)
    assert {course.currency for course in courses} == {"INR"}
    free_share = _share(sum(course.price_paise == 0 for course in courses), len(courses))
    assert 0.10 <= free_share <= 0.35


def test_validity_mixes_lifetime_and_fixed_periods(courses: list[CourseDraft]) -> None:
    validities = {course.validity_days for course in courses}
    assert validities == ALLOWED_VALIDITY_DAYS


def test_a_few_courses_are_inactive(courses: list[CourseDraft]) -> None:
    inactive_share = _share(sum(not course.is_active for course in courses), len(courses))
    assert 0 < inactive_share <= 0.08


def test_demo_courses_are_deterministic() -> None:
    assert demo_courses() == demo_courses()


def test_synthetic_courses_scale_with_unique_slugs() -> None:
    drafts = synthetic_courses(10_000)
    assert len(drafts) == 10_000
    slugs = [draft.slug for draft in drafts]
    assert len(set(slugs)) == len(slugs)
    assert all(SLUG_PATTERN.match(slug) and len(slug) <= 120 for slug in slugs)
    assert all(len(draft.title) <= 200 for draft in drafts)
    assert {draft.category for draft in drafts} == set(Category)


def test_synthetic_courses_depend_only_on_the_seed() -> None:
    assert synthetic_courses(300, seed=3) == synthetic_courses(300, seed=3)
    assert synthetic_courses(300, seed=3) != synthetic_courses(300, seed=4)
    assert synthetic_courses(0) == []


def test_synthetic_courses_reject_negative_count() -> None:
    with pytest.raises(ValueError):
        synthetic_courses(-1)


def test_every_demo_user_has_one_to_eight_distinct_courses(
    enrolments: list[DemoEnrolment],
) -> None:
    pairs = [(enrolment.user_id, enrolment.course_id) for enrolment in enrolments]
    assert len(set(pairs)) == len(pairs)
    courses_per_user = Counter(enrolment.user_id for enrolment in enrolments)
    assert set(courses_per_user) == set(DEMO_USERS)
    assert all(1 <= count <= 8 for count in courses_per_user.values())


def test_enrolments_are_utc_within_two_years_and_expire_by_validity(
    courses: list[CourseDraft], enrolments: list[DemoEnrolment]
) -> None:
    _, validity = _numbered(courses)
    for enrolment in enrolments:
        assert enrolment.enrolled_at.utcoffset() == timedelta(0)
        assert NOW - timedelta(days=730) <= enrolment.enrolled_at <= NOW
        days = validity[enrolment.course_id]
        if days is None:
            assert enrolment.expires_at is None
        else:
            assert enrolment.expires_at == enrolment.enrolled_at + timedelta(days=days)


def test_at_least_a_fifth_of_enrolments_have_expired(enrolments: list[DemoEnrolment]) -> None:
    expired = sum(enrolment.is_expired_at(NOW) for enrolment in enrolments)
    assert _share(expired, len(enrolments)) >= 0.20
    assert expired < len(enrolments)


def test_user_one_has_active_and_expired_subscriptions(enrolments: list[DemoEnrolment]) -> None:
    user_one = [enrolment for enrolment in enrolments if enrolment.user_id == 1]
    assert any(enrolment.is_expired_at(NOW) for enrolment in user_one)
    assert any(not enrolment.is_expired_at(NOW) for enrolment in user_one)


def test_demo_subscriptions_are_deterministic(courses: list[CourseDraft]) -> None:
    course_ids, validity = _numbered(courses)
    assert demo_subscriptions(course_ids, validity, NOW) == demo_subscriptions(
        course_ids, validity, NOW
    )


def test_expired_share_is_topped_up_when_courses_rarely_expire() -> None:
    # Half lifetime, half valid for 600 days: left alone, only about 9% would have expired.
    validity: dict[int, int | None] = {course_id: None for course_id in range(1, 21)}
    validity.update({course_id: 600 for course_id in range(21, 41)})
    enrolments = demo_subscriptions(list(validity), validity, NOW)
    expired = sum(enrolment.is_expired_at(NOW) for enrolment in enrolments)
    assert _share(expired, len(enrolments)) >= 0.20
    assert any(e.user_id == 1 and e.is_expired_at(NOW) for e in enrolments)


def test_other_time_zones_are_normalised_to_utc(courses: list[CourseDraft]) -> None:
    course_ids, validity = _numbered(courses)
    india_now = NOW.astimezone(timezone(timedelta(hours=5, minutes=30)))
    enrolments = demo_subscriptions(course_ids, validity, india_now)
    assert all(enrolment.enrolled_at.tzinfo is UTC for enrolment in enrolments)


def test_naive_now_is_rejected(courses: list[CourseDraft]) -> None:
    course_ids, validity = _numbered(courses)
    with pytest.raises(ValueError):
        demo_subscriptions(course_ids, validity, NOW.replace(tzinfo=None))


def test_courses_that_cannot_expire_are_rejected() -> None:
    lifetime_only: dict[int, int | None] = {1: None, 2: None, 3: 730}
    with pytest.raises(ValueError):
        demo_subscriptions(list(lifetime_only), lifetime_only, NOW)
