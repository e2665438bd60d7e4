"""What a reconciler's poll of an order's payments means for the order state machine."""

from __future__ import annotations

from collections.abc import Iterable

from datasources.payments.provider import ProviderPayment, ProviderPaymentStatus
from domain.checkout.order_state import EventKind, EventSource, OrderEvent


def events_from_payments(payments: Iterable[ProviderPayment]) -> list[OrderEvent]:
    """Order events for what the provider reports, attempts before successes before refunds,
    so that applying them in order ends where the webhooks would have led.

    A refunded payment yields only its refund: access that was never granted is not granted
    for money already given back. Any refunded amount counts as a refund (as the
    `refund.processed` webhook would), since the platform refunds purchases in full.
    """
    events = [
        event
        for payment in sorted(payments, key=lambda payment: payment.created_at)
        for event in _events_for(payment)
    ]
    return sorted(events, key=lambda event: _APPLY_ORDER[event.kind])


def _events_for(payment: ProviderPayment) -> list[OrderEvent]:
    kinds: list[EventKind] = []
    if payment.status is ProviderPaymentStatus.AUTHORIZED:
        kinds.append(EventKind.PAYMENT_AUTHORIZED)
    elif payment.status is ProviderPaymentStatus.FAILED:
        kinds.append(EventKind.PAYMENT_FAILED)
    elif payment.status is ProviderPaymentStatus.CAPTURED:
        kinds.append(EventKind.PAYMENT_CAPTURED)
    if payment.status is ProviderPaymentStatus.REFUNDED or payment.amount_refunded_paise > 0:
        kinds.append(EventKind.REFUND_PROCESSED)
    return [OrderEvent(kind, payment.id, EventSource.RECONCILER) for kind in kinds]


_APPLY_ORDER = {
    EventKind.PAYMENT_FAILED: 0,
    EventKind.PAYMENT_AUTHORIZED: 0,
    EventKind.CLIENT_CONFIRMED: 1,
    EventKind.PAYMENT_CAPTURED: 1,
    EventKind.ORDER_PAID: 1,
    EventKind.REFUND_PROCESSED: 2,
}
