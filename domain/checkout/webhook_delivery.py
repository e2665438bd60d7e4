"""A Razorpay webhook delivery: once verified, it moves its order through the same settlement as
the client's confirm call. The signature is checked on the raw bytes before any parsing."""

from __future__ import annotations

import enum
import logging
from datetime import datetime

from datasources.backends import Backends
from datasources.payments.webhooks import MalformedWebhook, WebhookEvent, read_webhook
from domain.checkout.order_state import SUCCESS_KINDS, OrderEvent
from domain.checkout.refunds import order_refund
from domain.checkout.settlement import payment_matches_order, settle
from records.orders import PaymentOrder

log = logging.getLogger("coursegate.webhooks")

MAX_EVENT_ID_CHARS = 64


class WebhookReply(enum.Enum):
    PROCESSED = "processed"
    DUPLICATE = "duplicate"  # already processed: 2xx so Razorpay stops redelivering
    IGNORED = "ignored"  # an event no order needs, or one for an order this gateway did not make
    MALFORMED = "malformed"
    BAD_SIGNATURE = "bad_signature"

    @property
    def http_status(self) -> int:
        return _HTTP_STATUS.get(self, 200)


_HTTP_STATUS = {WebhookReply.MALFORMED: 400, WebhookReply.BAD_SIGNATURE: 401}


async def handle_razorpay_webhook(
    backends: Backends,
    raw_body: bytes,
    signature: str | None,
    event_id: str | None,
    now: datetime,
) -> WebhookReply:
    if not backends.payments.verify_webhook(raw_body, signature):
        return WebhookReply.BAD_SIGNATURE
    try:
        delivered = read_webhook(raw_body)
    except MalformedWebhook:
        return WebhookReply.MALFORMED
    if event_id is not None and (not event_id or len(event_id) > MAX_EVENT_ID_CHARS):
        return WebhookReply.MALFORMED
    event = (
        None
        if delivered.payment is None
        else OrderEvent.from_webhook(delivered.event, delivered.payment.id)
    )
    order = await _order_of(backends, delivered)
    if event is None or order is None:
        log.info("webhook %s ignored: no order of ours to move", delivered.event)
        return WebhookReply.IGNORED
    payment = delivered.payment
    if event.kind in SUCCESS_KINDS and not (payment and payment_matches_order(payment, order)):
        log.warning("webhook %s for order %s ignored: amount differs", delivered.event, order.id)
        return WebhookReply.IGNORED
    refund = None if delivered.refund is None else order_refund(delivered.refund, event.source)
    ended_at = delivered.created_at if refund is None else refund.refunded_at
    settlement = await settle(
        backends,
        order,
        event,
        now=now,
        provider_event_id=event_id,
        ended_at=ended_at,
        refund=refund,
    )
    return WebhookReply.DUPLICATE if settlement.outcome is None else WebhookReply.PROCESSED


async def _order_of(backends: Backends, delivered: WebhookEvent) -> PaymentOrder | None:
    provider_order_id = delivered.order_id
    if provider_order_id is None:
        return None
    orders = backends.orders
    user_id = await orders.user_for_provider_order(provider_order_id)
    if user_id is None and delivered.order is not None:
        # The order's notes carry the buyer too, should the index row be missing.
        noted = delivered.order.notes.get("user_id", "")
        user_id = int(noted) if noted.isdigit() else None
    if user_id is None:
        return None
    return await orders.find_by_provider_id(user_id, provider_order_id)
