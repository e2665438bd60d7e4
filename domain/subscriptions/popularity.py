"""Popularity (active subscriptions per course) kept from events, without a count over the shards.

Each active subscription contributes one to its course, until the end of the UTC day it expires
on (for ever when it never does). An event moves a subscription from its state before to its
state after: it takes back the contribution before and adds the one after. Contributions add up
in any order, so the count is right whatever order events arrive in, as long as each event is
applied once. A day's precision is enough for ranking, and it keeps the kept rows to at most
one per course and expiry day.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

from records.events import Event
from records.subscriptions import SubscriptionStatus

LIFETIME = date.max  # the expiry day of access that never expires

# (course id, expiry day) -> change in the number of active subscriptions expiring that day
Contributions = Counter[tuple[int, date]]


def expiry_day(expires_at: datetime | None) -> date:
    return LIFETIME if expires_at is None else expires_at.astimezone(UTC).date()


def contributions(event: Event) -> Contributions:
    """What one subscription event changes; nothing for events of other kinds."""
    data = event.data
    if "subscription_id" not in data:
        return Contributions()
    course_id = int(str(data["course_id"]))
    change = Contributions()
    if data["previous_status"] == SubscriptionStatus.ACTIVE.value:
        change[(course_id, _day(data["previous_expires_at"]))] -= 1
    if data["status"] == SubscriptionStatus.ACTIVE.value:
        change[(course_id, _day(data["expires_at"]))] += 1
    return Contributions({key: n for key, n in change.items() if n})


def _day(stamp: object) -> date:
    return expiry_day(None if stamp is None else datetime.fromisoformat(str(stamp)))
