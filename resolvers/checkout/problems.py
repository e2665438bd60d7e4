"""Expected checkout failures beyond the generic ones in `resolvers.errors`."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class CheckoutProblemKind(enum.Enum):
    COURSE_IS_FREE = "course_is_free"
    INVALID_SIGNATURE = "invalid_signature"
    PAYMENT_FAILED = "payment_failed"
    PAYMENT_UNAVAILABLE = "payment_unavailable"


@dataclass(frozen=True, slots=True)
class CheckoutProblem:
    kind: CheckoutProblemKind
    message: str


COURSE_IS_FREE = CheckoutProblem(
    CheckoutProblemKind.COURSE_IS_FREE, "this course is free: enrol instead of buying it"
)
INVALID_SIGNATURE = CheckoutProblem(
    CheckoutProblemKind.INVALID_SIGNATURE,
    "the payment signature does not match this order and payment",
)
PAYMENT_REFUNDED = CheckoutProblem(
    CheckoutProblemKind.PAYMENT_FAILED, "this order's payment was refunded: it grants no access"
)
PROVIDER_REFUSED = CheckoutProblem(
    CheckoutProblemKind.PAYMENT_FAILED, "the payment provider refused to create this order"
)
PROVIDER_UNAVAILABLE = CheckoutProblem(
    CheckoutProblemKind.PAYMENT_UNAVAILABLE,
    "the payment provider did not answer: try again with the same idempotency key",
)
