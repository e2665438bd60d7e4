"""The embedded checkout page: served in embedded mode only, and the whole purchase works
through it (startCheckout, the sandbox payment, confirmPayment)."""

from __future__ import annotations

import httpx

from datasources.backends import Backends
from datasources.payments.sandbox import SandboxProvider, SandboxSettings
from settings import Settings
from tests.conftest import graphql, token_for
from tests.factories import add_course

START = """mutation ($c: ID!, $k: String!) { startCheckout(courseId: $c, idempotencyKey: $k) {
    ... on StartCheckoutSuccess { order { orderId } } } }"""
CONFIRM = """mutation ($o: String!, $p: String!, $s: String!) {
    confirmPayment(orderId: $o, paymentId: $p, signature: $s) {
        __typename ... on ConfirmPaymentSuccess { subscription { isActive } } } }"""


async def test_checkout_page_only_in_embedded_mode_and_a_purchase_through_it(
    client: httpx.AsyncClient, backends: Backends, settings: Settings
) -> None:
    page = await client.get("/checkout")
    if settings.production:
        assert page.status_code == 404
        assert (
            await client.post("/checkout/sandbox-pay", json={"orderId": "x"})
        ).status_code == 404
        return
    assert page.status_code == 200
    assert '<script src="/checkout/checkout.js">' in page.text
    script = await client.get("/checkout/checkout.js")
    assert script.status_code == 200
    assert "startCheckout" in script.text and "confirmPayment" in script.text

    backends.payments = SandboxProvider(SandboxSettings(key_secret="k", webhook_secret="w"))
    course = await add_course(backends, price_paise=49_900)
    token = token_for(21)
    started = await graphql(client, START, {"c": str(course.id), "k": "page-1"}, token)
    order_id = started["data"]["startCheckout"]["order"]["orderId"]
    paid = (await client.post("/checkout/sandbox-pay", json={"orderId": order_id})).json()
    variables = {"o": order_id, "p": paid["paymentId"], "s": paid["signature"]}
    confirmed = (await graphql(client, CONFIRM, variables, token))["data"]["confirmPayment"]
    assert confirmed == {"__typename": "ConfirmPaymentSuccess", "subscription": {"isActive": True}}

    unknown = await client.post("/checkout/sandbox-pay", json={"orderId": "order_nope"})
    assert unknown.status_code == 400
    assert (await client.post("/checkout/sandbox-pay", content=b"[]")).status_code == 400
