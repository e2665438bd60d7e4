"""`coursegate reconcile`: settles orders whose confirm call and webhooks never arrived.

Two passes, each applying what it finds through the same settlement as confirmPayment and the
webhooks, so news reported by several paths still changes access once:
- open orders: for each shard, concurrently, it pages through orders still created or attempted
  (older than a grace period, younger than a give-up age) and asks the provider for each order's
  payments;
- refunds: it lists the provider's refunds of the last REFUND_LOOKBACK, made through the gateway
  or outside it (the dashboard), and settles and keeps those of our payments (a payment some
  shard has an event of) that no order has kept yet. Asking for refunds rather than for every
  paid order keeps a pass to a few calls per hundred refunds, however many orders are paid; a
  lost `refund.processed` webhook is caught by the next pass as long as passes are less than
  REFUND_LOOKBACK apart. A payment never reported to the gateway has granted nothing, so its
  refund is left alone (the open-order pass settles orders younger than GIVE_UP_AFTER).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from datasources.backends import Backends
from datasources.payments.provider import PaymentProviderError, ProviderRefund
from datasources.sql.engine import SqlEngine
from domain.checkout.order_state import EventSource, OrderState, Outcome
from domain.checkout.provider_reports import settle_as_reported
from domain.checkout.refunds import order_refund, refund_event
from domain.checkout.settlement import settle
from records.orders import PaymentOrder

log = logging.getLogger("coursegate.reconcile")

GRACE_PERIOD = timedelta(minutes=15)  # leave fresh checkouts to the browser and the webhooks
GIVE_UP_AFTER = timedelta(days=3)  # abandoned checkouts stop being polled
REFUND_LOOKBACK = timedelta(days=1)  # much longer than a pass's period, so a late pass misses none
PAGE_SIZE = 200
_OPEN_STATES = (OrderState.CREATED.value, OrderState.ATTEMPTED.value)


@dataclass
class ReconcileReport:
    orders_checked: int = 0
    granted: int = 0
    revoked_or_refunded: int = 0
    provider_errors: int = 0
    refunds_settled: int = 0  # refunds no webhook had reported

    def add(self, other: ReconcileReport) -> None:
        self.orders_checked += other.orders_checked
        self.granted += other.granted
        self.revoked_or_refunded += other.revoked_or_refunded
        self.provider_errors += other.provider_errors
        self.refunds_settled += other.refunds_settled


async def reconcile(backends: Backends, now: datetime) -> ReconcileReport:
    """Both passes: open orders first, so an order paid and refunded since is granted first."""
    report = await reconcile_open_orders(backends, now)
    report.add(await reconcile_refunds(backends, now))
    return report


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
    for settlement in await settle_as_reported(backends, order, payments, now):
        if settlement.outcome is Outcome.GRANTED:
            report.granted += 1
        elif settlement.outcome in (Outcome.REVOKED, Outcome.REFUNDED_BEFORE_GRANT):
            report.revoked_or_refunded += 1


async def reconcile_refunds(backends: Backends, now: datetime) -> ReconcileReport:
    report = ReconcileReport()
    try:
        refunds = await backends.payments.list_refunds(now - REFUND_LOOKBACK, now)
    except PaymentProviderError as error:
        report.provider_errors += 1
        log.warning("refunds not reconciled: %s", type(error).__name__)
        return report
    for start in range(0, len(refunds), PAGE_SIZE):
        page = refunds[start : start + PAGE_SIZE]
        recorded = await backends.orders.recorded_refunds([refund.id for refund in page])
        ours = await backends.orders.payments_with_events([refund.payment_id for refund in page])
        for refund in page:
            if refund.id not in recorded and refund.payment_id in ours:
                await _reconcile_refund(backends, refund, now, report)
    return report


async def _reconcile_refund(
    backends: Backends, provider_refund: ProviderRefund, now: datetime, report: ReconcileReport
) -> None:
    try:
        payment = await backends.payments.fetch_payment(provider_refund.payment_id)
    except PaymentProviderError as error:
        report.provider_errors += 1
        log.warning("refund %s not reconciled: %s", provider_refund.id, type(error).__name__)
        return
    order = await _order_of(backends, payment.order_id)
    if order is None:
        return  # a payment this gateway did not take
    refund = order_refund(provider_refund, EventSource.RECONCILER)
    settlement = await settle(
        backends, order, refund_event(refund), now=now, ended_at=refund.refunded_at, refund=refund
    )
    if settlement.outcome is not None:
        report.refunds_settled += 1
        log.info("order %s: refund %s learnt by polling", order.id, refund.refund_id)
    if settlement.outcome in (Outcome.REVOKED, Outcome.REFUNDED_BEFORE_GRANT):
        report.revoked_or_refunded += 1


async def _order_of(backends: Backends, provider_order_id: str | None) -> PaymentOrder | None:
    if provider_order_id is None:
        return None
    user_id = await backends.orders.user_for_provider_order(provider_order_id)
    if user_id is None:
        return None
    return await backends.orders.find_by_provider_id(user_id, provider_order_id)
