"""The Razorpay adapter, through the real `razorpay` package, against the local API stand-in."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import logging
import socket
import time
import traceback
from datetime import UTC, datetime, timedelta

import pytest

from datasources.payments import razorpay_provider
from datasources.payments.factory import razorpay_settings
from datasources.payments.provider import (
    PaymentProviderError,
    PaymentProviderRejected,
    PaymentProviderUnavailable,
    ProviderOrderStatus,
    ProviderPaymentStatus,
)
from datasources.payments.razorpay_provider import RazorpayProvider, RazorpaySettings
from datasources.payments.signatures import payment_signature, webhook_signature
from settings import Settings
from tests.payments.stand_in_credentials import KEY_ID, KEY_SECRET, WEBHOOK_SECRET
from tests.stand_ins.razorpay_api import RazorpayApiStandIn


async def test_create_order_sends_amount_currency_receipt_notes_with_basic_auth(
    razorpay: RazorpayProvider, razorpay_api: RazorpayApiStandIn
) -> None:
    order = await razorpay.create_order(49_900, "INR", "cg_receipt_1", {"user_id": "42"})

    [seen] = razorpay_api.seen_requests()
    assert (seen.method, seen.path) == ("POST", "/v1/orders")
    assert seen.basic_auth == (KEY_ID, KEY_SECRET)
    assert seen.content_type == "application/json"
    assert seen.body == {
        "amount": 49_900,
        "currency": "INR",
        "receipt": "cg_receipt_1",
        "notes": {"user_id": "42"},
    }
    assert order.id.startswith("order_")
    assert (order.amount_paise, order.currency, order.receipt) == (49_900, "INR", "cg_receipt_1")
    assert order.status is ProviderOrderStatus.CREATED
    assert order.notes == {"user_id": "42"}


async def test_fetch_order_reads_razorpays_empty_notes_list(
    razorpay: RazorpayProvider, razorpay_api: RazorpayApiStandIn
) -> None:
    created = await razorpay.create_order(10_000, "INR", "cg_receipt_2", {})

    fetched = await razorpay.fetch_order(created.id)

    assert fetched == created
    assert fetched.notes == {}
    assert razorpay_api.seen_requests()[-1].path == f"/v1/orders/{created.id}"


async def test_fetch_order_payments_reads_every_attempt(
    razorpay: RazorpayProvider, razorpay_api: RazorpayApiStandIn
) -> None:
    order = await razorpay.create_order(10_000, "INR", "cg_receipt_3", {})
    failed = razorpay_api.inject_payment(order.id, status="failed")
    captured = razorpay_api.inject_payment(order.id, status="captured")

    payments = {payment.id: payment for payment in await razorpay.fetch_order_payments(order.id)}

    assert payments.keys() == {failed["id"], captured["id"]}
    assert payments[failed["id"]].status is ProviderPaymentStatus.FAILED
    assert payments[failed["id"]].error_code == "BAD_REQUEST_ERROR"
    assert payments[captured["id"]].status is ProviderPaymentStatus.CAPTURED
    assert payments[captured["id"]].order_id == order.id
    assert payments[captured["id"]].amount_paise == 10_000
    assert (await razorpay.fetch_order(order.id)).status is ProviderOrderStatus.PAID


async def test_refund_in_full_sends_no_amount_and_part_refund_sends_it(
    razorpay: RazorpayProvider, razorpay_api: RazorpayApiStandIn
) -> None:
    order = await razorpay.create_order(10_000, "INR", "cg_receipt_4", {})
    payment_id = razorpay_api.inject_payment(order.id)["id"]

    part = await razorpay.refund(payment_id, 2_500)
    rest = await razorpay.refund(payment_id)

    refund_bodies = [s.body for s in razorpay_api.seen_requests() if s.path.endswith("/refund")]
    assert refund_bodies == [{"amount": 2_500}, {}]
    assert (part.payment_id, part.amount_paise, part.status) == (payment_id, 2_500, "processed")
    assert rest.amount_paise == 7_500
    [payment] = await razorpay.fetch_order_payments(order.id)
    assert payment.status is ProviderPaymentStatus.REFUNDED
    assert payment.amount_refunded_paise == 10_000


async def test_refunds_are_listed_across_pages_oldest_first_with_their_notes(
    razorpay: RazorpayProvider, razorpay_api: RazorpayApiStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(razorpay_provider, "REFUND_PAGE_SIZE", 2)
    made = []
    for number in range(5):
        order = await razorpay.create_order(10_000, "INR", f"cg_receipt_l{number}", {})
        payment_id = razorpay_api.inject_payment(order.id)["id"]
        made.append(await razorpay.refund(payment_id, notes={"reason": f"number {number}"}))
    now = datetime.now(UTC)

    listed = await razorpay.list_refunds(now - timedelta(hours=1), now + timedelta(seconds=1))

    assert sorted(refund.id for refund in listed) == sorted(refund.id for refund in made)
    assert [refund.created_at for refund in listed] == sorted(r.created_at for r in listed)
    assert {refund.notes["reason"] for refund in listed} == {f"number {n}" for n in range(5)}
    pages = [s for s in razorpay_api.seen_requests() if s.path == "/v1/refunds"]
    assert len(pages) == 3  # 2 + 2 + 1
    later = await razorpay.list_refunds(now + timedelta(hours=1), now + timedelta(hours=2))
    assert later == []


async def test_fetch_payment_reads_its_order_and_refunded_amount(
    razorpay: RazorpayProvider, razorpay_api: RazorpayApiStandIn
) -> None:
    order = await razorpay.create_order(10_000, "INR", "cg_receipt_f", {})
    payment_id = razorpay_api.inject_payment(order.id)["id"]
    await razorpay.refund(payment_id, 4_000)

    payment = await razorpay.fetch_payment(payment_id)

    assert (payment.order_id, payment.amount_refunded_paise) == (order.id, 4_000)
    assert payment.status is ProviderPaymentStatus.CAPTURED
    with pytest.raises(ValueError, match="malformed"):
        await razorpay.fetch_payment("pay_x/../../orders")


@pytest.mark.parametrize(
    ("amount", "receipt", "field"),
    [(99, "cg_receipt_5", "amount"), (10_000, "r" * 41, "receipt")],
)
async def test_validation_errors_map_to_rejected_with_razorpays_code(
    razorpay: RazorpayProvider, amount: int, receipt: str, field: str
) -> None:
    with pytest.raises(PaymentProviderRejected) as caught:
        await razorpay.create_order(amount, "INR", receipt, {})

    assert caught.value.http_status == 400
    assert caught.value.code == "BAD_REQUEST_ERROR"
    assert field in caught.value.description


async def test_unknown_order_maps_to_rejected(razorpay: RazorpayProvider) -> None:
    with pytest.raises(PaymentProviderRejected) as caught:
        await razorpay.fetch_order("order_DoesNotExist01")

    assert caught.value.http_status == 400
    assert "does not exist" in caught.value.description


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_map_to_unavailable_and_count_down(
    razorpay: RazorpayProvider, razorpay_api: RazorpayApiStandIn, status: int
) -> None:
    razorpay_api.fail_next(1, status=status)

    with pytest.raises(PaymentProviderUnavailable, match=str(status)):
        await razorpay.create_order(10_000, "INR", "cg_receipt_6", {})
    order = await razorpay.create_order(10_000, "INR", "cg_receipt_6", {})

    assert order.amount_paise == 10_000


async def test_an_answer_slower_than_the_read_timeout_is_unavailable_promptly(
    razorpay: RazorpayProvider, razorpay_api: RazorpayApiStandIn
) -> None:
    razorpay_api.delay_answers(30)
    started = time.monotonic()

    with pytest.raises(PaymentProviderUnavailable, match="timed out"):
        await razorpay.fetch_order_payments("order_Slow0000000001")

    assert time.monotonic() - started < 2.0  # read timeout 0.5 s


async def test_the_deadline_also_covers_waiting_for_a_free_worker(
    razorpay_settings: RazorpaySettings, razorpay_api: RazorpayApiStandIn
) -> None:
    settings = dataclasses.replace(
        razorpay_settings, read_timeout_seconds=20, deadline_seconds=0.5, max_workers=1
    )
    provider = RazorpayProvider(settings)
    razorpay_api.delay_answers(30)
    started = time.monotonic()
    try:
        outcomes = await asyncio.gather(
            provider.fetch_order("order_Slow0000000001"),
            provider.fetch_order("order_Slow0000000002"),
            return_exceptions=True,
        )
        elapsed = time.monotonic() - started
    finally:
        razorpay_api.reset()  # lets the held request finish so the worker can stop
        await provider.aclose()

    assert all(isinstance(outcome, PaymentProviderUnavailable) for outcome in outcomes)
    assert elapsed < 2.0


async def test_a_closed_port_is_unavailable(razorpay_settings: RazorpaySettings) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    provider = RazorpayProvider(
        dataclasses.replace(razorpay_settings, base_url=f"http://127.0.0.1:{closed_port}")
    )
    try:
        with pytest.raises(PaymentProviderUnavailable, match="connection failed"):
            await provider.fetch_order("order_Unreachable001")
    finally:
        await provider.aclose()


async def test_calls_do_not_block_the_event_loop(
    razorpay: RazorpayProvider, razorpay_api: RazorpayApiStandIn
) -> None:
    razorpay_api.delay_answers(0.3)
    call = asyncio.create_task(razorpay.create_order(10_000, "INR", "cg_receipt_7", {}))
    other_work = asyncio.create_task(asyncio.sleep(0.05))

    done, _ = await asyncio.wait({call, other_work}, return_when=asyncio.FIRST_COMPLETED)

    assert done == {other_work}
    assert (await call).amount_paise == 10_000


async def test_malformed_ids_are_refused_before_anything_is_sent(
    razorpay: RazorpayProvider, razorpay_api: RazorpayApiStandIn
) -> None:
    for bad_id in ("../orders", "order_1?expand=x", "", "order 1"):
        with pytest.raises(ValueError):
            await razorpay.fetch_order(bad_id)
        with pytest.raises(ValueError):
            await razorpay.refund(bad_id)

    assert razorpay_api.seen_requests() == []


async def test_wrong_credentials_are_rejected_and_no_secret_leaks(
    razorpay_settings: RazorpaySettings,
    razorpay_api: RazorpayApiStandIn,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    wrong_secret = "wrong-key-secret-Hq82Ld0s"
    settings = dataclasses.replace(razorpay_settings, key_secret=wrong_secret)
    provider = RazorpayProvider(settings)
    caplog.set_level(logging.DEBUG)
    try:
        with pytest.raises(PaymentProviderRejected) as caught:
            await provider.create_order(10_000, "INR", "cg_receipt_8", {})
    finally:
        await provider.aclose()

    assert caught.value.http_status == 401
    assert caught.value.code == "BAD_REQUEST_ERROR"
    assert razorpay_api.seen_requests()[0].basic_auth == (KEY_ID, wrong_secret)
    _assert_no_secret_in(
        [wrong_secret, settings.webhook_secret, _basic_token(KEY_ID, wrong_secret)],
        str(caught.value),
        repr(caught.value),
        "".join(traceback.format_exception(caught.value)),
        caplog.text,
        capsys.readouterr().out,
        repr(provider),
        repr(settings),
    )


@pytest.mark.parametrize("failure", ["server_error", "timeout", "validation"])
async def test_no_secret_in_any_failure(
    razorpay: RazorpayProvider,
    razorpay_settings: RazorpaySettings,
    razorpay_api: RazorpayApiStandIn,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    failure: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    amount = 10_000
    if failure == "server_error":
        razorpay_api.fail_next(1)
    elif failure == "timeout":
        razorpay_api.delay_answers(30)
    else:
        amount = 1

    with pytest.raises(PaymentProviderError) as caught:
        await razorpay.create_order(amount, "INR", "cg_receipt_9", {})

    _assert_no_secret_in(
        [KEY_SECRET, WEBHOOK_SECRET, _basic_token(KEY_ID, KEY_SECRET)],
        str(caught.value),
        repr(caught.value),
        "".join(traceback.format_exception(caught.value)),
        caplog.text,
        capsys.readouterr().out,
        repr(razorpay),
        repr(razorpay_settings),
    )


def test_rejected_descriptions_are_redacted(razorpay_settings: RazorpaySettings) -> None:
    provider = RazorpayProvider(razorpay_settings)
    echoed = f"bad key {KEY_SECRET} / {_basic_token(KEY_ID, KEY_SECRET)} / {WEBHOOK_SECRET}"

    redacted = provider._redact(echoed)

    assert KEY_SECRET not in redacted
    assert WEBHOOK_SECRET not in redacted
    assert _basic_token(KEY_ID, KEY_SECRET) not in redacted


def test_verification_uses_the_key_secret_for_payments_and_the_webhook_secret_for_webhooks(
    razorpay_settings: RazorpaySettings,
) -> None:
    provider = RazorpayProvider(razorpay_settings)
    body = b'{"entity":"event"}'

    assert provider.verify_payment(
        "order_A", "pay_B", payment_signature("order_A", "pay_B", KEY_SECRET)
    )
    assert not provider.verify_payment(
        "order_A", "pay_B", payment_signature("order_A", "pay_B", WEBHOOK_SECRET)
    )
    assert provider.verify_webhook(body, webhook_signature(body, WEBHOOK_SECRET))
    assert not provider.verify_webhook(body, webhook_signature(body, KEY_SECRET))
    assert not provider.verify_webhook(body, None)


def _razorpay_settings_from(env: dict[str, str]) -> RazorpaySettings:
    return razorpay_settings(Settings.from_env({"COURSEGATE_JWT_SECRET": "x" * 32, **env}))


def test_settings_from_env_reads_razorpays_names() -> None:
    settings = _razorpay_settings_from(
        {
            "RAZORPAY_KEY_ID": "rzp_live_X",
            "RAZORPAY_KEY_SECRET": "s3cret-key",
            "RAZORPAY_WEBHOOK_SECRET": "s3cret-hook",
            "RAZORPAY_BASE_URL": "http://127.0.0.1:9999/",
        }
    )

    assert settings.key_id == "rzp_live_X"
    assert settings.key_secret == "s3cret-key"
    assert settings.webhook_secret == "s3cret-hook"
    assert settings.base_url == "http://127.0.0.1:9999"
    assert "s3cret" not in repr(settings)
    assert (
        _razorpay_settings_from(
            {"RAZORPAY_KEY_ID": "k", "RAZORPAY_KEY_SECRET": "s", "RAZORPAY_WEBHOOK_SECRET": "w"}
        ).base_url
        == "https://api.razorpay.com"
    )


def test_settings_from_env_names_what_is_missing_without_echoing_values() -> None:
    with pytest.raises(ValueError, match="RAZORPAY_WEBHOOK_SECRET") as caught:
        _razorpay_settings_from({"RAZORPAY_KEY_ID": "k", "RAZORPAY_KEY_SECRET": "s3cret-key"})

    assert "s3cret-key" not in str(caught.value)


def _basic_token(key_id: str, key_secret: str) -> str:
    return base64.b64encode(f"{key_id}:{key_secret}".encode()).decode()


def _assert_no_secret_in(secrets: list[str], *texts: str) -> None:
    for text in texts:
        for secret in secrets:
            assert secret not in text
