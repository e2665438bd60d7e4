"""The embedded default's sandbox provider signs, remembers and delivers like Razorpay."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import orjson
import pytest

from datasources.payments.factory import payment_provider
from datasources.payments.provider import (
    PaymentProviderRejected,
    ProviderOrderStatus,
    ProviderPaymentStatus,
)
from datasources.payments.razorpay_provider import RazorpayProvider
from datasources.payments.sandbox import SANDBOX_KEY_ID, SandboxProvider, SandboxSettings
from datasources.payments.signatures import verify_payment_signature, verify_webhook_signature
from datasources.payments.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER, read_webhook
from settings import Settings

SECRETS = SandboxSettings(key_secret="sandbox-test-key-secret", webhook_secret="sandbox-hook")


def _settings(env: dict[str, str]) -> Settings:
    return Settings.from_env({"COURSEGATE_JWT_SECRET": "x" * 32, **env})


FIXED_NOW = datetime(2026, 1, 15, 10, 30, tzinfo=UTC)


@pytest.fixture
def sandbox() -> SandboxProvider:
    return SandboxProvider(SECRETS, clock=lambda: FIXED_NOW)


async def test_orders_get_razorpay_shaped_ids_and_are_remembered(sandbox: SandboxProvider) -> None:
    order = await sandbox.create_order(49_900, "INR", "cg_1", {"course_id": "7"})

    assert re.fullmatch(r"order_[A-Za-z0-9]{14}", order.id)
    assert await sandbox.fetch_order(order.id) == order
    assert (order.amount_paise, order.currency, order.receipt) == (49_900, "INR", "cg_1")
    assert order.notes == {"course_id": "7"}
    assert order.status is ProviderOrderStatus.CREATED
    assert await sandbox.fetch_order_payments(order.id) == []


async def test_pay_returns_a_signature_razorpays_check_accepts(sandbox: SandboxProvider) -> None:
    order = await sandbox.create_order(10_000, "INR", "cg_2", {})

    payment_id, signature = sandbox.pay(order.id)

    assert re.fullmatch(r"pay_[A-Za-z0-9]{14}", payment_id)
    assert verify_payment_signature(order.id, payment_id, signature, SECRETS.key_secret)
    assert sandbox.verify_payment(order.id, payment_id, signature)
    assert not sandbox.verify_payment(order.id, payment_id, signature[::-1])
    [payment] = await sandbox.fetch_order_payments(order.id)
    assert (payment.id, payment.status) == (payment_id, ProviderPaymentStatus.CAPTURED)
    assert payment.created_at == FIXED_NOW
    assert (await sandbox.fetch_order(order.id)).status is ProviderOrderStatus.PAID


async def test_a_failed_attempt_keeps_the_order_open_for_a_later_payment(
    sandbox: SandboxProvider,
) -> None:
    order = await sandbox.create_order(10_000, "INR", "cg_3", {})

    failed_id = sandbox.fail(order.id)
    assert (await sandbox.fetch_order(order.id)).status is ProviderOrderStatus.ATTEMPTED
    paid_id, _ = sandbox.pay(order.id)

    statuses = {p.id: p.status for p in await sandbox.fetch_order_payments(order.id)}
    assert statuses == {
        failed_id: ProviderPaymentStatus.FAILED,
        paid_id: ProviderPaymentStatus.CAPTURED,
    }
    with pytest.raises(PaymentProviderRejected):
        sandbox.pay(order.id)


@pytest.mark.parametrize(
    ("amount", "currency", "receipt"),
    [(99, "INR", "cg_4"), (10_000, "inr", "cg_4"), (10_000, "INR", "r" * 41)],
)
async def test_create_order_refuses_what_razorpay_refuses(
    sandbox: SandboxProvider, amount: int, currency: str, receipt: str
) -> None:
    with pytest.raises(PaymentProviderRejected) as caught:
        await sandbox.create_order(amount, currency, receipt, {})

    assert (caught.value.http_status, caught.value.code) == (400, "BAD_REQUEST_ERROR")


async def test_unknown_ids_are_rejected(sandbox: SandboxProvider) -> None:
    with pytest.raises(PaymentProviderRejected):
        await sandbox.fetch_order("order_Nope0000000000")
    with pytest.raises(PaymentProviderRejected):
        await sandbox.refund("pay_Nope0000000000")


async def test_refunds_in_part_then_in_full(sandbox: SandboxProvider) -> None:
    order = await sandbox.create_order(10_000, "INR", "cg_5", {})
    payment_id, _ = sandbox.pay(order.id)

    part = await sandbox.refund(payment_id, 4_000)
    [after_part] = await sandbox.fetch_order_payments(order.id)
    rest = await sandbox.refund(payment_id)
    [after_rest] = await sandbox.fetch_order_payments(order.id)

    assert (part.amount_paise, rest.amount_paise) == (4_000, 6_000)
    assert rest.status == "processed"
    assert after_part.status is ProviderPaymentStatus.CAPTURED
    assert after_rest.status is ProviderPaymentStatus.REFUNDED
    assert after_rest.amount_refunded_paise == 10_000
    with pytest.raises(PaymentProviderRejected):
        await sandbox.refund(payment_id)


async def test_refunds_keep_their_notes_and_are_listed_by_time(sandbox: SandboxProvider) -> None:
    order = await sandbox.create_order(10_000, "INR", "cg_6", {})
    payment_id, _ = sandbox.pay(order.id)

    refund = await sandbox.refund(payment_id, notes={"reason": "asked"})
    payment = await sandbox.fetch_payment(payment_id)

    assert refund.notes == {"reason": "asked"}
    assert (payment.order_id, payment.status) == (order.id, ProviderPaymentStatus.REFUNDED)
    assert await sandbox.list_refunds(FIXED_NOW, FIXED_NOW) == [refund]
    assert await sandbox.list_refunds(FIXED_NOW.replace(hour=11), FIXED_NOW.replace(hour=12)) == []


async def test_refunding_a_failed_payment_is_rejected(sandbox: SandboxProvider) -> None:
    order = await sandbox.create_order(10_000, "INR", "cg_6", {})
    with pytest.raises(PaymentProviderRejected):
        await sandbox.refund(sandbox.fail(order.id))


@pytest.mark.parametrize(
    ("event", "contains", "payment_status"),
    [
        ("payment.authorized", ["payment"], "authorized"),
        ("payment.captured", ["payment"], "captured"),
        ("order.paid", ["payment", "order"], "captured"),
        ("refund.processed", ["refund", "payment"], "refunded"),
    ],
)
async def test_webhook_bodies_are_shaped_and_signed_like_razorpays(
    sandbox: SandboxProvider, event: str, contains: list[str], payment_status: str
) -> None:
    order = await sandbox.create_order(10_000, "INR", "cg_7", {})
    payment_id, _ = sandbox.pay(order.id)
    if event == "refund.processed":
        await sandbox.refund(payment_id)

    raw_body, signature = sandbox.webhook_body(event, payment_id)

    assert verify_webhook_signature(raw_body, signature, SECRETS.webhook_secret)
    assert sandbox.verify_webhook(raw_body, signature)
    assert not sandbox.verify_webhook(raw_body.replace(b"10000", b"100"), signature)
    body = orjson.loads(raw_body)
    assert body["entity"] == "event"
    assert body["event"] == event
    assert body["contains"] == contains
    assert body["account_id"].startswith("acc_")
    assert body["created_at"] == int(FIXED_NOW.timestamp())
    payment = body["payload"]["payment"]["entity"]
    assert (payment["id"], payment["order_id"], payment["status"]) == (
        payment_id,
        order.id,
        payment_status,
    )
    read = read_webhook(raw_body)
    assert (read.event, read.order_id) == (event, order.id)
    assert read.payment is not None and read.payment.id == payment_id


async def test_payment_failed_webhook_carries_the_error(sandbox: SandboxProvider) -> None:
    order = await sandbox.create_order(10_000, "INR", "cg_8", {})
    payment_id = sandbox.fail(order.id)

    raw_body, signature = sandbox.webhook_body("payment.failed", payment_id)

    assert sandbox.verify_webhook(raw_body, signature)
    read = read_webhook(raw_body)
    assert read.payment is not None
    assert read.payment.status is ProviderPaymentStatus.FAILED
    assert read.payment.error_code == "BAD_REQUEST_ERROR"
    with pytest.raises(ValueError):
        sandbox.webhook_body("payment.captured", payment_id)


async def test_deliveries_carry_a_fresh_event_id_per_event(sandbox: SandboxProvider) -> None:
    order = await sandbox.create_order(10_000, "INR", "cg_9", {})
    payment_id, _ = sandbox.pay(order.id)

    first = sandbox.webhook_delivery("payment.captured", payment_id)
    second = sandbox.webhook_delivery("order.paid", payment_id)

    assert first.headers[EVENT_ID_HEADER] != second.headers[EVENT_ID_HEADER]
    assert sandbox.verify_webhook(first.raw_body, first.headers[SIGNATURE_HEADER])


async def test_unknown_webhook_events_are_refused(sandbox: SandboxProvider) -> None:
    order = await sandbox.create_order(10_000, "INR", "cg_10", {})
    payment_id, _ = sandbox.pay(order.id)
    with pytest.raises(ValueError):
        sandbox.webhook_body("invoice.paid", payment_id)


async def test_each_sandbox_draws_its_own_secrets() -> None:
    unconfigured = SandboxProvider()
    order = await unconfigured.create_order(10_000, "INR", "cg_11", {})
    payment_id, signature = unconfigured.pay(order.id)
    delivery = unconfigured.webhook_delivery("payment.captured", payment_id)

    assert unconfigured.key_id == SANDBOX_KEY_ID
    assert unconfigured.verify_payment(order.id, payment_id, signature)
    assert unconfigured.verify_webhook(delivery.raw_body, delivery.headers[SIGNATURE_HEADER])
    other = SandboxProvider()
    assert not other.verify_payment(order.id, payment_id, signature)
    assert not other.verify_webhook(delivery.raw_body, delivery.headers[SIGNATURE_HEADER])
    assert "secret" not in repr(SandboxSettings())
    assert "secret" not in repr(unconfigured)


async def test_the_environment_picks_the_provider() -> None:
    assert isinstance(payment_provider(_settings({})), SandboxProvider)
    razorpay = payment_provider(
        _settings(
            {"RAZORPAY_KEY_ID": "k", "RAZORPAY_KEY_SECRET": "s", "RAZORPAY_WEBHOOK_SECRET": "w"}
        )
    )
    assert isinstance(razorpay, RazorpayProvider)
    await razorpay.aclose()
    with pytest.raises(ValueError, match="RAZORPAY_KEY_SECRET, RAZORPAY_WEBHOOK_SECRET"):
        payment_provider(_settings({"RAZORPAY_KEY_ID": "rzp_live_only_the_id"}))
    with pytest.raises(ValueError, match="RAZORPAY_KEY_ID, RAZORPAY_KEY_SECRET"):
        payment_provider(_settings({"RAZORPAY_WEBHOOK_SECRET": "a-webhook-secret-alone"}))
