"""The `analytics` field of the Query root: admins only, checked before any argument is read."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from records.analytics import Bucket, Interval, Measurement
from records.catalog import Category
from resolvers import analytics
from resolvers.analytics import PopularCourse, Window
from resolvers.errors import Problem
from schema.analytics.types import (
    Activity,
    PopularCourseList,
    PopularCoursesResult,
    PopularCourseType,
    SeriesResult,
    TimeSeries,
)
from schema.common.cost import ENGINE_QUERY_COST, Cost, ListSize
from schema.common.info import Info
from schema.common.problems import AnalyticsUnavailable, Forbidden, InvalidInput, Unauthenticated
from schema.common.results import result

From = Annotated[date, strawberry.argument(name="from", description="First day (UTC)")]
To = Annotated[date, strawberry.argument(description="Last day (UTC), included")]
_ENGINE_QUERY = Cost(weight=ENGINE_QUERY_COST)
CourseId = Annotated[strawberry.ID | None, strawberry.argument(description="One course")]
InCategory = Annotated[Category | None, strawberry.argument(description="One category")]


def _series(outcome: list[Bucket] | Problem) -> SeriesResult:
    return result(outcome, TimeSeries.of, InvalidInput, AnalyticsUnavailable)


def _popular(outcome: list[PopularCourse] | Problem) -> PopularCoursesResult:
    return result(
        outcome,
        lambda found: PopularCourseList(items=[PopularCourseType.from_record(p) for p in found]),
        InvalidInput,
        AnalyticsUnavailable,
    )


def _series_field(measurement: Measurement, description: str) -> SeriesResult:
    """A field answering one measurement's series."""

    async def resolve(
        info: Info,
        from_: From,
        to: To,
        interval: Interval = Interval.DAY,
        course_id: CourseId = None,
        category: InCategory = None,
    ) -> SeriesResult:
        return _series(
            await analytics.series(
                info.context, measurement, from_, to, interval, course_id, category
            )
        )

    field: SeriesResult = strawberry.field(
        resolver=resolve, description=description, directives=[_ENGINE_QUERY]
    )
    return field


@strawberry.type
class Analytics:
    """Subscription analytics; without courseId or category a series counts every course."""

    active_subscriptions: SeriesResult = _series_field(
        Measurement.ACTIVE_SUBSCRIPTIONS, "Active subscriptions at the end of each bucket"
    )
    revenue: SeriesResult = _series_field(
        Measurement.REVENUE_PAISE, "Captured payments less refunds in each bucket, in paise"
    )

    @strawberry.field(
        description="How many of `activity` happened in each bucket", directives=[_ENGINE_QUERY]
    )
    async def activity(
        self,
        info: Info,
        activity: Activity,
        from_: From,
        to: To,
        interval: Interval = Interval.DAY,
        course_id: CourseId = None,
        category: InCategory = None,
    ) -> SeriesResult:
        return _series(
            await analytics.series(
                info.context, activity.value, from_, to, interval, course_id, category
            )
        )

    @strawberry.field(
        description="Active subscriptions ending on each of the next `days` days",
        directives=[_ENGINE_QUERY],
    )
    async def expiration_forecast(
        self, info: Info, days: int = 30, course_id: CourseId = None, category: InCategory = None
    ) -> SeriesResult:
        return _series(await analytics.expiration_forecast(info.context, days, course_id, category))

    @strawberry.field(
        description="The courses with the most new subscriptions in the window",
        directives=[_ENGINE_QUERY, ListSize(slicing_arguments=["first"], sized_fields=["items"])],
    )
    async def popular_courses(
        self, info: Info, window: Window = Window.WEEK, first: int = 10
    ) -> PopularCoursesResult:
        return _popular(await analytics.popular_courses(info.context, window, first))


AnalyticsResult = Annotated[
    Analytics | Unauthenticated | Forbidden, strawberry.union("AnalyticsResult")
]


@strawberry.type
class AnalyticsQueries:
    @strawberry.field(description="Admin: subscription analytics")
    def analytics(self, info: Info) -> AnalyticsResult:
        allowed: Analytics | Problem = info.context.admin_problem() or Analytics()
        return result(allowed, lambda analytics: analytics, Unauthenticated, Forbidden)
