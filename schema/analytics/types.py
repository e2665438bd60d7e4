"""Analytics answers: series of buckets and the most subscribed courses."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

import strawberry

from records.analytics import Bucket, Interval, Measurement
from resolvers.analytics import MAX_BUCKETS, PopularCourse, Window
from schema.catalog.types import CourseType
from schema.common.cost import ListSize
from schema.common.problems import AnalyticsUnavailable, InvalidInput

strawberry.enum(Interval, name="AnalyticsInterval", description="DAY, or WEEK (Monday-Sunday)")
strawberry.enum(Window, name="AnalyticsWindow", description="today, the last 7 or 30 days")


@strawberry.enum(description="A count of what happened, per bucket")
class Activity(enum.Enum):
    ENROLMENTS = Measurement.ENROLMENTS
    NEW_SUBSCRIPTIONS = Measurement.NEW_SUBSCRIPTIONS
    PURCHASES = Measurement.PURCHASES
    RENEWALS = Measurement.RENEWALS
    CANCELLATIONS = Measurement.CANCELLATIONS
    REFUNDS = Measurement.REFUNDS
    EXPIRATIONS = Measurement.EXPIRATIONS


@strawberry.type
class SeriesPoint:
    time: datetime = strawberry.field(description="The bucket's start (UTC midnight)")
    value: float = strawberry.field(
        description="A whole number (Float, since revenue in paise outgrows a GraphQL Int)"
    )


@strawberry.type
class TimeSeries:
    points: list[SeriesPoint] = strawberry.field(directives=[ListSize(assumed_size=MAX_BUCKETS)])

    @classmethod
    def of(cls, buckets: list[Bucket]) -> TimeSeries:
        return cls(points=[SeriesPoint(time=b.start, value=float(b.value)) for b in buckets])


@strawberry.type(name="PopularCourse")
class PopularCourseType:
    course: CourseType
    new_subscriptions: int

    @classmethod
    def from_record(cls, popular: PopularCourse) -> PopularCourseType:
        return cls(
            course=CourseType.from_record(popular.course),
            new_subscriptions=popular.new_subscriptions,
        )


@strawberry.type
class PopularCourseList:
    items: list[PopularCourseType]


SeriesResult = Annotated[
    TimeSeries | InvalidInput | AnalyticsUnavailable, strawberry.union("SeriesResult")
]
PopularCoursesResult = Annotated[
    PopularCourseList | InvalidInput | AnalyticsUnavailable,
    strawberry.union("PopularCoursesResult"),
]
