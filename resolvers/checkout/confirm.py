"""`confirmPayment`: the client's report of a successful Checkout, verified before anything."""

from __future__ import annotations

from domain.checkout.order_state import OrderEvent, OrderState
from domain.checkout.settlement import Settlement, settle
from resolvers.checkout.problems import INVALID_SIGNATURE, PAYMENT_REFUNDED
from resolvers.checkout.provider_ids import is_order_id, is_payment_id
from resolvers.context import RequestContext
from resolvers.errors import UNAUTHENTICATED, Problem, invalid, not_found


async def confirm_payment(
    ctx: RequestContext, order_id: str, payment_id: str, signature: str
) -> Settlement | Problem:
    if ctx.principal is None:
        return UNAUTHENTICATED
    if not is_order_id(order_id):
        return invalid("orderId", "`orderId` must be a Razorpay order id (order_...)")
    if not is_payment_id(payment_id):
        return invalid("paymentId", "`paymentId` must be a Razorpay payment id (pay_...)")
    if not ctx.backends.payments.verify_payment(order_id, payment_id, signature):
        return INVALID_SIGNATURE
    # Looked up on the caller's own shard: someone else's order is simply not found.
    order = await ctx.backends.orders.find_by_provider_id(ctx.principal.user_id, order_id)
    if order is None:
        return not_found("order")
    settlement = await settle(
        ctx.backends, order, OrderEvent.client_confirmed(payment_id), now=ctx.now
    )
    if settlement.state is OrderState.REFUNDED:
        return PAYMENT_REFUNDED
    return settlement
