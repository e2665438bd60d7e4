"""What a user is recommended, at request time, from a model's per-course neighbours.

A candidate's score is the sum, over the user's courses, of its blended similarity to each:
`weight * co-subscription + (1 - weight) * content`. Blending at request time keeps the model
per course (thousands of small lists) instead of per user (tens of millions), and a new
subscription counts on the user's next request. The course that contributed most is the
reason. Courses the user has are never recommended; when the user's courses do not give enough
candidates, the rest are the most popular courses in the user's categories and languages, then
overall.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterator, Mapping, Sequence

from records.recommendations import CourseNeighbours, Neighbours, Pick, PopularScope

# A user's newest courses that count: what they take now says more than what they took years
# ago, and the request's work stays bounded.
MAX_COURSES_CONSIDERED = 20


def blended_picks(
    taken_newest_first: Sequence[int],
    neighbours: Mapping[int, CourseNeighbours],
    weight: float,
    exclude: Collection[int],
    limit: int,
) -> list[Pick]:
    """The `limit` best candidates from the neighbours of the user's courses, best first
    (ties: lower id)."""
    totals: dict[int, float] = {}
    reasons: dict[int, tuple[float, int]] = {}
    for taken in taken_newest_first[:MAX_COURSES_CONSIDERED]:
        of_taken = neighbours.get(taken)
        if of_taken is None:
            continue
        contributions: dict[int, float] = {}
        _add(contributions, of_taken.co_subscribed, weight)
        _add(contributions, of_taken.content, 1.0 - weight)
        for course_id, contribution in contributions.items():
            if course_id in exclude:
                continue
            totals[course_id] = totals.get(course_id, 0.0) + contribution
            if contribution > reasons.get(course_id, (0.0, 0))[0]:
                reasons[course_id] = (contribution, taken)
    ranked = heapq.nsmallest(limit, totals.items(), key=lambda item: (-item[1], item[0]))
    return [
        Pick(course_id, round(score, 6), because_of=reasons[course_id][1])
        for course_id, score in ranked
        if score > 0
    ]


def _add(contributions: dict[int, float], neighbours: Neighbours, weight: float) -> None:
    if weight <= 0:
        return
    for course_id, score in zip(neighbours.course_ids, neighbours.scores, strict=True):
        contributions[course_id] = contributions.get(course_id, 0.0) + weight * score


def popular_picks(
    lists: Sequence[tuple[PopularScope, Neighbours]], exclude: Collection[int]
) -> Iterator[Pick]:
    """The courses of each scope's list in turn, each once, scoring its share of the scope."""
    seen: set[int] = set()
    for scope, popular in lists:
        for course_id, share in zip(popular.course_ids, popular.scores, strict=True):
            if course_id not in exclude and course_id not in seen:
                seen.add(course_id)
                yield Pick(course_id, share, popular_in=scope)


def top_picks(picks: Sequence[Pick], fill: Iterator[Pick], count: int) -> list[Pick]:
    """`picks`, then `fill` for what they leave, `count` in all, no course twice."""
    chosen = list(picks[:count])
    taken = {p.course_id for p in chosen}
    for pick in fill:
        if len(chosen) >= count:
            break
        if pick.course_id not in taken:
            taken.add(pick.course_id)
            chosen.append(pick)
    return chosen
