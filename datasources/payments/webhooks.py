"""Reading Razorpay webhook deliveries, after their signature has been verified on the raw bytes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from datasources.payments.entities import (
    JsonObject,
    order_from_entity,
    payment_from_entity,
    refund_from_entity,
)
from datasources.payments.provider import ProviderOrder, ProviderPayment, ProviderRefund

SIGNATURE_HEADER = "X-Razorpay-Signature"
# Razorpay repeats this id on redeliveries of one event; the body itself carries no event id.
EVENT_ID_HEADER = "X-Razorpay-Event-Id"


class MalformedWebhook(ValueError):
    """A correctly signed body that is not shaped like a Razorpay event."""


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    event: str  # e.g. "payment.captured"
    created_at: datetime
    payment: ProviderPayment | None
    order: ProviderOrder | None
    refund: ProviderRefund | None

    @property
    def order_id(self) -> str | None:
        if self.order is not None:
            return self.order.id
        return self.payment.order_id if self.payment is not None else None


def read_webhook(raw_body: bytes) -> WebhookEvent:
    """Entities the event does not contain are None; events nobody handles still parse."""
    try:
        body = orjson.loads(raw_body)
        if not isinstance(body, dict) or body.get("entity") != "event":
            raise ValueError("not an event")
        event = body.get("event")
        created_at = body.get("created_at")
        payload = body.get("payload")
        if not isinstance(event, str) or not isinstance(payload, dict):
            raise ValueError("event or payload missing")
        if not isinstance(created_at, int) or isinstance(created_at, bool):
            raise ValueError("created_at is not an integer")
        payment = _entity(payload, "payment")
        order = _entity(payload, "order")
        refund = _entity(payload, "refund")
        return WebhookEvent(
            event=event,
            created_at=datetime.fromtimestamp(created_at, tz=UTC),
            payment=payment_from_entity(payment) if payment is not None else None,
            order=order_from_entity(order) if order is not None else None,
            refund=refund_from_entity(refund) if refund is not None else None,
        )
    except ValueError as malformed:  # orjson.JSONDecodeError is a ValueError too
        raise MalformedWebhook(f"malformed Razorpay webhook: {malformed}") from None


def _entity(payload: JsonObject, name: str) -> JsonObject | None:
    wrapper = payload.get(name)
    if wrapper is None:
        return None
    entity = wrapper.get("entity") if isinstance(wrapper, dict) else None
    if not isinstance(entity, dict):
        raise ValueError(f"payload.{name}.entity is not an object")
    return entity
