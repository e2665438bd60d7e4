"""Razorpay's HMAC-SHA256 signatures: the Checkout payment signature and the webhook signature.

Verification never raises on bad input: a forged, truncated or non-hex signature is just `False`.
An empty secret also verifies nothing (fail closed), while signing with one is a `ValueError`.
"""

from __future__ import annotations

import hashlib
import hmac
import re

_HEX_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


def payment_signature(order_id: str, payment_id: str, key_secret: str) -> str:
    """The signature Razorpay Checkout hands the client after a successful payment."""
    return _hex_hmac(key_secret, f"{order_id}|{payment_id}".encode())


def verify_payment_signature(
    order_id: str, payment_id: str, signature: str | None, key_secret: str
) -> bool:
    if not key_secret:
        return False
    return _matches(payment_signature(order_id, payment_id, key_secret), signature)


def webhook_signature(raw_body: bytes, webhook_secret: str) -> str:
    """The `X-Razorpay-Signature` header value for a webhook body, signed over its exact bytes."""
    return _hex_hmac(webhook_secret, raw_body)


def verify_webhook_signature(
    raw_body: bytes, signature_header: str | None, webhook_secret: str
) -> bool:
    if not webhook_secret or not isinstance(raw_body, bytes | bytearray):
        return False
    return _matches(webhook_signature(bytes(raw_body), webhook_secret), signature_header)


def _hex_hmac(secret: str, message: bytes) -> str:
    if not secret:
        raise ValueError("cannot sign with an empty secret")
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _matches(expected_hex: str, presented: str | None) -> bool:
    # compare_digest raises TypeError on non-ASCII str, so only well-formed hex reaches it.
    if not isinstance(presented, str) or _HEX_SHA256.fullmatch(presented) is None:
        return False
    return hmac.compare_digest(expected_hex, presented.lower())
