"""How long bought access lasts, and the receipts orders carry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.checkout.receipts import receipt_for
from domain.subscriptions.expiry import grant_expiry

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_a_new_grant_runs_from_now() -> None:
    assert grant_expiry(NOW, None, 30) == datetime(2026, 3, 31, 12, 0, tzinfo=UTC)


def test_extending_active_access_keeps_the_days_left() -> None:
    current = NOW + timedelta(days=10, hours=3)

    assert grant_expiry(NOW, current, 30) == current + timedelta(days=30)


def test_extending_expired_access_starts_from_now() -> None:
    assert grant_expiry(NOW, NOW - timedelta(days=90), 30) == NOW + timedelta(days=30)


def test_access_ending_exactly_now_is_extended_from_now() -> None:
    assert grant_expiry(NOW, NOW, 7) == NOW + timedelta(days=7)


@pytest.mark.parametrize("current", [None, NOW + timedelta(days=5), NOW - timedelta(days=5)])
def test_lifetime_courses_never_expire(current: datetime | None) -> None:
    assert grant_expiry(NOW, current, None) is None


@pytest.mark.parametrize("validity_days", [0, -30])
def test_non_positive_validity_is_refused(validity_days: int) -> None:
    with pytest.raises(ValueError):
        grant_expiry(NOW, None, validity_days)


def test_receipts_are_deterministic_per_attempt_key() -> None:
    assert receipt_for(42, 7, "key-1") == receipt_for(42, 7, "key-1")


@pytest.mark.parametrize(
    "other",
    [(43, 7, "key-1"), (42, 8, "key-1"), (42, 7, "key-2"), (4, 27, "key-1"), (427, 1, "key-1")],
)
def test_receipts_differ_for_any_other_attempt(other: tuple[int, int, str]) -> None:
    assert receipt_for(*other) != receipt_for(42, 7, "key-1")


def test_receipts_fit_razorpays_limit_whatever_the_inputs() -> None:
    receipts = {
        receipt_for(2**63 - 1, 2**63 - 1, "k" * 500),
        receipt_for(0, 0, "x"),
        receipt_for(1, 2, "ünïcødé-ключ"),
    }

    assert len(receipts) == 3
    assert all(len(receipt) <= 40 for receipt in receipts)
    assert all(receipt.isascii() for receipt in receipts)


def test_a_receipt_needs_an_attempt_key() -> None:
    with pytest.raises(ValueError):
        receipt_for(42, 7, "")
