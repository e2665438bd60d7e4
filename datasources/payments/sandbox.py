"""The embedded default's payment provider: a local, in-memory stand-in for Razorpay.

It is not Razorpay and moves no money. It keeps Razorpay-shaped entities in memory, signs Checkout
results and webhook bodies exactly as Razorpay does (HMAC-SHA256 over the same fields), and offers
the controls a real customer would drive through Checkout: `pay`, `fail`, and the webhook
deliveries that Razorpay would send afterwards.

Its key secret and webhook secret are drawn at random for each provider unless given: its orders
live in this process's memory only, so no other process ever needs to sign for them, and no
secret that appears in the source can sign a payment it accepts.
"""

from __future__ import annotations

import copy
import secrets
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

import orjson

from datasources.payments.entities import (
    order_from_entity,
    payment_from_entity,
    refund_from_entity,
)
from datasources.payments.provider import (
    PaymentProviderRejected,
    ProviderOrder,
    ProviderPayment,
    ProviderRefund,
)
from datasources.payments.signatures import (
    payment_signature,
    verify_payment_signature,
    verify_webhook_signature,
    webhook_signature,
)
from datasources.payments.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER

SANDBOX_KEY_ID = "rzp_test_sandbox"
SANDBOX_ACCOUNT_ID = "acc_Sandbox0Local0"
_ID_ALPHABET = string.ascii_letters + string.digits
_MAX_RECEIPT_CHARS = 40
_MAX_NOTES = 15
WEBHOOK_EVENTS = (
    "payment.authorized",
    "payment.captured",
    "payment.failed",
    "order.paid",
    "refund.processed",
)

Entity = dict[str, object]


@dataclass(frozen=True, slots=True)
class SandboxSettings:
    key_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    webhook_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    key_id: str = SANDBOX_KEY_ID


class WebhookDelivery(NamedTuple):
    raw_body: bytes
    headers: dict[str, str]  # the signature and event id headers Razorpay sends


class SandboxProvider:
    def __init__(
        self,
        settings: SandboxSettings | None = None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._settings = settings or SandboxSettings()
        self._clock = clock
        self._orders: dict[str, Entity] = {}
        self._payments: dict[str, Entity] = {}
        self._refunds: dict[str, Entity] = {}

    def __repr__(self) -> str:
        return f"SandboxProvider(key_id={self._settings.key_id!r}, orders={len(self._orders)})"

    @property
    def key_id(self) -> str:
        return self._settings.key_id

    async def create_order(
        self, amount_paise: int, currency: str, receipt: str, notes: Mapping[str, str]
    ) -> ProviderOrder:
        # The same validations Razorpay answers with 400 BAD_REQUEST_ERROR.
        if not isinstance(amount_paise, int) or amount_paise < 100:
            raise _bad_request("The amount must be atleast INR 1.00")
        if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
            raise _bad_request("The currency provided is invalid")
        if len(receipt) > _MAX_RECEIPT_CHARS:
            raise _bad_request("The receipt may not be greater than 40 characters.")
        if len(notes) > _MAX_NOTES:
            raise _bad_request("Number of fields in notes should be less than or equal to 15")
        order_id = _new_id("order")
        self._orders[order_id] = {
            "id": order_id,
            "entity": "order",
            "amount": amount_paise,
            "amount_paid": 0,
            "amount_due": amount_paise,
            "currency": currency,
            "receipt": receipt,
            "offer_id": None,
            "status": "created",
            "attempts": 0,
            "notes": dict(notes) or [],  # Razorpay's empty notes are []
            "created_at": self._now(),
        }
        return order_from_entity(self._orders[order_id])

    async def fetch_order(self, order_id: str) -> ProviderOrder:
        return order_from_entity(self._order(order_id))

    async def fetch_order_payments(self, order_id: str) -> list[ProviderPayment]:
        self._order(order_id)
        return [
            payment_from_entity(payment)
            for payment in self._payments.values()
            if payment["order_id"] == order_id
        ]

    async def fetch_payment(self, payment_id: str) -> ProviderPayment:
        return payment_from_entity(self._payment(payment_id))

    async def refund(
        self,
        payment_id: str,
        amount_paise: int | None = None,
        notes: Mapping[str, str] | None = None,
    ) -> ProviderRefund:
        payment = self._payment(payment_id)
        if payment["status"] not in ("captured", "refunded"):
            raise _bad_request("The payment has not been captured")
        remaining = _as_int(payment["amount"]) - _as_int(payment["amount_refunded"])
        amount = remaining if amount_paise is None else amount_paise
        if remaining == 0:
            raise _bad_request("The payment has been fully refunded already")
        if amount < 100:
            raise _bad_request("The amount must be atleast INR 1.00")
        if amount > remaining:
            raise _bad_request("The refund amount provided is greater than amount captured")
        if notes is not None and len(notes) > _MAX_NOTES:
            raise _bad_request("Number of fields in notes should be less than or equal to 15")
        refund_id = _new_id("rfnd")
        self._refunds[refund_id] = {
            "id": refund_id,
            "entity": "refund",
            "amount": amount,
            "currency": payment["currency"],
            "payment_id": payment_id,
            "notes": dict(notes or {}) or [],
            "receipt": None,
            "status": "processed",  # the sandbox settles refunds at once
            "speed_processed": "normal",
            "speed_requested": "normal",
            "created_at": self._now(),
        }
        payment["amount_refunded"] = _as_int(payment["amount_refunded"]) + amount
        fully_refunded = payment["amount_refunded"] == payment["amount"]
        payment["refund_status"] = "full" if fully_refunded else "partial"
        if fully_refunded:
            payment["status"] = "refunded"
        return refund_from_entity(self._refunds[refund_id])

    async def list_refunds(
        self, created_from: datetime, created_until: datetime
    ) -> list[ProviderRefund]:
        window = (int(created_from.timestamp()), int(created_until.timestamp()))
        made = [
            r for r in self._refunds.values() if window[0] <= _as_int(r["created_at"]) <= window[1]
        ]
        return [refund_from_entity(refund) for refund in made]  # kept in creation order

    def verify_payment(self, order_id: str, payment_id: str, signature: str | None) -> bool:
        return verify_payment_signature(order_id, payment_id, signature, self._settings.key_secret)

    def verify_webhook(self, raw_body: bytes, signature_header: str | None) -> bool:
        return verify_webhook_signature(raw_body, signature_header, self._settings.webhook_secret)

    async def aclose(self) -> None:
        return None

    def pay(self, order_id: str) -> tuple[str, str]:
        """A successful Checkout: a captured payment, and the (payment id, signature) it returns."""
        order = self._order(order_id)
        if order["status"] == "paid":
            raise _bad_request("Order has already been paid")
        payment_id = self._add_payment(order, status="captured")
        order["amount_paid"] = order["amount"]
        order["amount_due"] = 0
        order["status"] = "paid"
        return payment_id, payment_signature(order_id, payment_id, self._settings.key_secret)

    def fail(self, order_id: str) -> str:
        """A failed Checkout attempt; the order stays open for another attempt."""
        order = self._order(order_id)
        if order["status"] == "paid":
            raise _bad_request("Order has already been paid")
        payment_id = self._add_payment(order, status="failed")
        order["status"] = "attempted"
        return payment_id

    def webhook_body(
        self, event: str, payment_id: str, *, refund_id: str | None = None
    ) -> tuple[bytes, str]:
        """The raw body and `X-Razorpay-Signature` Razorpay would send for `event`."""
        delivery = self.webhook_delivery(event, payment_id, refund_id=refund_id)
        return delivery.raw_body, delivery.headers[SIGNATURE_HEADER]

    def webhook_delivery(
        self, event: str, payment_id: str, *, refund_id: str | None = None
    ) -> WebhookDelivery:
        """As `webhook_body`, with every header of the delivery (a fresh event id each time)."""
        payload = self._webhook_payload(event, payment_id, refund_id)
        raw_body = orjson.dumps(
            {
                "entity": "event",
                "account_id": SANDBOX_ACCOUNT_ID,
                "event": event,
                "contains": list(payload),
                "payload": payload,
                "created_at": self._now(),
            }
        )
        headers = {
            SIGNATURE_HEADER: webhook_signature(raw_body, self._settings.webhook_secret),
            EVENT_ID_HEADER: _new_id("evt"),
        }
        return WebhookDelivery(raw_body, headers)

    def _webhook_payload(
        self, event: str, payment_id: str, refund_id: str | None
    ) -> dict[str, dict[str, Entity]]:
        payment = self._payment(payment_id)
        failed = payment["status"] == "failed"
        if event == "payment.failed":
            if not failed:
                raise ValueError(f"{payment_id} did not fail")
            return {"payment": {"entity": copy.deepcopy(payment)}}
        if failed:
            raise ValueError(f"{payment_id} failed; only payment.failed fits it")
        if event == "payment.authorized":
            return {"payment": {"entity": _as_of(payment, "authorized")}}
        if event == "payment.captured":
            return {"payment": {"entity": _as_of(payment, "captured")}}
        if event == "order.paid":
            order = self._order(str(payment["order_id"]))
            return {
                "payment": {"entity": _as_of(payment, "captured")},
                "order": {"entity": copy.deepcopy(order)},
            }
        if event == "refund.processed":
            refund = self._refund_of(payment_id, refund_id)
            return {
                "refund": {"entity": copy.deepcopy(refund)},
                "payment": {"entity": copy.deepcopy(payment)},
            }
        raise ValueError(f"the sandbox sends only {', '.join(WEBHOOK_EVENTS)}, not {event!r}")

    def _add_payment(self, order: Entity, *, status: str) -> str:
        payment_id = _new_id("pay")
        failed = status == "failed"
        self._payments[payment_id] = {
            "id": payment_id,
            "entity": "payment",
            "amount": order["amount"],
            "currency": order["currency"],
            "status": status,
            "order_id": order["id"],
            "invoice_id": None,
            "international": False,
            "method": "upi",
            "amount_refunded": 0,
            "refund_status": None,
            "captured": status == "captured",
            "description": "Sandbox payment",
            "email": "sandbox@example.invalid",
            "contact": "+910000000000",
            "notes": [],
            "error_code": "BAD_REQUEST_ERROR" if failed else None,
            "error_description": "Payment was declined by the sandbox" if failed else None,
            "error_source": "customer" if failed else None,
            "error_step": "payment_authorization" if failed else None,
            "error_reason": "payment_failed" if failed else None,
            "created_at": self._now(),
        }
        order["attempts"] = _as_int(order["attempts"]) + 1
        return payment_id

    def _order(self, order_id: str) -> Entity:
        order = self._orders.get(order_id)
        if order is None:
            raise _bad_request("The id provided does not exist")
        return order

    def _payment(self, payment_id: str) -> Entity:
        payment = self._payments.get(payment_id)
        if payment is None:
            raise _bad_request("The id provided does not exist")
        return payment

    def _refund_of(self, payment_id: str, refund_id: str | None) -> Entity:
        refunds = [r for r in self._refunds.values() if r["payment_id"] == payment_id]
        if refund_id is not None:
            refunds = [r for r in refunds if r["id"] == refund_id]
        if not refunds:
            raise ValueError(f"{payment_id} has no such refund")
        return refunds[-1]

    def _now(self) -> int:
        return int(self._clock().timestamp())


def _as_of(payment: Entity, status: str) -> Entity:
    """The payment entity as the event for `status` showed it, before any later refund."""
    return {
        **copy.deepcopy(payment),
        "status": status,
        "captured": status == "captured",
        "amount_refunded": 0,
        "refund_status": None,
    }


def _new_id(prefix: str) -> str:
    return f"{prefix}_" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(14))


def _as_int(value: object) -> int:
    assert isinstance(value, int)
    return value


def _bad_request(description: str) -> PaymentProviderRejected:
    return PaymentProviderRejected(400, "BAD_REQUEST_ERROR", description)
