"""Recommendations: a signed-in user's (`me.recommendations`) and a course's similar courses
(`Course.similar`), read from the current model; without one, from popularity, said so in the
response's `extensions.recommendations`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from datasources.cache.cached_subscriptions import CACHED_ROWS_PER_USER
from domain.recommendations.popularity import EVERYTHING, scopes_of
from domain.recommendations.ranking import (
    MAX_COURSES_CONSIDERED,
    blended_picks,
    popular_picks,
    top_picks,
)
from records.catalog import Category, Course
from records.recommendations import CourseNeighbours, ModelVersion, Neighbours, Pick, PopularScope
from resolvers import subscriptions
from resolvers.context import RequestContext
from resolvers.errors import ClientError

MAX_FIRST = 50
# Picks asked beyond `first`: a course deactivated since the model was built is dropped.
SPARE_PICKS = 10
FALLBACK_NOTE = {"fallback": "popularity", "reason": "no recommendation model is built yet"}


@dataclass(frozen=True, slots=True)
class Recommended:
    course: Course
    reason: str
    score: float


def _check_first(first: int) -> None:
    if not 1 <= first <= MAX_FIRST:
        raise ClientError(f"`first` must be between 1 and {MAX_FIRST}", field="first")


async def my_recommendations(ctx: RequestContext, first: int) -> list[Recommended]:
    """Courses the user has no subscription to (of any state), best first."""
    user = ctx.require_user()
    _check_first(first)
    entry = await subscriptions.my_entry(ctx, user.user_id)
    rows = await ctx.backends.subscriptions.list_in(entry, user.user_id, None, CACHED_ROWS_PER_USER)
    taken = [row.course_id for row in rows]  # newest enrolment first
    owned = set(taken)
    wanted = first + SPARE_PICKS
    model = await ctx.loaders.course_neighbours.model()
    if model is None:
        picks = await _fallback(ctx, owned, wanted, None)
    else:
        considered = taken[:MAX_COURSES_CONSIDERED]
        neighbours = await _neighbours_of(ctx, considered)
        taken_courses = await _courses(ctx, considered)
        scoped = await _popular_in(ctx, model, scopes_of(taken_courses))
        blended = blended_picks(considered, neighbours, model.blend_weight, owned, wanted)
        picks = top_picks(blended, popular_picks(scoped, owned), wanted)
    return await _recommended(ctx, picks, first)


async def similar_courses(ctx: RequestContext, course: Course, first: int) -> list[Course]:
    """Courses most like `course` (never itself), for everyone."""
    _check_first(first)
    wanted = first + SPARE_PICKS
    model = await ctx.loaders.course_neighbours.model()
    if model is None:
        picks = await _fallback(ctx, {course.id}, wanted, course.category)
    else:
        neighbours = await _neighbours_of(ctx, [course.id])
        blended = blended_picks([course.id], neighbours, model.blend_weight, {course.id}, wanted)
        scope = PopularScope(course.category, course.language)
        scoped = await _popular_in(ctx, model, [scope])
        picks = top_picks(blended, popular_picks(scoped, {course.id}), wanted)
    return [r.course for r in await _recommended(ctx, picks, first)]


async def _neighbours_of(
    ctx: RequestContext, course_ids: Sequence[int]
) -> dict[int, CourseNeighbours]:
    found = await ctx.loaders.course_neighbours.load_many(list(course_ids))
    return {c: n for c, n in zip(course_ids, found, strict=True) if n is not None}


async def _courses(ctx: RequestContext, course_ids: Sequence[int]) -> list[Course]:
    found = await ctx.loaders.course.load_many(list(course_ids))
    return [course for course in found if course is not None]


async def _popular_in(
    ctx: RequestContext, model: ModelVersion, scopes: Sequence[PopularScope]
) -> list[tuple[PopularScope, Neighbours]]:
    lists = await ctx.backends.recommendations.popular(model)
    return [(scope, lists[scope.key]) for scope in scopes if scope.key in lists]


async def _fallback(
    ctx: RequestContext, exclude: set[int], wanted: int, category: Category | None
) -> list[Pick]:
    """The most subscribed courses now (of `category` when given, for `similar`)."""
    ctx.extensions["recommendations"] = FALLBACK_NOTE
    popular = await ctx.backends.recommendations.fallback_popular()
    picks = list(popular_picks([(EVERYTHING, popular)], exclude))
    if category is not None:
        courses = await _courses(ctx, [p.course_id for p in picks])
        in_category = {c.id for c in courses if c.category is category}
        picks = [p for p in picks if p.course_id in in_category]
    return picks[:wanted]


async def _recommended(ctx: RequestContext, picks: Sequence[Pick], first: int) -> list[Recommended]:
    """The picks whose courses are active, with the reason each is shown."""
    because = [p.because_of for p in picks if p.because_of is not None]
    found = await ctx.loaders.course.load_many([*(p.course_id for p in picks), *because])
    courses = {course.id: course for course in found if course is not None}
    chosen: list[Recommended] = []
    for pick in picks:
        course = courses.get(pick.course_id)
        if course is None or not course.is_active:
            continue
        chosen.append(Recommended(course, _reason(pick, courses), pick.score))
        if len(chosen) == first:
            break
    return chosen


def _reason(pick: Pick, courses: dict[int, Course]) -> str:
    taken = None if pick.because_of is None else courses.get(pick.because_of)
    if taken is not None:
        return f"because you took {taken.title}"
    scope = pick.popular_in
    if scope is not None and scope.category is not None:
        return f"popular in {category_label(scope.category)}"
    return "popular on Coursegate"


def category_label(category: Category) -> str:
    return category.value.replace("_", " ").title()
