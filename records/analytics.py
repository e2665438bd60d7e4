"""Subscription analytics as time series: one value per day per member of a scope.

A measurement is either a flow (things that happened that day: add the days of a bucket) or
a level (how many there were that day: a bucket shows its last day). Points are stored at the
start of their UTC day; writing a point again replaces it, so every write is idempotent.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

DAY_SECONDS = 86_400


class Measurement(enum.StrEnum):
    ACTIVE_SUBSCRIPTIONS = "active_subscriptions"  # level: active at the end of the day
    EXPIRATIONS = "expirations"  # subscriptions whose access ends that day (past or forecast)
    NEW_SUBSCRIPTIONS = "new_subscriptions"  # enrolments, purchases and grants without access
    ENROLMENTS = "enrolments"  # free enrolments
    PURCHASES = "purchases"  # captured payments
    RENEWALS = "renewals"  # access bought or granted on top of running access
    CANCELLATIONS = "cancellations"
    REFUNDS = "refunds"
    REVENUE_PAISE = "revenue_paise"  # captured payments less refunds, by the day of each

    @property
    def is_level(self) -> bool:
        return self is Measurement.ACTIVE_SUBSCRIPTIONS


class Scope(enum.StrEnum):
    """Whom a point counts: every course, one category (key: its name), one course (its id)."""

    TOTAL = "total"
    CATEGORY = "category"
    COURSE = "course"


TOTAL_KEY = "all"


class Interval(enum.Enum):
    DAY = timedelta(days=1)
    WEEK = timedelta(weeks=1)  # Monday to Sunday

    @property
    def seconds(self) -> int:
        return int(self.value.total_seconds())

    @property
    def offset_seconds(self) -> int:
        """Buckets are counted from the Unix epoch, a Thursday: weeks move 4 days to Mondays."""
        return 4 * DAY_SECONDS if self is Interval.WEEK else 0

    def bucket_start(self, at_seconds: int) -> int:
        shifted = at_seconds - self.offset_seconds
        return shifted - shifted % self.seconds + self.offset_seconds


@dataclass(frozen=True, slots=True)
class SeriesKey:
    measurement: Measurement
    scope: Scope
    key: str


@dataclass(frozen=True, slots=True)
class Point:
    series: SeriesKey
    day: date
    value: int

    @property
    def time_seconds(self) -> int:
        return day_seconds(self.day)


@dataclass(frozen=True, slots=True)
class Bucket:
    start: datetime
    value: int


@dataclass(frozen=True, slots=True)
class SettledOrder:
    course_id: int
    amount_paise: int
    paid_at: datetime | None  # the first evidence that money was taken; None: never paid
    refunded_at: datetime | None  # None: not refunded


@dataclass(frozen=True, slots=True)
class SubscriptionRun:
    course_id: int
    began_at: datetime  # a renewal extends a run; an enrolment, purchase or grant begins one
    source: str


def day_start(day: date) -> datetime:
    """The day's UTC midnight."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def day_seconds(day: date) -> int:
    return int(day_start(day).timestamp())


def seconds_time(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
