"""`coursegate reconcile`: settles orders whose confirm call and webhooks never arrived.

For each shard, concurrently, it pages through orders still created or attempted (older than a
grace period, younger than a give-up age), asks the provider for each order's payments, and
applies what it finds through the same settlement as confirmPayment and the webhooks, so a
payment reported by several paths still grants once.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from datasources.backends import Backends
from datasources.payments.provider import PaymentProviderError
from datasources.sql.engine import SqlEngine
from domain.checkout.findings import events_from_payments
from domain.checkout.order_state import SUCCESS_KINDS, OrderState, Outcome
from domain.checkout.settlement import payment_matches_order, settle
from records.orders import PaymentOrder

log = logging.getLogger("coursegate.reconcile")

GRACE_PERIOD = timedelta(minutes=15)  # leave fresh checkouts to the browser and the webhooks
GIVE_UP_AFTER = timedelta(days=3)  # abandoned checkouts stop being polled
PAGE_SIZE = 200
_OPEN_STATES = (OrderState.CREATED.value, OrderState.ATTEMPTED.value)


@dataclass
class ReconcileReport:
    orders_checked: int = 0
    granted: int = 0
    revoked_or_refunded: int = 0
    provider_errors: int = 0

    def add(self, other: ReconcileReport) -> None:
        self.orders_checked += other.orders_checked
        self.granted += other.granted
        self.revoked_or_refunded += other.revoked_or_refunded
        self.provider_errors += other.provider_errors


async def reconcile_open_orders(backends: Backends, now: datetime) -> ReconcileReport:
    reports = await asyncio.gather(
        *(_reconcile_shard(backends, shard, now) for shard in backends.orders.shards)
    )
    total = ReconcileReport()
    for report in reports:
        total.add(report)
    return total


async def _reconcile_shard(backends: Backends, shard: SqlEngine, now: datetime) -> ReconcileReport:
    report = ReconcileReport()
    after: PaymentOrder | None = None
    while True:
        page = await backends.orders.open_orders(
            shard, _OPEN_STATES, now - GIVE_UP_AFTER, now - GRACE_PERIOD, after, PAGE_SIZE
        )
        for order in page:
            await _reconcile_order(backends, order, now, report)
        if len(page) < PAGE_SIZE:
            return report
        after = page[-1]


async def _reconcile_order(
    backends: Backends, order: PaymentOrder, now: datetime, report: ReconcileReport
) -> None:
    report.orders_checked += 1
    try:
        payments = await backends.payments.fetch_order_payments(order.provider_order_id)
    except PaymentProviderError as error:
        report.provider_errors += 1
        log.warning("order %s not reconciled: %s", order.id, type(error).__name__)
        return
    by_id = {payment.id: payment for payment in payments}
    for event in events_from_payments(payments):
        if event.kind in SUCCESS_KINDS and not payment_matches_order(
            by_id[event.payment_id], order
        ):
            log.warning("order %s: payment amount differs from the order; not granted", order.id)
            continue
        settlement = await settle(backends, order, event, now=now)
        if settlement.outcome is Outcome.GRANTED:
            report.granted += 1
        elif settlement.outcome in (Outcome.REVOKED, Outcome.REFUNDED_BEFORE_GRANT):
            report.revoked_or_refunded += 1
