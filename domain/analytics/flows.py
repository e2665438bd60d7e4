"""What each event adds to the day counts of analytics (records/analytics.py names them).

An event counts on the UTC day it happened, for the course it names. Revenue is what captured
payments brought less what refunds gave back, each on its own day, in paise. A refund counts
only for an order that was paid: when the first news of a payment is its refund, the order
never counted as a purchase either.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date

from records.analytics import Measurement
from records.events import Event, EventKind

# (day, course id, measurement) -> change
FlowKey = tuple[date, int, Measurement]
Flows = Counter[FlowKey]

_COUNTED: dict[EventKind, tuple[Measurement, ...]] = {
    EventKind.SUBSCRIPTION_ENROLLED: (Measurement.ENROLMENTS, Measurement.NEW_SUBSCRIPTIONS),
    EventKind.SUBSCRIPTION_PURCHASED: (Measurement.NEW_SUBSCRIPTIONS,),
    EventKind.SUBSCRIPTION_GRANTED: (Measurement.NEW_SUBSCRIPTIONS,),
    EventKind.SUBSCRIPTION_RENEWED: (Measurement.RENEWALS,),
    EventKind.SUBSCRIPTION_CANCELLED: (Measurement.CANCELLATIONS,),
    EventKind.ORDER_PAID: (Measurement.PURCHASES,),
    EventKind.ORDER_REFUNDED: (Measurement.REFUNDS,),
}
_REVENUE_SIGN = {EventKind.ORDER_PAID: 1, EventKind.ORDER_REFUNDED: -1}

KINDS = frozenset(_COUNTED)


def flows(event: Event) -> Flows:
    """One event's additions; nothing for the kinds analytics does not count."""
    counted = _COUNTED.get(event.kind, ())
    if not counted or (event.kind is EventKind.ORDER_REFUNDED and not _was_paid(event)):
        return Flows()
    day = event.occurred_at.astimezone(UTC).date()
    course_id = int(str(event.data["course_id"]))
    change = Flows({(day, course_id, measurement): 1 for measurement in counted})
    sign = _REVENUE_SIGN.get(event.kind)
    if sign is not None:
        change[(day, course_id, Measurement.REVENUE_PAISE)] += sign * int(
            str(event.data["amount_paise"])
        )
    return change


def _was_paid(refund: Event) -> bool:
    return refund.data.get("previous_state") == "paid"
