"""Checkout results: what Razorpay Checkout in the browser needs, and a confirmed payment."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain.checkout.refunds import RefundedOrder
from domain.checkout.settlement import Settlement
from records.orders import OrderRefund
from resolvers.checkout.start import StartedCheckout
from schema.subscriptions.types import SubscriptionType


@strawberry.type
class CheckoutOrder:
    order_id: str = strawberry.field(description="Razorpay's order id, for Checkout's order_id")
    amount: int = strawberry.field(description="In paise, the smallest currency unit")
    currency: str
    receipt: str
    key_id: str = strawberry.field(description="The public key id Checkout is opened with")
    state: str


@strawberry.type
class StartCheckoutSuccess:
    order: CheckoutOrder


@strawberry.type
class ConfirmPaymentSuccess:
    order_state: str
    subscription: SubscriptionType | None


@strawberry.type(name="OrderRefund")
class OrderRefundType:
    refund_id: str = strawberry.field(description="Razorpay's refund id (rfnd_...)")
    payment_id: str
    amount: int = strawberry.field(description="In paise, the smallest currency unit")
    currency: str
    refunded_at: datetime
    reason: str | None = strawberry.field(description="null: made outside the gateway")

    @classmethod
    def from_record(cls, refund: OrderRefund) -> OrderRefundType:
        return cls(
            refund_id=refund.refund_id,
            payment_id=refund.payment_id,
            amount=refund.amount_paise,
            currency=refund.currency,
            refunded_at=refund.refunded_at,
            reason=refund.reason,
        )


@strawberry.type
class RefundOrderSuccess:
    order_state: str
    refund: OrderRefundType | None = strawberry.field(
        description="The refund this request made; null when the order was refunded already"
    )
    subscription: SubscriptionType | None


def started_checkout(started: StartedCheckout) -> StartCheckoutSuccess:
    order = started.order
    return StartCheckoutSuccess(
        order=CheckoutOrder(
            order_id=order.provider_order_id,
            amount=order.amount_paise,
            currency=order.currency,
            receipt=order.receipt,
            key_id=started.key_id,
            state=order.state,
        )
    )


def confirmed_payment(settlement: Settlement, now: datetime) -> ConfirmPaymentSuccess:
    subscription = settlement.subscription
    return ConfirmPaymentSuccess(
        order_state=settlement.state.value,
        subscription=None
        if subscription is None
        else SubscriptionType.from_record(subscription, now),
    )


def refunded_order(refunded: RefundedOrder, now: datetime) -> RefundOrderSuccess:
    subscription = refunded.settlement.subscription
    return RefundOrderSuccess(
        order_state=refunded.settlement.state.value,
        refund=None if refunded.refund is None else OrderRefundType.from_record(refunded.refund),
        subscription=None
        if subscription is None
        else SubscriptionType.from_record(subscription, now),
    )
