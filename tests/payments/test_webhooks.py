"""Reading verified webhook bodies: Razorpay's shapes in, records out, anything else refused."""

from __future__ import annotations

import orjson
import pytest

from datasources.payments.provider import ProviderPaymentStatus
from datasources.payments.webhooks import MalformedWebhook, read_webhook

PAYMENT = {
    "id": "pay_29QQoUBi66xm2f",
    "entity": "payment",
    "amount": 50000,
    "currency": "INR",
    "status": "captured",
    "order_id": "order_9A33XWu170gUtm",
    "amount_refunded": 0,
    "captured": True,
    "error_code": None,
    "notes": [],
    "created_at": 1567674599,
}


def _event(**overrides: object) -> bytes:
    body: dict[str, object] = {
        "entity": "event",
        "account_id": "acc_BFQ7uQEaa7j2z7",
        "event": "payment.captured",
        "contains": ["payment"],
        "payload": {"payment": {"entity": PAYMENT}},
        "created_at": 1567674606,
    }
    body.update(overrides)
    return orjson.dumps(body)


def test_a_payment_event_reads_into_records() -> None:
    event = read_webhook(_event())

    assert event.event == "payment.captured"
    assert event.order_id == "order_9A33XWu170gUtm"
    assert event.payment is not None
    assert event.payment.status is ProviderPaymentStatus.CAPTURED
    assert event.payment.amount_paise == 50000
    assert (event.order, event.refund) == (None, None)
    assert int(event.created_at.timestamp()) == 1567674606


def test_events_without_known_entities_still_read() -> None:
    event = read_webhook(_event(event="settlement.processed", payload={}))

    assert (event.event, event.payment, event.order_id) == ("settlement.processed", None, None)


@pytest.mark.parametrize(
    "raw_body",
    [
        b"",
        b"not json",
        b"[]",
        _event(entity="payment"),
        _event(event=None),
        _event(payload=[]),
        _event(created_at="yesterday"),
        _event(payload={"payment": {"entity": "pay_1"}}),
        _event(payload={"payment": {"entity": {**PAYMENT, "amount": "500.00"}}}),
        _event(payload={"payment": {"entity": {**PAYMENT, "status": "settled"}}}),
        _event(payload={"payment": {"entity": {k: v for k, v in PAYMENT.items() if k != "id"}}}),
    ],
)
def test_malformed_bodies_raise_one_error_type(raw_body: bytes) -> None:
    with pytest.raises(MalformedWebhook):
        read_webhook(raw_body)
