"""Reconciler findings: provider payments turned into order events in a safe order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from datasources.payments.provider import ProviderPayment, ProviderPaymentStatus
from domain.checkout.findings import events_from_payments
from domain.checkout.order_state import EventSource

T0 = datetime(2026, 2, 1, tzinfo=UTC)


def _payment(
    payment_id: str, status: ProviderPaymentStatus, minute: int, refunded: int = 0
) -> ProviderPayment:
    return ProviderPayment(
        id=payment_id,
        order_id="order_X",
        amount_paise=10_000,
        currency="INR",
        status=status,
        created_at=T0 + timedelta(minutes=minute),
        amount_refunded_paise=refunded,
    )


def _kinds(payments: list[ProviderPayment]) -> list[tuple[str, str]]:
    return [(event.kind.value, event.payment_id) for event in events_from_payments(payments)]


def test_each_status_becomes_its_event() -> None:
    assert _kinds([_payment("pay_c", ProviderPaymentStatus.CREATED, 0)]) == []
    assert _kinds([_payment("pay_a", ProviderPaymentStatus.AUTHORIZED, 0)]) == [
        ("payment.authorized", "pay_a")
    ]
    assert _kinds([_payment("pay_f", ProviderPaymentStatus.FAILED, 0)]) == [
        ("payment.failed", "pay_f")
    ]
    assert _kinds([_payment("pay_k", ProviderPaymentStatus.CAPTURED, 0)]) == [
        ("payment.captured", "pay_k")
    ]
    assert _kinds([_payment("pay_r", ProviderPaymentStatus.REFUNDED, 0, refunded=10_000)]) == [
        ("refund.processed", "pay_r")
    ]


def test_a_partly_refunded_capture_reports_both() -> None:
    assert _kinds([_payment("pay_p", ProviderPaymentStatus.CAPTURED, 0, refunded=2_000)]) == [
        ("payment.captured", "pay_p"),
        ("refund.processed", "pay_p"),
    ]


def test_attempts_come_before_successes_before_refunds_whatever_the_listing_order() -> None:
    payments = [
        _payment("pay_late_refund", ProviderPaymentStatus.REFUNDED, 1, refunded=10_000),
        _payment("pay_capture", ProviderPaymentStatus.CAPTURED, 3),
        _payment("pay_failed_late", ProviderPaymentStatus.FAILED, 2),
        _payment("pay_failed_early", ProviderPaymentStatus.FAILED, 0),
    ]

    assert _kinds(payments) == [
        ("payment.failed", "pay_failed_early"),
        ("payment.failed", "pay_failed_late"),
        ("payment.captured", "pay_capture"),
        ("refund.processed", "pay_late_refund"),
    ]
    assert {e.source for e in events_from_payments(payments)} == {EventSource.RECONCILER}
