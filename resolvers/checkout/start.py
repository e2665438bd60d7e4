"""`startCheckout`: a provider order for a paid course, one per idempotency key."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from datasources.payments.provider import PaymentProviderRejected, PaymentProviderUnavailable
from domain.checkout.receipts import receipt_for
from records.orders import NewPaymentOrder, PaymentOrder
from resolvers.checkout.problems import (
    CHECKOUT_IN_PROGRESS,
    COURSE_IS_FREE,
    PROVIDER_REFUSED,
    PROVIDER_UNAVAILABLE,
)
from resolvers.checkout.provider_ids import is_idempotency_key
from resolvers.context import RequestContext
from resolvers.errors import UNAUTHENTICATED, Problem, invalid, not_found
from resolvers.ids import id_or_problem

log = logging.getLogger("coursegate.checkout")


@dataclass(frozen=True, slots=True)
class StartedCheckout:
    order: PaymentOrder
    key_id: str  # the public key id Razorpay Checkout needs in the browser


async def start_checkout(
    ctx: RequestContext, raw_course_id: str, idempotency_key: str
) -> StartedCheckout | Problem:
    if ctx.principal is None:
        return UNAUTHENTICATED
    user_id = ctx.principal.user_id
    course_id = id_or_problem(raw_course_id, "courseId")
    if isinstance(course_id, Problem):
        return course_id
    if not is_idempotency_key(idempotency_key):
        return invalid(
            "idempotencyKey", "`idempotencyKey` must be 1-64 characters of A-Z a-z 0-9 . _ : -"
        )
    key_id = ctx.backends.payments.key_id
    orders = ctx.backends.orders
    existing = await orders.find_by_key(user_id, idempotency_key)
    if existing is not None:
        return _same_attempt(existing, course_id, key_id)
    # The price charged and whether the course is still sold are read as of now, not as this
    # process's catalog last saw them (up to a second ago).
    await ctx.backends.catalog.catch_up()
    course = await ctx.loaders.course.load(course_id)
    if course is None or not course.is_active:
        return not_found("course")
    if course.is_free:
        return COURSE_IS_FREE
    # One provider order per key, also when two requests with it arrive together: only the
    # holder of the key's reservation asks the provider.
    if not await orders.reserve_key(user_id, idempotency_key, ctx.now):
        existing = await orders.find_by_key(user_id, idempotency_key)
        if existing is not None:
            return _same_attempt(existing, course_id, key_id)
        return CHECKOUT_IN_PROGRESS
    # A request with this key that finished after our first look released its reservation once
    # its order row was written, so the reservation was ours to take: that order answers.
    existing = await orders.find_by_key(user_id, idempotency_key)
    if existing is not None:
        await orders.release_key(user_id, idempotency_key)
        return _same_attempt(existing, course_id, key_id)
    receipt = receipt_for(user_id, course.id, idempotency_key)
    notes = {"user_id": str(user_id), "course_id": str(course.id)}
    try:
        provider_order = await ctx.backends.payments.create_order(
            course.price_paise, course.currency, receipt, notes
        )
    except PaymentProviderUnavailable:
        log.warning("provider order for course %s not created: provider unavailable", course.id)
        await orders.release_key(user_id, idempotency_key)
        return PROVIDER_UNAVAILABLE
    except PaymentProviderRejected as rejected:
        log.warning("provider refused an order for course %s: %s", course.id, rejected.code)
        await orders.release_key(user_id, idempotency_key)
        return PROVIDER_REFUSED
    stored = await orders.create(
        NewPaymentOrder(
            user_id=user_id,
            course_id=course.id,
            provider_order_id=provider_order.id,
            idempotency_key=idempotency_key,
            amount_paise=provider_order.amount_paise,
            currency=provider_order.currency,
            receipt=receipt,
        ),
        ctx.now,
    )
    return _same_attempt(stored, course_id, key_id)


def _same_attempt(order: PaymentOrder, course_id: int, key_id: str) -> StartedCheckout | Problem:
    if order.course_id != course_id:
        return invalid("idempotencyKey", "this idempotency key was used for another course")
    return StartedCheckout(order, key_id)
