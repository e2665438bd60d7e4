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
