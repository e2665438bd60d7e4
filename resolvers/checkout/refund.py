"""`refundOrder`: an admin gives a paid order's money back; access ends once."""

from __future__ import annotations

from datasources.payments.provider import (
    PaymentProviderError,
    PaymentProviderRejected,
    PaymentProviderUnavailable,
)
from domain.checkout.refunds import (
    MAX_REASON_CHARS,
    OrderNotRefundable,
    RefundedOrder,
    refund_order,
)
from resolvers.checkout.provider_ids import is_order_id
from resolvers.context import RequestContext
from resolvers.errors import UNAUTHENTICATED, Problem, ProblemKind, invalid, not_found

REFUND_NOT_ANSWERED = Problem(
    ProblemKind.PAYMENT_UNAVAILABLE,
    "the payment provider did not answer, so the refund may or may not have been made:"
    " run refundOrder again, which finds out without refunding twice",
)


async def refund_paid_order(
    ctx: RequestContext, order_id: str, reason: str
) -> RefundedOrder | Problem:
    problem = ctx.admin_problem()
    if problem is not None or ctx.principal is None:
        return problem or UNAUTHENTICATED
    if not is_order_id(order_id):
        return invalid("orderId", "`orderId` must be a Razorpay order id (order_...)")
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON_CHARS or not reason.isprintable():
        return invalid(
            "reason", f"`reason` is one line of 1 to {MAX_REASON_CHARS} printable characters"
        )
    orders = ctx.backends.orders
    buyer = await orders.user_for_provider_order(order_id)
    order = None if buyer is None else await orders.find_by_provider_id(buyer, order_id)
    if order is None:
        return not_found("order")
    try:
        return await refund_order(ctx.backends, order, reason, ctx.principal.user_id, ctx.now)
    except OrderNotRefundable as not_paid:
        return Problem(ProblemKind.NOT_REFUNDABLE, str(not_paid))
    except PaymentProviderRejected as refused:
        return Problem(
            ProblemKind.PAYMENT_FAILED,
            f"the payment provider refused the refund: {refused.description}",
        )
    except (PaymentProviderUnavailable, PaymentProviderError):
        return REFUND_NOT_ANSWERED
