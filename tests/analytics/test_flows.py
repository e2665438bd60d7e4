"""What one event adds to the day counts."""

from __future__ import annotations

from datetime import UTC, date, datetime

from domain.analytics.flows import flows
from records.analytics import Measurement
from records.events import Event, EventKind

LATE_EVENING_IST = datetime(2026, 12, 6, 20, 30, tzinfo=UTC)  # 02:00 on the 7th in India
DAY = date(2026, 12, 6)


def _order(kind: EventKind, previous_state: str) -> Event:
    data = {
        "order_id": 9,
        "course_id": 11,
        "amount_paise": 49_900,
        "previous_state": previous_state,
    }
    return Event(1, kind, 3, LATE_EVENING_IST, data)


def test_a_payment_counts_a_purchase_and_its_revenue_on_its_utc_day() -> None:
    assert flows(_order(EventKind.ORDER_PAID, "attempted")) == {
        (DAY, 11, Measurement.PURCHASES): 1,
        (DAY, 11, Measurement.REVENUE_PAISE): 49_900,
    }


def test_a_refund_takes_back_the_revenue_of_a_paid_order_only() -> None:
    assert flows(_order(EventKind.ORDER_REFUNDED, "paid")) == {
        (DAY, 11, Measurement.REFUNDS): 1,
        (DAY, 11, Measurement.REVENUE_PAISE): -49_900,
    }
    # The first news of this payment was its refund: it never counted as revenue.
    assert flows(_order(EventKind.ORDER_REFUNDED, "attempted")) == {}


def test_subscription_events_count_what_they_are() -> None:
    def subscription(kind: EventKind) -> Event:
        return Event(2, kind, 3, LATE_EVENING_IST, {"subscription_id": 5, "course_id": 11})

    assert flows(subscription(EventKind.SUBSCRIPTION_ENROLLED)) == {
        (DAY, 11, Measurement.ENROLMENTS): 1,
        (DAY, 11, Measurement.NEW_SUBSCRIPTIONS): 1,
    }
    assert flows(subscription(EventKind.SUBSCRIPTION_RENEWED)) == {
        (DAY, 11, Measurement.RENEWALS): 1
    }
    assert flows(subscription(EventKind.SUBSCRIPTION_REVALIDATED)) == {}
    assert flows(_order(EventKind.ORDER_ATTEMPTED, "created")) == {}
