"""Settling an order from what the provider reports about its payments when asked, rather than
from what it pushed: the reconciler's poll, and a refund the provider says was already made."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from datasources.backends import Backends
from datasources.payments.provider import ProviderPayment
from domain.checkout.findings import events_from_payments
from domain.checkout.order_state import SUCCESS_KINDS
from domain.checkout.settlement import Settlement, payment_matches_order, settle
from records.orders import PaymentOrder

log = logging.getLogger("coursegate.checkout")


async def settle_as_reported(
    backends: Backends, order: PaymentOrder, payments: Sequence[ProviderPayment], now: datetime
) -> list[Settlement]:
    """Applies every event the order's payments imply, in the order the webhooks would have."""
    by_id = {payment.id: payment for payment in payments}
    settlements = []
    for event in events_from_payments(payments):
        if event.kind in SUCCESS_KINDS and not payment_matches_order(
            by_id[event.payment_id], order
        ):
            log.warning("order %s: payment amount differs from the order; not granted", order.id)
            continue
        settlements.append(await settle(backends, order, event, now=now))
    return settlements
