"""How long bought access lasts, and the receipts orders carry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.checkout.receipts import receipt_for
from domain.subscriptions.expiry import after_grant, validity_expiry
from records.subscriptions import Access

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_a_new_grant_runs_from_now() -> None:
    assert after_grant(None, NOW, 30) == Access(NOW, datetime(2026, 3, 31, 12, 0, tzinfo=UTC), 0)


def test_renewing_running_access_keeps_the_days_left_as_renewal_days() -> None:
    enrolled = NOW - timedelta(days=20)
    current = Access(enrolled, NOW + timedelta(days=10, hours=3), kept_days=5)

    renewed = after_grant(current, NOW, 30)

    assert current.expires_at is not None
    assert renewed == Access(enrolled, current.expires_at + timedelta(days=30), kept_days=35)


def test_the_derived_expiry_is_validity_plus_kept_days() -> None:
    enrolled = NOW - timedelta(days=3)
    assert validity_expiry(enrolled, 30, 0) == enrolled + timedelta(days=30)
    assert validity_expiry(enrolled, 60, 14) == enrolled + timedelta(days=74)
    assert validity_expiry(enrolled, None, 14) is None


def test_renewals_then_a_validity_change_keep_the_renewal() -> None:
    first = after_grant(None, NOW, 30)
    renewed = after_grant(first, NOW + timedelta(days=1), 30)
    assert renewed is not None
    assert renewed.expires_at == NOW + timedelta(days=60)
    assert validity_expiry(renewed.enrolled_at, 10, renewed.kept_days) == NOW + timedelta(days=40)


@pytest.mark.parametrize("current", [None, Access(NOW, NOW + timedelta(days=5), 2)])
def test_lifetime_courses_never_expire(current: Access | None) -> None:
    granted = after_grant(current, NOW, None)
    assert granted is not None and granted.expires_at is None


def test_lifetime_access_stays_as_it_is() -> None:
    assert after_grant(Access(NOW, None), NOW, 30) is None


@pytest.mark.parametrize("validity_days", [0, -30])
def test_non_positive_validity_is_refused(validity_days: int) -> None:
    with pytest.raises(ValueError):
        after_grant(None, NOW, validity_days)


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
