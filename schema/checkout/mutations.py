"""Buying a paid course: start a Razorpay order, then confirm what Checkout reported."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domain.checkout.refunds import RefundedOrder
from domain.checkout.settlement import Settlement
from resolvers.checkout.confirm import confirm_payment
from resolvers.checkout.refund import refund_paid_order
from resolvers.checkout.start import start_checkout
from resolvers.errors import unless_shard_unavailable
from schema.checkout.types import (
    ConfirmPaymentSuccess,
    RefundOrderSuccess,
    StartCheckoutSuccess,
    confirmed_payment,
    refunded_order,
    started_checkout,
)
from schema.common.info import Info
from schema.common.problems import (
    CourseIsFree,
    Forbidden,
    InvalidInput,
    InvalidSignature,
    NotFound,
    NotRefundable,
    PaymentFailed,
    PaymentUnavailable,
    ShardUnavailable,
    Unauthenticated,
)
from schema.common.results import result

StartCheckoutResult = Annotated[
    StartCheckoutSuccess
    | NotFound
    | CourseIsFree
    | InvalidInput
    | Unauthenticated
    | PaymentFailed
    | PaymentUnavailable
    | ShardUnavailable,
    strawberry.union("StartCheckoutResult"),
]
ConfirmPaymentResult = Annotated[
    ConfirmPaymentSuccess
    | InvalidSignature
    | NotFound
    | InvalidInput
    | Unauthenticated
    | PaymentFailed
    | ShardUnavailable,
    strawberry.union("ConfirmPaymentResult"),
]
RefundOrderResult = Annotated[
    RefundOrderSuccess
    | NotFound
    | NotRefundable
    | InvalidInput
    | Unauthenticated
    | Forbidden
    | PaymentFailed
    | PaymentUnavailable
    | ShardUnavailable,
    strawberry.union("RefundOrderResult"),
]


@strawberry.type
class CheckoutMutations:
    @strawberry.mutation(description="Start buying a paid course; one order per idempotency key")
    async def start_checkout(
        self, info: Info, course_id: strawberry.ID, idempotency_key: str
    ) -> StartCheckoutResult:
        outcome = await unless_shard_unavailable(
            start_checkout(info.context, course_id, idempotency_key)
        )
        return result(
            outcome,
            started_checkout,
            NotFound,
            CourseIsFree,
            InvalidInput,
            Unauthenticated,
            PaymentFailed,
            PaymentUnavailable,
            ShardUnavailable,
        )

    @strawberry.mutation(description="Report a successful Razorpay Checkout; grants access once")
    async def confirm_payment(
        self, info: Info, order_id: str, payment_id: str, signature: str
    ) -> ConfirmPaymentResult:
        outcome = await unless_shard_unavailable(
            confirm_payment(info.context, order_id, payment_id, signature)
        )

        def success(settlement: Settlement) -> ConfirmPaymentSuccess:
            return confirmed_payment(settlement, info.context.now)

        return result(
            outcome,
            success,
            InvalidSignature,
            NotFound,
            InvalidInput,
            Unauthenticated,
            PaymentFailed,
            ShardUnavailable,
        )

    @strawberry.mutation(
        description="Admin: refund a paid order in full through Razorpay; ends its access once"
    )
    async def refund_order(self, info: Info, order_id: str, reason: str) -> RefundOrderResult:
        outcome = await unless_shard_unavailable(refund_paid_order(info.context, order_id, reason))

        def success(refunded: RefundedOrder) -> RefundOrderSuccess:
            return refunded_order(refunded, info.context.now)

        return result(
            outcome,
            success,
            NotFound,
            NotRefundable,
            InvalidInput,
            Unauthenticated,
            Forbidden,
            PaymentFailed,
            PaymentUnavailable,
            ShardUnavailable,
        )
