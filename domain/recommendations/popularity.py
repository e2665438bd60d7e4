"""The most subscribed courses, overall and per category in each teaching language: what a
user with nothing to go on (or not enough) is shown."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence

from records.catalog import Course
from records.recommendations import Neighbours, PopularScope

EVERYTHING = PopularScope()


def popular_lists(
    courses: Sequence[Course], subscribers: Mapping[int, int], kept: int
) -> dict[PopularScope, Neighbours]:
    """Per scope, its `kept` most subscribed active courses; each scores its share of the
    scope's subscriptions."""
    members: defaultdict[PopularScope, list[Course]] = defaultdict(list)
    for course in courses:
        if course.is_active and subscribers.get(course.id, 0) > 0:
            members[EVERYTHING].append(course)
            members[PopularScope(course.category, course.language)].append(course)
    lists: dict[PopularScope, Neighbours] = {}
    for scope, scope_courses in members.items():
        total = sum(subscribers[c.id] for c in scope_courses)
        best = sorted(scope_courses, key=lambda c: (-subscribers[c.id], c.id))[:kept]
        lists[scope] = Neighbours(
            tuple(c.id for c in best), tuple(round(subscribers[c.id] / total, 6) for c in best)
        )
    return lists


def scopes_of(owned: Sequence[Course]) -> list[PopularScope]:
    """The category-and-language scopes of a user's courses (newest first), the most frequent
    first, then everything."""
    counts = Counter(PopularScope(c.category, c.language) for c in owned)
    first_seen = {scope: i for i, scope in reversed(list(enumerate(counts)))}
    ordered = sorted(counts, key=lambda s: (-counts[s], first_seen[s]))
    return [*ordered, EVERYTHING]
