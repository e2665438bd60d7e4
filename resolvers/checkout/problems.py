"""Expected checkout failures, as the generic `Problem` values of `resolvers.errors`."""

from __future__ import annotations

from resolvers.errors import Problem, ProblemKind

CHECKOUT_IN_PROGRESS = Problem(
    ProblemKind.PAYMENT_UNAVAILABLE,
    "another request with this idempotency key is creating its order: try again with the same key",
)
COURSE_IS_FREE = Problem(
    ProblemKind.COURSE_IS_FREE, "this course is free: enrol instead of buying it"
)
INVALID_SIGNATURE = Problem(
    ProblemKind.INVALID_SIGNATURE,
    "the payment signature does not match this order and payment",
)
PAYMENT_REFUNDED = Problem(
    ProblemKind.PAYMENT_FAILED, "this order's payment was refunded: it grants no access"
)
PROVIDER_REFUSED = Problem(
    ProblemKind.PAYMENT_FAILED, "the payment provider refused to create this order"
)
PROVIDER_UNAVAILABLE = Problem(
    ProblemKind.PAYMENT_UNAVAILABLE,
    "the payment provider did not answer: try again with the same idempotency key",
)
