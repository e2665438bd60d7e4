"""The subscriptions interface every subscription datasource offers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from datasources.records import Subscription


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


class SubscriptionSource(Protocol):
    async def list_for_user(
        self, user_id: int, before: SubscriptionKey | None, limit: int
    ) -> list[Subscription]:
        """The user's subscriptions, newest enrolment first, strictly after `before`."""
        ...

    async def get(self, user_id: int, course_id: int) -> Subscription | None: ...

    async def enroll_unless_active(
        self, enrolment: NewSubscription, now: datetime
    ) -> Subscription | None:
        """Creates the subscription, or restarts an ended one; None if one is active at `now`."""
        ...

    async def cancel(self, user_id: int, course_id: int, now: datetime) -> Subscription | None:
        """Ends an active subscription now; None if there is none active."""
        ...
