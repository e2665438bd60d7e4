"""Subscription analytics for admins: series over a bounded range, the expiry forecast and the
most subscribed courses of a window. Figures come from the series store (the forecast from
the popularity model); when the store is down the answer says so and the rest of the
gateway serves as before."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from datasources.analytics.series import SeriesUnavailable
from datasources.sql import popularity_store
from domain.analytics.grid import filled
from records.analytics import (
    TOTAL_KEY,
    Bucket,
    Interval,
    Measurement,
    Scope,
    SeriesKey,
    day_start,
)
from records.catalog import Category, Course
from resolvers.context import RequestContext
from resolvers.errors import Problem, ProblemKind, invalid
from resolvers.ids import id_or_problem

MAX_BUCKETS = 400  # a little over a year of days
MAX_FORECAST_DAYS = 90
MAX_POPULAR = 100


class Window(enum.Enum):
    DAY = 1
    WEEK = 7
    MONTH = 30


@dataclass(frozen=True, slots=True)
class PopularCourse:
    course: Course
    new_subscriptions: int


def _unavailable(error: SeriesUnavailable) -> Problem:
    return Problem(ProblemKind.ANALYTICS_UNAVAILABLE, f"analytics are unavailable: {error}")


def _series_key(
    measurement: Measurement, raw_course_id: str | None, category: Category | None
) -> SeriesKey | Problem:
    if raw_course_id is not None and category is not None:
        return invalid("category", "give courseId or category, not both")
    if raw_course_id is not None:
        course_id = id_or_problem(raw_course_id, "courseId")
        if isinstance(course_id, Problem):
            return course_id
        return SeriesKey(measurement, Scope.COURSE, str(course_id))
    if category is not None:
        return SeriesKey(measurement, Scope.CATEGORY, category.value)
    return SeriesKey(measurement, Scope.TOTAL, TOTAL_KEY)


def _range(from_day: date, to_day: date, interval: Interval) -> tuple[datetime, datetime] | Problem:
    """[from, to] as whole UTC days, at most MAX_BUCKETS buckets of `interval`."""
    if to_day < from_day:
        return invalid("to", "`to` is before `from`")
    start, end = day_start(from_day), day_start(to_day) + timedelta(days=1)
    buckets = (end - start) / interval.value
    if buckets > MAX_BUCKETS:
        longest = MAX_BUCKETS * interval.value.days
        return invalid("to", f"at most {longest} days at interval {interval.name}")
    return start, end


async def series(
    ctx: RequestContext,
    measurement: Measurement,
    from_day: date,
    to_day: date,
    interval: Interval,
    raw_course_id: str | None = None,
    category: Category | None = None,
) -> list[Bucket] | Problem:
    key = _series_key(measurement, raw_course_id, category)
    if isinstance(key, Problem):
        return key
    bounds = _range(from_day, to_day, interval)
    if isinstance(bounds, Problem):
        return bounds
    start, end = bounds
    try:
        stored = await ctx.backends.analytics.buckets(key, start, end, interval)
    except SeriesUnavailable as error:
        return _unavailable(error)
    return filled(stored, start, end, interval, measurement.is_level, ctx.now)


async def expiration_forecast(
    ctx: RequestContext,
    days: int,
    raw_course_id: str | None = None,
    category: Category | None = None,
) -> list[Bucket] | Problem:
    """Active subscriptions ending on each of the next `days` days, today first."""
    if not 1 <= days <= MAX_FORECAST_DAYS:
        return invalid("days", f"days: 1 to {MAX_FORECAST_DAYS}")
    key = _series_key(Measurement.EXPIRATIONS, raw_course_id, category)
    if isinstance(key, Problem):
        return key
    today = ctx.now.astimezone(UTC).date()
    last = today + timedelta(days=days - 1)
    course_id = int(key.key) if key.scope is Scope.COURSE else None
    per_day = await popularity_store.expiring_per_day(
        ctx.backends.catalog_engine, today, last, course_id, category
    )
    return [
        Bucket(day_start(today + timedelta(days=n)), per_day.get(today + timedelta(days=n), 0))
        for n in range(days)
    ]


async def popular_courses(
    ctx: RequestContext, window: Window, first: int
) -> list[PopularCourse] | Problem:
    """The courses with the most new subscriptions in the window's days up to today."""
    if not 1 <= first <= MAX_POPULAR:
        return invalid("first", f"first: 1 to {MAX_POPULAR}")
    today = ctx.now.astimezone(UTC).date()
    start = day_start(today - timedelta(days=window.value - 1))
    try:
        totals = await ctx.backends.analytics.totals(
            Measurement.NEW_SUBSCRIPTIONS, Scope.COURSE, start, day_start(today + timedelta(1))
        )
    except SeriesUnavailable as error:
        return _unavailable(error)
    ranked = sorted(
        ((int(key), total) for key, total in totals.items() if total > 0),
        key=lambda pair: (-pair[1], pair[0]),
    )
    courses = await ctx.loaders.course.load_many([course_id for course_id, _ in ranked[:first]])
    return [
        PopularCourse(course, total)
        for course, (_, total) in zip(courses, ranked, strict=False)
        if course is not None
    ]
