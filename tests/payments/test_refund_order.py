"""refundOrder and the refund pass of the reconciler, through the real `razorpay` package against
the Razorpay API stand-in, on the embedded store and on MariaDB.

Access bought with an order must end exactly once whether Razorpay's `refund.processed` webhook
arrives after the API's answer, before it, or never.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from datasources.backends import Backends
from datasources.payments.razorpay_provider import RazorpayProvider
from jobs.reconcile import reconcile
from records.catalog import Course
from tests.conftest import graphql, token_for
from tests.factories import add_course
from tests.payments.stand_in_credentials import KEY_SECRET
from tests.stand_ins.razorpay_api import RazorpayApiStandIn

BUYER = 41
ADMIN = 9000
PRICE_PAISE = 79_900

START = """
mutation($courseId: ID!, $key: String!) {
  startCheckout(courseId: $courseId, idempotencyKey: $key) {
    __typename ... on StartCheckoutSuccess { order { orderId } }
  }
}"""
CONFIRM = """
mutation($orderId: String!, $paymentId: String!, $signature: String!) {
  confirmPayment(orderId: $orderId, paymentId: $paymentId, signature: $signature) {
    __typename ... on ConfirmPaymentSuccess { orderState }
  }
}"""
REFUND = """
mutation($orderId: String!, $reason: String!) {
  refundOrder(orderId: $orderId, reason: $reason) {
    __typename
    ... on RefundOrderSuccess {
      orderState
      refund { refundId paymentId amount currency refundedAt reason }
      subscription { state isActive expiresAt }
    }
    ... on UserError { message }
    ... on InvalidInput { field }
  }
}"""
MY_COURSE = """
query { me { subscriptions(status: ALL) { edges { node { courseId state isActive } } } } }
"""


@dataclass(frozen=True)
class PaidOrder:
    order_id: str
    payment_id: str


@pytest.fixture
def gateway_payments(backends: Backends, razorpay: RazorpayProvider) -> RazorpayProvider:
    backends.payments = razorpay
    return razorpay


async def _paid_order(
    client: httpx.AsyncClient, api: RazorpayApiStandIn, course: Course, key: str = "buy-1"
) -> PaidOrder:
    started = await graphql(
        client, START, {"courseId": str(course.id), "key": key}, token=token_for(BUYER)
    )
    order_id = started["data"]["startCheckout"]["order"]["orderId"]
    payment_id = api.inject_payment(order_id)["id"]
    # Checkout's signature, computed here as Razorpay documents it rather than by the gateway.
    signed = f"{order_id}|{payment_id}".encode()
    signature = hmac.new(KEY_SECRET.encode(), signed, hashlib.sha256).hexdigest()
    variables = {"orderId": order_id, "paymentId": payment_id, "signature": signature}
    confirmed = await graphql(client, CONFIRM, variables, token=token_for(BUYER))
    assert confirmed["data"]["confirmPayment"]["orderState"] == "paid"
    return PaidOrder(order_id, payment_id)


async def _refund(
    client: httpx.AsyncClient, order_id: str, reason: str = "customer asked", token: str = ""
) -> dict[str, Any]:
    body = await graphql(
        client,
        REFUND,
        {"orderId": order_id, "reason": reason},
        token=token or token_for(ADMIN, admin=True),
    )
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["refundOrder"]
    return result


async def _my_states(client: httpx.AsyncClient) -> list[tuple[bool, str]]:
    body = await graphql(client, MY_COURSE, token=token_for(BUYER))
    edges = body["data"]["me"]["subscriptions"]["edges"]
    return [(edge["node"]["isActive"], edge["node"]["state"]) for edge in edges]


async def _stored(backends: Backends, sql: str) -> list[tuple[Any, ...]]:
    engine = backends.uncached_subscriptions.shard_for(BUYER)
    return [tuple(row) for row in await engine.fetch_all(sql, (BUYER,))]


async def _refund_rows(backends: Backends) -> list[tuple[Any, ...]]:
    return await _stored(
        backends,
        "SELECT refund_id, payment_id, amount_paise, reason, requested_by, source"
        " FROM order_refunds WHERE user_id = ?",
    )


async def _refund_events(backends: Backends) -> list[tuple[Any, ...]]:
    return await _stored(
        backends,
        "SELECT payment_id, source FROM payment_events"
        " WHERE user_id = ? AND kind = 'refund.processed'",
    )


async def _subscription_rows(backends: Backends) -> list[tuple[Any, ...]]:
    return await _stored(
        backends,
        "SELECT status, expires_at, updated_at FROM user_typing_courses WHERE user_id = ?",
    )


def _refund_calls(api: RazorpayApiStandIn) -> list[Any]:
    return [seen.body for seen in api.seen_requests() if seen.path.endswith("/refund")]


async def _deliver(client: httpx.AsyncClient, delivery: tuple[bytes, dict[str, str]]) -> str:
    raw_body, headers = delivery
    response = await client.post("/webhooks/razorpay", content=raw_body, headers=headers)
    assert response.status_code == 200, response.text
    status: str = response.json()["status"]
    return status


async def test_refund_order_gives_the_money_back_and_a_later_webhook_changes_nothing(
    client: httpx.AsyncClient,
    backends: Backends,
    razorpay_api: RazorpayApiStandIn,
    gateway_payments: RazorpayProvider,
) -> None:
    course = await add_course(backends, price_paise=PRICE_PAISE, validity_days=90)
    paid = await _paid_order(client, razorpay_api, course)
    assert await _my_states(client) == [(True, "ACTIVE")]

    refunded = await _refund(client, paid.order_id, "  charged twice by the bank  ")

    assert refunded["__typename"] == "RefundOrderSuccess", refunded
    assert refunded["orderState"] == "refunded"
    refund = refunded["refund"]
    assert (refund["paymentId"], refund["amount"], refund["currency"]) == (
        paid.payment_id,
        PRICE_PAISE,
        "INR",
    )
    assert refund["reason"] == "charged twice by the bank"
    assert refunded["subscription"]["state"] == "REFUNDED"
    assert not refunded["subscription"]["isActive"]
    # Access ends when the money went back, not at the end of the paid period.
    assert refunded["subscription"]["expiresAt"] == refund["refundedAt"]
    assert _refund_calls(razorpay_api) == [
        {"notes": {"reason": "charged twice by the bank", "requested_by": str(ADMIN)}}
    ]
    assert await _my_states(client) == [(False, "REFUNDED")]  # the cache followed
    rows = await _refund_rows(backends)
    assert rows == [
        (
            refund["refundId"],
            paid.payment_id,
            PRICE_PAISE,
            "charged twice by the bank",
            ADMIN,
            "admin",
        )
    ]
    subscription_after_refund = await _subscription_rows(backends)

    webhook = razorpay_api.refund_webhook(refund["refundId"])
    assert await _deliver(client, webhook) == "duplicate"
    again = await _refund(client, paid.order_id)

    assert again["__typename"] == "RefundOrderSuccess"
    assert (again["orderState"], again["refund"]) == ("refunded", None)
    assert len(_refund_calls(razorpay_api)) == 1, "a refunded order was refunded again"
    assert await _subscription_rows(backends) == subscription_after_refund
    assert await _refund_events(backends) == [(paid.payment_id, "admin")]
    assert await _refund_rows(backends) == rows


async def test_a_refund_webhook_that_outruns_the_api_answer_revokes_once(
    client: httpx.AsyncClient,
    backends: Backends,
    razorpay_api: RazorpayApiStandIn,
    gateway_payments: RazorpayProvider,
) -> None:
    course = await add_course(backends, price_paise=PRICE_PAISE)
    paid = await _paid_order(client, razorpay_api, course)
    razorpay_api.hold_refund_answers()

    refunding = asyncio.create_task(_refund(client, paid.order_id, "duplicate purchase"))
    made = await asyncio.to_thread(razorpay_api.wait_for_held_refund, 10.0)
    assert await _deliver(client, razorpay_api.refund_webhook(made["id"])) == "processed"
    assert await _my_states(client) == [(False, "REFUNDED")]
    revoked = await _subscription_rows(backends)
    razorpay_api.release_held()
    refunded = await refunding

    assert refunded["__typename"] == "RefundOrderSuccess", refunded
    assert refunded["refund"]["refundId"] == made["id"]
    assert await _subscription_rows(backends) == revoked  # the answer changed nothing more
    assert await _refund_events(backends) == [(paid.payment_id, "webhook")]
    # The webhook came first, yet the reason is kept: it travels in the refund's notes.
    [(refund_id, _, _, reason, requested_by, source)] = await _refund_rows(backends)
    assert (refund_id, reason, requested_by, source) == (
        made["id"],
        "duplicate purchase",
        ADMIN,
        "webhook",
    )


async def test_a_refund_made_outside_the_gateway_with_its_webhook_lost_is_caught_by_the_reconciler(
    client: httpx.AsyncClient,
    backends: Backends,
    razorpay_api: RazorpayApiStandIn,
    gateway_payments: RazorpayProvider,
) -> None:
    course = await add_course(backends, price_paise=PRICE_PAISE)
    paid = await _paid_order(client, razorpay_api, course)
    other = await add_course(backends, slug="kept-course", price_paise=PRICE_PAISE)
    kept = await _paid_order(client, razorpay_api, other, key="buy-2")
    refund = razorpay_api.refund_directly(paid.payment_id)  # in the dashboard; no webhook
    # Another product on the same Razorpay account: a payment the gateway never took.
    foreign_order = await gateway_payments.create_order(50_000, "INR", "elsewhere-1", {})
    foreign_payment = razorpay_api.inject_payment(foreign_order.id)["id"]
    razorpay_api.refund_directly(foreign_payment)
    assert sorted(await _my_states(client)) == [(True, "ACTIVE"), (True, "ACTIVE")]

    report = await reconcile(backends, datetime.now(UTC))

    assert (report.refunds_settled, report.revoked_or_refunded) == (1, 1)
    assert sorted(await _my_states(client)) == [(False, "REFUNDED"), (True, "ACTIVE")]
    assert await _refund_events(backends) == [(paid.payment_id, "reconciler")]
    assert await _refund_rows(backends) == [
        (refund["id"], paid.payment_id, PRICE_PAISE, None, None, "reconciler")
    ]
    assert kept.payment_id not in {row[1] for row in await _refund_rows(backends)}
    payment_fetches = [s for s in razorpay_api.seen_requests() if "/payments/" in s.path]
    assert f"/v1/payments/{foreign_payment}" not in {s.path for s in payment_fetches}

    again = await reconcile(backends, datetime.now(UTC))

    assert (again.refunds_settled, again.revoked_or_refunded, again.provider_errors) == (0, 0, 0)
    later_fetches = [s for s in razorpay_api.seen_requests() if "/payments/" in s.path]
    assert later_fetches == payment_fetches, "a refund already applied was looked up again"


async def test_a_retry_after_an_unanswered_refund_finds_it_without_refunding_twice(
    client: httpx.AsyncClient,
    backends: Backends,
    razorpay_api: RazorpayApiStandIn,
    gateway_payments: RazorpayProvider,
) -> None:
    course = await add_course(backends, price_paise=PRICE_PAISE)
    paid = await _paid_order(client, razorpay_api, course)
    razorpay_api.hold_refund_answers()  # the refund is made; its answer never comes in time

    unanswered = await _refund(client, paid.order_id)

    assert unanswered["__typename"] == "PaymentUnavailable", unanswered
    assert "run refundOrder again" in unanswered["message"]
    assert await _my_states(client) == [(True, "ACTIVE")]  # not revoked on a guess
    razorpay_api.release_held()

    retried = await _refund(client, paid.order_id)

    assert retried["__typename"] == "RefundOrderSuccess", retried
    assert retried["orderState"] == "refunded"
    assert await _my_states(client) == [(False, "REFUNDED")]
    assert len(_refund_calls(razorpay_api)) == 2  # the second was refused as already refunded
    assert await _refund_events(backends) == [(paid.payment_id, "reconciler")]
    assert await _refund_rows(backends) == []  # a payment's state does not name its refund

    report = await reconcile(backends, datetime.now(UTC))

    # The reconciler keeps the refund, and its notes still carry who asked and why.
    assert (report.refunds_settled, report.revoked_or_refunded) == (0, 0)  # revoked already
    [(_, payment_id, _, reason, requested_by, source)] = await _refund_rows(backends)
    assert (payment_id, reason, requested_by, source) == (
        paid.payment_id,
        "customer asked",
        ADMIN,
        "reconciler",
    )


async def test_refund_order_refuses_before_touching_anything(
    client: httpx.AsyncClient,
    backends: Backends,
    razorpay_api: RazorpayApiStandIn,
    gateway_payments: RazorpayProvider,
) -> None:
    course = await add_course(backends, price_paise=PRICE_PAISE)
    paid = await _paid_order(client, razorpay_api, course)
    open_order = await graphql(
        client, START, {"courseId": str(course.id), "key": "not-paid"}, token=token_for(BUYER)
    )
    open_order_id = open_order["data"]["startCheckout"]["order"]["orderId"]
    before = (await _subscription_rows(backends), await _stored_orders(backends))

    anonymous = await graphql(client, REFUND, {"orderId": "nonsense", "reason": ""})
    assert anonymous["data"]["refundOrder"]["__typename"] == "Unauthenticated"
    buyer = await _refund(client, paid.order_id, token=token_for(BUYER))
    assert buyer["__typename"] == "Forbidden"
    malformed_as_user = await _refund(client, "../orders", "", token=token_for(BUYER))
    assert malformed_as_user["__typename"] == "Forbidden"  # the role is checked first
    bad_id = await _refund(client, "pay_123")
    assert (bad_id["__typename"], bad_id["field"]) == ("InvalidInput", "orderId")
    for reason in ("", "   ", "x" * 257, "two\nlines"):
        bad_reason = await _refund(client, paid.order_id, reason)
        assert (bad_reason["__typename"], bad_reason["field"]) == ("InvalidInput", "reason")
    assert (await _refund(client, "order_Unknown000001"))["__typename"] == "NotFound"
    not_paid = await _refund(client, open_order_id)
    assert not_paid["__typename"] == "NotRefundable"
    assert "created" in not_paid["message"]
    razorpay_api.fail_next(1, status=500)
    provider_down = await _refund(client, paid.order_id)
    assert provider_down["__typename"] == "PaymentUnavailable"

    assert (await _subscription_rows(backends), await _stored_orders(backends)) == before
    assert await _refund_rows(backends) == []
    assert len(_refund_calls(razorpay_api)) == 1  # only the one that failed at the provider
    assert await _my_states(client) == [(True, "ACTIVE")]


async def _stored_orders(backends: Backends) -> list[tuple[Any, ...]]:
    return await _stored(
        backends,
        "SELECT provider_order_id, state, settled_payment_id FROM payment_orders"
        " WHERE user_id = ? ORDER BY provider_order_id",
    )
