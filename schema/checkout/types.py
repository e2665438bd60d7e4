"""Checkout results: what Razorpay Checkout in the browser needs, and a confirmed payment."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain.checkout.settlement import Settlement
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
