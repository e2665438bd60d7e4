"""Synthetic enrolments of users with latent interests and a popularity skew.

``coursegate seed --users N --subscriptions-per-user K`` loads these, so that a recommender
evaluated on them has something to find. The generative model:

Hidden catalog structure (fixed by ``CATALOG_SEED``, so every chunk of users, whatever its
``first_user_id``, sees the same structure):

- An *interest group* is the courses sharing a (category, language). Within a group the
  courses are shuffled and split into *bundles* of ``BUNDLE_SIZE`` (6) courses, the last one
  possibly smaller. Nothing in a course's fields reveals its bundle; only co-subscriptions do.
- Every course has a global popularity rank (a shuffle of all courses); its rank within its
  group is the same order restricted to the group.

Each user (drawn with a ``random.Random`` seeded with ``first_user_id``) has:

- a home language, weighted by the number of courses in that language;
- a favourite group among that language's groups, Zipf-weighted (exponent
  ``GROUP_EXPONENT`` = 1.0) over the groups ordered by size, largest first;
- a home bundle in that group, Zipf-weighted (exponent ``BUNDLE_EXPONENT`` = 1.1) over the
  group's bundles in their fixed order: the popularity skew among bundles;
- with probability ``SECOND_INTEREST`` (0.3), if the language has another group, a second
  favourite group (the same draw, repeated until it differs from the first) with its own
  home bundle.

Each of the user's ``per_user`` distinct courses comes, with probability

- ``P_BUNDLE`` (0.55), from a home bundle (one of the two picked uniformly; uniform within it),
- ``P_GROUP`` (0.25), from a favourite group (picked likewise), Zipf-weighted (exponent
  ``POPULARITY_EXPONENT`` = 1.0) over the group's popularity ranks,
- otherwise (0.20), from the whole catalog, Zipf-weighted (exponent 1.0) over the global
  popularity ranks.

A course the user already has is redrawn; after ``MAX_FAILED_DRAWS`` (20) failed draws the
user gets the most popular course they do not have yet, so any ``per_user`` up to the number
of courses terminates.

Enrolment times are ``per_user`` random minutes within ``WINDOW_DAYS`` (730) days before
``now``, sorted so that the first course drawn is the oldest enrolment and each later one is
strictly newer (a collision moves the newer one a minute later). ``expires_at`` is
``enrolled_at`` plus the course's validity, or None for lifetime access.

Weighted draws bisect precomputed cumulative weights: this generator loads tens of millions
of rows, so nothing per row allocates weights or builds ``timedelta`` objects.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate, repeat
from typing import Final, Generic, TypeVar

from records.catalog import Category, Course
from records.subscriptions import NewSubscription

BUNDLE_SIZE: Final = 6
SECOND_INTEREST: Final = 0.3
P_BUNDLE: Final = 0.55
P_GROUP: Final = 0.25
GROUP_EXPONENT: Final = 1.0
BUNDLE_EXPONENT: Final = 1.1
POPULARITY_EXPONENT: Final = 1.0
MAX_FAILED_DRAWS: Final = 20
WINDOW_DAYS: Final = 730
WINDOW_MINUTES: Final = WINDOW_DAYS * 24 * 60
CATALOG_SEED: Final = 20240612

T = TypeVar("T")
GroupKey = tuple[Category, str]


class WeightedDraw(Generic[T]):
    """Items with fixed weights, drawn by bisecting their cumulative weights."""

    __slots__ = ("_cumulative", "_last", "_total", "items")

    def __init__(self, items: Sequence[T], weights: Iterable[float]) -> None:
        self.items = tuple(items)
        self._cumulative = list(accumulate(weights))
        if len(self._cumulative) != len(self.items) or not self.items:
            raise ValueError("a weighted draw needs one weight per item and at least one item")
        self._total = self._cumulative[-1]
        self._last = len(self.items) - 1

    def draw(self, rng: random.Random) -> T:
        # hi=_last guards against rng.random() * total rounding up to total, as random.choices.
        index = bisect(self._cumulative, rng.random() * self._total, 0, self._last)
        return self.items[index]


def zipf_draw(ranked: Sequence[T], exponent: float) -> WeightedDraw[T]:
    """The first item weighs 1, the one at rank r weighs 1 / r**exponent."""
    return WeightedDraw(ranked, (rank**-exponent for rank in range(1, len(ranked) + 1)))


@dataclass(frozen=True, slots=True)
class Interest:
    """A favourite group with a home bundle in it."""

    home_bundle: tuple[int, ...]
    group_courses: WeightedDraw[int]  # the group's course ids by popularity rank


@dataclass(frozen=True, slots=True)
class InterestGroup:
    key: GroupKey
    courses: WeightedDraw[int]
    interests: WeightedDraw[Interest]  # one per bundle, in the bundles' fixed order

    @property
    def size(self) -> int:
        return len(self.courses.items)


class InterestModel:
    """The hidden structure of a catalog (groups, bundles, popularity), built once."""

    def __init__(self, courses: Sequence[Course]) -> None:
        by_id = sorted(courses, key=lambda course: course.id)
        by_popularity = list(by_id)
        random.Random(f"{CATALOG_SEED}:popularity").shuffle(by_popularity)
        self.ranked_ids = tuple(course.id for course in by_popularity)
        self.popular = zipf_draw(self.ranked_ids, POPULARITY_EXPONENT)
        self.groups = _interest_groups(by_id, by_popularity)
        self.languages = _language_draw(self.groups)
        self.validity_span = {course.id: _validity_span(course) for course in by_id}

    def user_courses(self, rng: random.Random, count: int) -> list[int]:
        """One user's `count` distinct course ids, in the order they were drawn."""
        interests = self.draw_interests(rng)
        taken: dict[int, None] = {}  # an ordered set
        for _ in range(count):
            for _ in range(MAX_FAILED_DRAWS):
                course_id = self._draw_course(rng, interests)
                if course_id not in taken:
                    break
            else:
                course_id = next(c for c in self.ranked_ids if c not in taken)
            taken[course_id] = None
        return list(taken)

    def draw_interests(self, rng: random.Random) -> tuple[Interest, ...]:
        groups = self.languages.draw(rng)
        favourite = groups.draw(rng)
        first = favourite.interests.draw(rng)
        if len(groups.items) == 1 or rng.random() >= SECOND_INTEREST:
            return (first,)
        second = groups.draw(rng)
        while second is favourite:
            second = groups.draw(rng)
        return (first, second.interests.draw(rng))

    def _draw_course(self, rng: random.Random, interests: tuple[Interest, ...]) -> int:
        roll = rng.random()
        if roll >= P_BUNDLE + P_GROUP:
            return self.popular.draw(rng)
        interest = interests[0] if len(interests) == 1 else interests[int(rng.random() * 2)]
        if roll < P_BUNDLE:
            bundle = interest.home_bundle
            return bundle[int(rng.random() * len(bundle))]
        return interest.group_courses.draw(rng)


def latent_interest_enrolments(
    courses: Sequence[Course],
    users: int,
    per_user: int,
    first_user_id: int,
    now: datetime,
    source: str = "demo",
) -> Iterator[NewSubscription]:
    """Enrolments of users first_user_id.. in `per_user` distinct courses each (the model in the
    module docstring); the same arguments give the same enrolments."""
    if per_user > len(courses):
        raise ValueError("more subscriptions per user than there are courses")
    if per_user > WINDOW_MINUTES:
        raise ValueError("more subscriptions per user than minutes in the enrolment window")
    if users <= 0 or per_user <= 0:
        return iter(())
    return _enrolments(InterestModel(courses), users, per_user, first_user_id, now, source)


def _enrolments(
    model: InterestModel,
    users: int,
    per_user: int,
    first_user_id: int,
    now: datetime,
    source: str,
) -> Iterator[NewSubscription]:
    # timedelta objects built once (by C-level additions, 20x faster than a comprehension of
    # timedelta(minutes=m)): a row then costs a subtraction and an addition.
    minutes = list(
        accumulate(repeat(timedelta(minutes=1), WINDOW_MINUTES - 1), initial=timedelta(0))
    )
    validity_span = model.validity_span
    for user_id, course_id, minutes_ago in enrolment_draws(model, users, per_user, first_user_id):
        enrolled_at = now - minutes[minutes_ago]
        span = validity_span[course_id]
        expires_at = None if span is None else enrolled_at + span
        yield NewSubscription(user_id, course_id, enrolled_at, expires_at, source)


def enrolment_draws(
    model: InterestModel, users: int, per_user: int, first_user_id: int
) -> Iterator[tuple[int, int, int]]:
    """(user id, course id, minutes before now) of each enrolment, in the order
    latent_interest_enrolments yields them: the bulk seed formats these as text itself."""
    rng = random.Random(first_user_id)
    for user_id in range(first_user_id, first_user_id + users):
        course_ids = model.user_courses(rng, per_user)
        for course_id, minutes_ago in zip(
            course_ids, enrolment_minutes_ago(rng, per_user), strict=True
        ):
            yield user_id, course_id, minutes_ago


def enrolment_minutes_ago(rng: random.Random, count: int) -> list[int]:
    """`count` random minutes before now within the window, strictly decreasing (oldest first)."""
    minutes_ago = [int(rng.random() * WINDOW_MINUTES) for _ in range(count)]
    minutes_ago.sort(reverse=True)
    for index in range(1, count):
        if minutes_ago[index] >= minutes_ago[index - 1]:
            minutes_ago[index] = minutes_ago[index - 1] - 1
    if minutes_ago and minutes_ago[-1] < 0:
        # Collisions pushed the newest past now: lift the tail to ..., 2, 1, 0 minutes ago.
        minutes_ago = [max(m, count - 1 - index) for index, m in enumerate(minutes_ago)]
    return minutes_ago


def _validity_span(course: Course) -> timedelta | None:
    return None if course.validity_days is None else timedelta(days=course.validity_days)


def _interest_groups(
    by_id: Sequence[Course], by_popularity: Sequence[Course]
) -> list[InterestGroup]:
    """Groups largest first; ties in (category, language) order."""
    members_by_id: dict[GroupKey, list[int]] = {}
    for course in by_id:
        members_by_id.setdefault((course.category, course.language), []).append(course.id)
    members_by_popularity: dict[GroupKey, list[int]] = {}
    for course in by_popularity:
        members_by_popularity.setdefault((course.category, course.language), []).append(course.id)
    keys = sorted(members_by_id, key=lambda key: (-len(members_by_id[key]), key))
    return [_interest_group(key, members_by_id[key], members_by_popularity[key]) for key in keys]


def _interest_group(key: GroupKey, by_id: list[int], by_popularity: list[int]) -> InterestGroup:
    courses = zipf_draw(by_popularity, POPULARITY_EXPONENT)
    interests = [Interest(bundle, courses) for bundle in _bundles(key, by_id)]
    return InterestGroup(key, courses, zipf_draw(interests, BUNDLE_EXPONENT))


def _bundles(key: GroupKey, course_ids: list[int]) -> list[tuple[int, ...]]:
    category, language = key
    # Seeded per group, so adding courses to one group leaves the others' bundles alone.
    shuffled = list(course_ids)
    random.Random(f"{CATALOG_SEED}:bundles:{category}:{language}").shuffle(shuffled)
    return [
        tuple(shuffled[start : start + BUNDLE_SIZE])
        for start in range(0, len(shuffled), BUNDLE_SIZE)
    ]


def _language_draw(groups: Sequence[InterestGroup]) -> WeightedDraw[WeightedDraw[InterestGroup]]:
    """A home language, weighted by its course count, as the draw of its favourite group."""
    groups_by_language: dict[str, list[InterestGroup]] = {}
    for group in groups:  # largest first, so each language's list is too
        groups_by_language.setdefault(group.key[1], []).append(group)
    languages = sorted(groups_by_language)
    return WeightedDraw(
        [zipf_draw(groups_by_language[language], GROUP_EXPONENT) for language in languages],
        [sum(group.size for group in groups_by_language[language]) for language in languages],
    )
