"""Applying one order event exactly once: the order row lock, the event's dedupe row, the state
move and the subscription change all commit in one transaction on the buyer's shard."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from datasources.backends import Backends
from datasources.payments.provider import ProviderPayment
from datasources.sql.engine import retry_on_conflict
from datasources.sql.order_store import LockedOrder
from domain.checkout.order_state import (
    OrderEvent,
    OrderSnapshot,
    OrderState,
    Outcome,
    apply,
)
from domain.subscriptions.expiry import after_grant, running_access
from records.orders import OrderRefund, PaymentOrder
from records.subscriptions import Subscription, SubscriptionStatus

log = logging.getLogger("coursegate.checkout")


@dataclass(frozen=True, slots=True)
class Settlement:
    order_id: int
    outcome: Outcome | None  # None: the event was seen before and dropped unapplied
    state: OrderState  # the order's state afterwards
    subscription: Subscription | None  # the buyer's subscription to the course afterwards

    @property
    def changed_access(self) -> bool:
        return self.outcome in (Outcome.GRANTED, Outcome.REVOKED)


def payment_matches_order(payment: ProviderPayment, order: PaymentOrder) -> bool:
    """A success report only counts for the amount and currency the order asked for."""
    return payment.amount_paise == order.amount_paise and payment.currency == order.currency


def order_source(order: PaymentOrder) -> str:
    """What `user_typing_courses.source` says about access bought with this order."""
    return f"order:{order.id}"


async def settle(
    backends: Backends,
    order: PaymentOrder,
    event: OrderEvent,
    *,
    now: datetime,
    provider_event_id: str | None = None,
    ended_at: datetime | None = None,
    refund: OrderRefund | None = None,
) -> Settlement:
    """Applies `event` to `order` (read earlier; it is read again under the lock).

    `ended_at` is when a refund ended access (default: now). `refund`, the provider's refund the
    event reports, is kept in the same transaction even when the event itself is a duplicate, so
    a later report can add the reason an earlier one lacked. The buyer's subscription cache is
    invalidated after the commit whenever access changed.
    """
    courses = await backends.catalog.get_courses([order.course_id])
    course = courses.get(order.course_id)
    if course is None:
        raise LookupError(f"order {order.id} names course {order.course_id}, which does not exist")

    async def attempt() -> Settlement:
        async with backends.orders.locked(order.user_id, order.provider_order_id) as locked:
            if locked is None:
                raise LookupError(f"order {order.id} vanished")
            if refund is not None:
                await locked.record_refund(refund, now)
            return await _apply_locked(
                locked, event, course.validity_days, now, provider_event_id, ended_at or now
            )

    settlement = await retry_on_conflict(attempt)
    if settlement.changed_access:
        await backends.subscriptions.invalidate([order.user_id])
    return settlement


async def _apply_locked(
    locked: LockedOrder,
    event: OrderEvent,
    validity_days: int | None,
    now: datetime,
    provider_event_id: str | None,
    ended_at: datetime,
) -> Settlement:
    current = OrderSnapshot(OrderState(locked.order.state), locked.order.settled_payment_id)
    fresh = await locked.record_event(
        provider_event_id, event.payment_id, event.kind.value, event.source.value, now
    )
    if not fresh:
        return Settlement(locked.order.id, None, current.state, await locked.subscription())
    transition = apply(current, event)
    if transition.snapshot != current:
        await locked.move(transition.state.value, transition.snapshot.settled_payment_id, now)
    if transition.needs_refund:
        # Money taken that no access stands for; refunds are an operator's call for now.
        log.warning("order %s: extra payment %s needs a refund", locked.order.id, event.payment_id)
    if transition.grant_access:
        await _grant(locked, validity_days, now)
    elif transition.revoke_access:
        await _revoke(locked, ended_at, now)
    return Settlement(
        locked.order.id, transition.outcome, transition.state, await locked.subscription()
    )


async def _grant(locked: LockedOrder, validity_days: int | None, now: datetime) -> None:
    granted = after_grant(running_access(await locked.subscription(), now), now, validity_days)
    if granted is not None:  # None: lifetime access stays lifetime
        await locked.put_subscription(granted, order_source(locked.order), now)


async def _revoke(locked: LockedOrder, ended_at: datetime, now: datetime) -> None:
    current = await locked.subscription()
    if current is None or current.status is not SubscriptionStatus.ACTIVE:
        return
    if current.expires_at is not None:
        ended_at = min(ended_at, current.expires_at)
    await locked.end_subscription(current, SubscriptionStatus.REFUNDED, ended_at, now)
