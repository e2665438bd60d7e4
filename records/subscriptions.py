"""A user's subscriptions to courses: the stored row, a new enrolment, a list position."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

FREE_SOURCE = "free"  # the source of a free enrolment; purchases and grants name theirs


class SubscriptionStatus(enum.StrEnum):
    """Stored status; whether a subscription is currently usable also depends on expires_at."""

    ACTIVE = "active"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    user_id: int
    course_id: int
    enrolled_at: datetime
    expires_at: datetime | None  # None: never expires
    status: SubscriptionStatus
    source: str
    updated_at: datetime
    # Days of renewals and admin extensions in expires_at, which a validity change keeps
    # (the rule: domain/subscriptions/expiry.py).
    kept_days: int = 0

    def is_active_at(self, now: datetime) -> bool:
        return self.status is SubscriptionStatus.ACTIVE and (
            self.expires_at is None or self.expires_at > now
        )

    def days_left_at(self, now: datetime) -> int | None:
        """Whole days of access left (0 once ended); None for lifetime access."""
        if not self.is_active_at(now):
            return 0
        if self.expires_at is None:
            return None
        return max(0, (self.expires_at - now) // timedelta(days=1))


@dataclass(frozen=True, slots=True)
class Access:
    """A subscription's run of access: when it started, when it ends (None: never), and the
    days of renewals and extensions in that end (domain/subscriptions/expiry.py)."""

    enrolled_at: datetime
    expires_at: datetime | None
    kept_days: int = 0


@dataclass(frozen=True, slots=True)
class SubscriptionKey:
    """Keyset position in a user's list, newest enrolment first."""

    enrolled_at: datetime
    id: int


@dataclass(frozen=True, slots=True)
class NewSubscription:
    user_id: int
    course_id: int
    enrolled_at: datetime
    expires_at: datetime | None
    source: str


@dataclass(frozen=True, slots=True)
class ExpiryKey:
    """Keyset position in a list of expiring subscriptions: soonest expiry first, then id."""

    expires_at: datetime
    id: int
