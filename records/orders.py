"""Checkout orders: what a new one holds and the stored order with its state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class NewPaymentOrder:
    user_id: int
    course_id: int
    provider_order_id: str
    idempotency_key: str
    amount_paise: int
    currency: str
    receipt: str


@dataclass(frozen=True, slots=True)
class PaymentOrder:
    id: int
    user_id: int
    course_id: int
    provider_order_id: str
    idempotency_key: str
    amount_paise: int
    currency: str
    receipt: str
    state: str  # an `OrderState` value; the store does not interpret it
    settled_payment_id: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class OrderRefund:
    """A refund of one of an order's payments, as `order_refunds` keeps it."""

    refund_id: str
    payment_id: str
    amount_paise: int
    currency: str
    refunded_at: datetime  # when the provider made it
    source: str  # how the gateway learnt of it: an `EventSource` value
    reason: str | None = None  # None for refunds made outside the gateway
    requested_by: int | None = None  # the admin's user id, when made through the gateway
