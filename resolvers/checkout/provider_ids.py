"""Shapes of the ids clients pass on from Razorpay Checkout, checked before any lookup."""

from __future__ import annotations

import re

_ORDER_ID = re.compile(r"order_[A-Za-z0-9]{1,40}")
_PAYMENT_ID = re.compile(r"pay_[A-Za-z0-9]{1,40}")
_IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9._:\-]{1,64}")


def is_order_id(raw: str) -> bool:
    return _ORDER_ID.fullmatch(raw) is not None


def is_payment_id(raw: str) -> bool:
    return _PAYMENT_ID.fullmatch(raw) is not None


def is_idempotency_key(raw: str) -> bool:
    return _IDEMPOTENCY_KEY.fullmatch(raw) is not None
