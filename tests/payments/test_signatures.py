"""Razorpay signatures against vectors computed once outside this code (openssl dgst -hmac)."""

from __future__ import annotations

from typing import Any

import pytest

from datasources.payments.signatures import (
    payment_signature,
    verify_payment_signature,
    verify_webhook_signature,
    webhook_signature,
)

ORDER_ID = "order_IEIaMR65cu6nz3"
PAYMENT_ID = "pay_IH4NVgf4Dreq1l"
KEY_SECRET = "EnLs21M47BllR3X8PSFtjtbd"
# printf '%s' 'order_IEIaMR65cu6nz3|pay_IH4NVgf4Dreq1l' | openssl dgst -sha256 -hmac <KEY_SECRET>
PAYMENT_SIGNATURE = "0d4e745a1838664ad6c9c9902212a32d627d68e917290b0ad5f08ff4561bc50f"

WEBHOOK_BODY = b'{"entity":"event","event":"payment.captured"}'
WEBHOOK_SECRET = "whsec_local_test"
# printf '%s' '{"entity":"event","event":"payment.captured"}' | openssl dgst -sha256 -hmac <SECRET>
WEBHOOK_SIGNATURE = "f2f272f1f15c4da9139f806d44012686d54a22b8792117688a16bb5ba8b3b537"


def test_payment_signature_matches_razorpays_definition() -> None:
    assert payment_signature(ORDER_ID, PAYMENT_ID, KEY_SECRET) == PAYMENT_SIGNATURE


def test_verify_payment_signature_accepts_the_genuine_signature() -> None:
    assert verify_payment_signature(ORDER_ID, PAYMENT_ID, PAYMENT_SIGNATURE, KEY_SECRET)
    assert verify_payment_signature(ORDER_ID, PAYMENT_ID, PAYMENT_SIGNATURE.upper(), KEY_SECRET)


@pytest.mark.parametrize(
    ("order_id", "payment_id", "signature", "key_secret"),
    [
        ("order_IEIaMR65cu6nz4", PAYMENT_ID, PAYMENT_SIGNATURE, KEY_SECRET),
        (ORDER_ID, "pay_IH4NVgf4Dreq1m", PAYMENT_SIGNATURE, KEY_SECRET),
        (ORDER_ID, PAYMENT_ID, PAYMENT_SIGNATURE, "another-secret"),
        (ORDER_ID, PAYMENT_ID, PAYMENT_SIGNATURE, ""),
        # the order and payment swapped still hash a different message
        (PAYMENT_ID, ORDER_ID, PAYMENT_SIGNATURE, KEY_SECRET),
        (ORDER_ID, PAYMENT_ID, PAYMENT_SIGNATURE[:-1] + "0", KEY_SECRET),
        (ORDER_ID, PAYMENT_ID, None, KEY_SECRET),
        (ORDER_ID, PAYMENT_ID, "", KEY_SECRET),
        (ORDER_ID, PAYMENT_ID, PAYMENT_SIGNATURE[:-2], KEY_SECRET),
        (ORDER_ID, PAYMENT_ID, "zz" + PAYMENT_SIGNATURE[2:], KEY_SECRET),
        (ORDER_ID, PAYMENT_ID, "é" * 64, KEY_SECRET),
    ],
)
def test_verify_payment_signature_refuses_anything_else(
    order_id: str, payment_id: str, signature: str | None, key_secret: str
) -> None:
    assert verify_payment_signature(order_id, payment_id, signature, key_secret) is False


def test_webhook_signature_matches_razorpays_definition() -> None:
    assert webhook_signature(WEBHOOK_BODY, WEBHOOK_SECRET) == WEBHOOK_SIGNATURE


def test_verify_webhook_signature_accepts_the_genuine_header() -> None:
    assert verify_webhook_signature(WEBHOOK_BODY, WEBHOOK_SIGNATURE, WEBHOOK_SECRET)


@pytest.mark.parametrize(
    ("raw_body", "header"),
    [
        pytest.param(
            WEBHOOK_BODY.replace(b"captured", b"failed"), WEBHOOK_SIGNATURE, id="tampered"
        ),
        pytest.param(WEBHOOK_BODY + b"\n", WEBHOOK_SIGNATURE, id="trailing-newline"),
        pytest.param(WEBHOOK_BODY.replace(b":", b": "), WEBHOOK_SIGNATURE, id="re-serialised"),
        pytest.param(WEBHOOK_BODY, None, id="missing-header"),
        pytest.param(WEBHOOK_BODY, "", id="empty-header"),
        pytest.param(WEBHOOK_BODY, WEBHOOK_SIGNATURE[:32], id="wrong-length"),
        pytest.param(WEBHOOK_BODY, WEBHOOK_SIGNATURE + "00", id="too-long"),
        pytest.param(WEBHOOK_BODY, "g" * 64, id="non-hex"),
        pytest.param(WEBHOOK_BODY, " " + WEBHOOK_SIGNATURE[1:], id="space"),
        pytest.param(WEBHOOK_BODY, "\u0661" * 64, id="non-ascii-digits"),
        pytest.param(WEBHOOK_BODY, f"sha256={WEBHOOK_SIGNATURE}", id="prefixed"),
    ],
)
def test_verify_webhook_signature_refuses_without_raising(
    raw_body: bytes, header: str | None
) -> None:
    assert verify_webhook_signature(raw_body, header, WEBHOOK_SECRET) is False


def test_verify_webhook_signature_fails_closed_on_an_empty_secret() -> None:
    assert verify_webhook_signature(WEBHOOK_BODY, WEBHOOK_SIGNATURE, "") is False


def test_verify_webhook_signature_refuses_a_decoded_body() -> None:
    # The signature covers bytes; a caller that decoded the body first has lost them.
    decoded: Any = WEBHOOK_BODY.decode()

    assert verify_webhook_signature(decoded, WEBHOOK_SIGNATURE, WEBHOOK_SECRET) is False


def test_signing_with_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        webhook_signature(WEBHOOK_BODY, "")
    with pytest.raises(ValueError):
        payment_signature(ORDER_ID, PAYMENT_ID, "")
