"""Receipts: the merchant reference Razorpay stores on each order."""

from __future__ import annotations

import hashlib

RECEIPT_MAX_CHARS = 40  # Razorpay's limit
_PREFIX = "cg_"
_DIGEST_HEX_CHARS = 32  # 128 bits: collisions between attempts are not a practical concern


def receipt_for(user_id: int, course_id: int, attempt_key: str) -> str:
    """A receipt for one checkout attempt: the same for a retried request with the same
    idempotency key, different for any other attempt, and always within Razorpay's 40 chars.

    Hashed rather than spelled out because 64-bit ids and a client-chosen key do not fit;
    the order's notes carry the readable user and course ids.
    """
    if not attempt_key:
        raise ValueError("a checkout attempt needs an idempotency key")
    # The ids are integers, so ':' cannot occur inside them and the encoding is unambiguous.
    digest = hashlib.sha256(f"{user_id}:{course_id}:{attempt_key}".encode()).hexdigest()
    return _PREFIX + digest[:_DIGEST_HEX_CHARS]
