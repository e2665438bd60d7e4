"""The contract every payment provider meets: its records, its errors and its interface.

Amounts are integer paise (the smallest currency unit), as Razorpay counts them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


class ProviderOrderStatus(enum.StrEnum):
    CREATED = "created"
    ATTEMPTED = "attempted"
    PAID = "paid"


class ProviderPaymentStatus(enum.StrEnum):
    CREATED = "created"
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    FAILED = "failed"
    REFUNDED = "refunded"


@dataclass(frozen=True, slots=True)
class ProviderOrder:
    id: str
    amount_paise: int
    currency: str
    receipt: str | None
    status: ProviderOrderStatus
    notes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ProviderPayment:
    id: str
    order_id: str | None
    amount_paise: int
    currency: str
    status: ProviderPaymentStatus
    created_at: datetime
    amount_refunded_paise: int = 0
    error_code: str | None = None  # set on failed payments
    error_description: str | None = None


@dataclass(frozen=True, slots=True)
class ProviderRefund:
    id: str
    payment_id: str
    amount_paise: int
    currency: str
    status: str  # pending | processed | failed
    created_at: datetime
    notes: Mapping[str, str] = field(default_factory=dict)


class PaymentProviderError(Exception):
    """Base of every provider failure; messages never carry key or webhook secrets."""


class PaymentProviderUnavailable(PaymentProviderError):
    """Timeout, connection failure or a 5xx: the request may or may not have taken effect."""


class PaymentProviderRejected(PaymentProviderError):
    """A 4xx: the provider understood the request and refused it; retrying the same will fail."""

    def __init__(self, http_status: int, code: str, description: str) -> None:
        super().__init__(
            f"payment provider rejected the request ({http_status} {code}): {description}"
        )
        self.http_status = http_status
        self.code = code
        self.description = description


class PaymentProvider(Protocol):
    @property
    def key_id(self) -> str:
        """The public key id the browser's Checkout needs; never the secret."""
        ...

    async def create_order(
        self, amount_paise: int, currency: str, receipt: str, notes: Mapping[str, str]
    ) -> ProviderOrder: ...

    async def fetch_order(self, order_id: str) -> ProviderOrder: ...

    async def fetch_order_payments(self, order_id: str) -> list[ProviderPayment]: ...

    async def fetch_payment(self, payment_id: str) -> ProviderPayment: ...

    async def refund(
        self,
        payment_id: str,
        amount_paise: int | None = None,
        notes: Mapping[str, str] | None = None,
    ) -> ProviderRefund:
        """Refund `amount_paise` of a captured payment, or all of it when None; `notes` are
        kept on the provider's refund (Razorpay: at most 15, values up to 256 characters)."""
        ...

    async def list_refunds(
        self, created_from: datetime, created_until: datetime
    ) -> list[ProviderRefund]:
        """Every refund created in [from, until], however it was made (the gateway, the
        provider's dashboard, its API), oldest first."""
        ...

    def verify_payment(self, order_id: str, payment_id: str, signature: str | None) -> bool: ...

    def verify_webhook(self, raw_body: bytes, signature_header: str | None) -> bool: ...

    async def aclose(self) -> None: ...
