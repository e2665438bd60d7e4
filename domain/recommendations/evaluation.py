"""Offline evaluation: each test user's newest course is held out, the model is built from
everything else, and each method's top 10 for the user is checked for the held-out course.

With one held-out course per user, precision@10 is hits / 10, recall@10 the share of users whose
course is in their top 10, and NDCG@10 credits a hit at rank r (from 1) with 1 / log2(r + 1).
The blend's weight is picked on half the test users and every method is reported on the other
half, so the pick is not graded on the users it was fitted to.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from domain.recommendations.model import BuiltModel
from domain.recommendations.popularity import EVERYTHING, scopes_of
from domain.recommendations.ranking import blended_picks, popular_picks, top_picks
from records.catalog import Course

CUTOFF = 10
WEIGHTS = (*(w / 10 for w in range(10)), 0.95, 0.98, 1.0)


@dataclass(frozen=True, slots=True)
class HeldOutCase:
    taken_newest_first: tuple[int, ...]  # what the model may know of the user
    held_out: int


@dataclass(frozen=True, slots=True)
class Quality:
    precision: float
    recall: float
    ndcg: float


@dataclass(frozen=True)
class Evaluation:
    popularity: Quality
    content_only: Quality
    co_subscription_only: Quality
    blend: Quality
    blend_weight: float
    tuned_on: int  # test users the weight was picked on
    reported_on: int  # test users the figures are of
    ndcg_by_weight: dict[float, float]  # on the tuning half


class TestUsers:
    """Whom the evaluation holds out: a fixed share of users with at least two courses, picked
    by a hash of the id (so every shard agrees without coordination), at most `limit`."""

    def __init__(self, percent: int, limit: int) -> None:
        self._percent = percent
        self._limit = limit
        self.cases: list[HeldOutCase] = []

    def hold_out(self, user_id: int, taken_oldest_first: Sequence[int]) -> Sequence[int]:
        """What the model is built from for this user: all, or all but the newest."""
        if len(taken_oldest_first) < 2 or len(self.cases) >= self._limit:
            return taken_oldest_first
        if zlib.crc32(user_id.to_bytes(8, "little")) % 100 >= self._percent:
            return taken_oldest_first
        *kept, newest = taken_oldest_first
        self.cases.append(HeldOutCase(tuple(reversed(kept)), newest))
        return kept


Recommender = Callable[[HeldOutCase], Sequence[int]]


def quality(cases: Sequence[HeldOutCase], recommend: Recommender) -> Quality:
    hits = 0
    gain = 0.0
    for case in cases:
        top = list(recommend(case))[:CUTOFF]
        if case.held_out in top:
            hits += 1
            gain += 1.0 / math.log2(top.index(case.held_out) + 2)
    users = max(1, len(cases))
    return Quality(hits / (CUTOFF * users), hits / users, gain / users)


def served(model: BuiltModel, courses: Mapping[int, Course], weight: float) -> Recommender:
    """What `me.recommendations` answers with this blend weight."""

    def recommend(case: HeldOutCase) -> list[int]:
        taken = case.taken_newest_first
        owned = [courses[c] for c in taken if c in courses]
        lists = [(s, model.popular[s]) for s in scopes_of(owned) if s in model.popular]
        picks = blended_picks(taken, model.neighbours, weight, set(taken), CUTOFF)
        return [p.course_id for p in top_picks(picks, popular_picks(lists, set(taken)), CUTOFF)]

    return recommend


def most_popular(model: BuiltModel) -> Recommender:
    popular = model.popular.get(EVERYTHING)

    def recommend(case: HeldOutCase) -> list[int]:
        if popular is None:
            return []
        taken = set(case.taken_newest_first)
        return [c for c in popular.course_ids if c not in taken][:CUTOFF]

    return recommend


def evaluate(
    model: BuiltModel, courses: Mapping[int, Course], cases: Sequence[HeldOutCase]
) -> Evaluation:
    tuning, reporting = cases[0::2], cases[1::2]
    ndcg_by_weight = {w: quality(tuning, served(model, courses, w)).ndcg for w in WEIGHTS}
    best = max(WEIGHTS, key=lambda w: (ndcg_by_weight[w], -abs(w - 0.5)))
    return Evaluation(
        popularity=quality(reporting, most_popular(model)),
        content_only=quality(reporting, served(model, courses, 0.0)),
        co_subscription_only=quality(reporting, served(model, courses, 1.0)),
        blend=quality(reporting, served(model, courses, best)),
        blend_weight=best,
        tuned_on=len(tuning),
        reported_on=len(reporting),
        ndcg_by_weight=ndcg_by_weight,
    )
