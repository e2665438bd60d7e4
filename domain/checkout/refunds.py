"""Refunding a paid order in full, and reading the provider's refunds as order refunds.

The provider gives the money back first; the order is then settled as refunded through the same
path as the `refund.processed` webhook, whose dedupe row (one per payment and kind) makes the
revocation happen once, whichever of the two arrives first. Should the process stop between the
two, the webhook or the reconciler's refund pass finishes the job, and the reason travels with
the refund in its provider notes so none of them loses it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from datasources.backends import Backends
from datasources.payments.provider import PaymentProviderRejected, ProviderRefund
from domain.checkout.order_state import EventKind, EventSource, OrderEvent, OrderState
from domain.checkout.provider_reports import settle_as_reported
from domain.checkout.settlement import Settlement, settle
from records.orders import OrderRefund, PaymentOrder

log = logging.getLogger("coursegate.checkout")

MAX_REASON_CHARS = 256  # Razorpay's limit on one note's value
_REASON_NOTE = "reason"
_REQUESTED_BY_NOTE = "requested_by"


class OrderNotRefundable(Exception):
    """Only a paid order can be refunded; one still open has taken no money to give back."""

    def __init__(self, state: OrderState) -> None:
        super().__init__(f"only a paid order can be refunded; this one is {state.value}")
        self.state = state


@dataclass(frozen=True, slots=True)
class RefundedOrder:
    settlement: Settlement
    refund: OrderRefund | None  # None: the order had been refunded before this request


def order_refund(refund: ProviderRefund, source: EventSource) -> OrderRefund:
    """The provider's refund as the order keeps it, with the reason the gateway noted on it."""
    requested_by = refund.notes.get(_REQUESTED_BY_NOTE, "")
    return OrderRefund(
        refund_id=refund.id,
        payment_id=refund.payment_id,
        amount_paise=refund.amount_paise,
        currency=refund.currency,
        refunded_at=refund.created_at,
        source=source.value,
        reason=refund.notes.get(_REASON_NOTE) or None,
        requested_by=int(requested_by) if requested_by.isdigit() else None,
    )


def refund_event(refund: OrderRefund) -> OrderEvent:
    return OrderEvent(EventKind.REFUND_PROCESSED, refund.payment_id, EventSource(refund.source))


async def refund_order(
    backends: Backends, order: PaymentOrder, reason: str, requested_by: int, now: datetime
) -> RefundedOrder:
    """Gives back the payment that paid `order` and ends the access it bought.

    Raises `OrderNotRefundable` for an order that is not paid, and the provider's errors when it
    refuses or cannot be reached; in either case nothing about the order has changed. A retry
    after an unanswered call is safe: the provider refuses a second refund of the payment, and
    the refund it already made is then read back and settled.
    """
    state = OrderState(order.state)
    if state is OrderState.REFUNDED:
        subscription = await backends.uncached_subscriptions.get(order.user_id, order.course_id)
        return RefundedOrder(Settlement(order.id, None, state, subscription), None)
    if state is not OrderState.PAID or order.settled_payment_id is None:
        raise OrderNotRefundable(state)
    notes = {_REASON_NOTE: reason, _REQUESTED_BY_NOTE: str(requested_by)}
    try:
        made = await backends.payments.refund(order.settled_payment_id, notes=notes)
    except PaymentProviderRejected:
        already = await _refunded_elsewhere(backends, order, now)
        if already is None:
            raise
        return RefundedOrder(already, None)
    refund = order_refund(made, EventSource.ADMIN)
    log.info(
        "order %s refunded by admin %s: refund %s of %s %s",
        order.id,
        requested_by,
        made.id,
        made.amount_paise,
        made.currency,
    )
    settlement = await settle(
        backends, order, refund_event(refund), now=now, ended_at=refund.refunded_at, refund=refund
    )
    return RefundedOrder(settlement, refund)


async def _refunded_elsewhere(
    backends: Backends, order: PaymentOrder, now: datetime
) -> Settlement | None:
    """When the provider refuses the refund because the payment was refunded already (another
    admin's request, the provider's dashboard), settle what it reports; None if not refunded."""
    payments = await backends.payments.fetch_order_payments(order.provider_order_id)
    settlements = await settle_as_reported(backends, order, payments, now)
    if settlements and settlements[-1].state is OrderState.REFUNDED:
        return settlements[-1]
    return None
