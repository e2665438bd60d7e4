"""Subscription and checkout flows over GraphQL that several test modules drive."""

from __future__ import annotations

import httpx

from datasources.payments.sandbox import SandboxProvider
from tests.conftest import graphql, token_for

ENROLL = "mutation($c: ID!) { enroll(courseId: $c) { __typename } }"
CANCEL = "mutation($c: ID!) { cancelSubscription(courseId: $c) { __typename } }"
START = """mutation ($c: ID!, $k: String!) { startCheckout(courseId: $c, idempotencyKey: $k) {
    ... on StartCheckoutSuccess { order { orderId } } } }"""
CONFIRM = """mutation ($o: String!, $p: String!, $s: String!) {
    confirmPayment(orderId: $o, paymentId: $p, signature: $s) { __typename } }"""
REFUND = """mutation ($o: String!) { refundOrder(orderId: $o, reason: "asked") { __typename } }"""


async def buy(
    client: httpx.AsyncClient, sandbox: SandboxProvider, user_id: int, course_id: int, key: str
) -> str:
    token = token_for(user_id)
    started = await graphql(client, START, {"c": str(course_id), "k": key}, token)
    order_id = str(started["data"]["startCheckout"]["order"]["orderId"])
    payment_id, signature = sandbox.pay(order_id)
    confirmed = await graphql(
        client, CONFIRM, {"o": order_id, "p": payment_id, "s": signature}, token
    )
    assert confirmed["data"]["confirmPayment"]["__typename"] == "ConfirmPaymentSuccess"
    return order_id
