"""Razorpay through the official `razorpay` package.

The package is synchronous (requests underneath), so every call runs on a small dedicated thread
pool and the event loop never blocks. Each call has a connect and a read timeout on the socket and
an overall deadline that also covers waiting for a free worker. Failures become the typed errors of
`provider.py`; the key secret and webhook secret never reach a log line, message or repr.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import razorpay
import requests

from datasources.payments.entities import (
    JsonObject,
    order_from_entity,
    payment_from_entity,
    payments_from_collection,
    refund_from_entity,
    refunds_from_collection,
)
from datasources.payments.provider import (
    PaymentProviderError,
    PaymentProviderRejected,
    PaymentProviderUnavailable,
    ProviderOrder,
    ProviderPayment,
    ProviderRefund,
)
from datasources.payments.signatures import verify_payment_signature, verify_webhook_signature

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.razorpay.com"
_RAZORPAY_ERRORS = (
    razorpay.errors.BadRequestError,
    razorpay.errors.GatewayError,
    razorpay.errors.ServerError,
)
# Ids go into URL paths; anything else (slashes, dots, query strings) is refused before sending.
_ENTITY_ID = re.compile(r"[A-Za-z0-9_]{1,64}")
_MAX_DESCRIPTION_CHARS = 500
REFUND_PAGE_SIZE = 100  # the most Razorpay's collection endpoints return at once

# What a call sends through the package: (razorpay.Client, requests options) -> decoded JSON.
RazorpayRequest = Callable[[Any, dict[str, Any]], object]
Record = TypeVar("Record")


@dataclass(frozen=True, slots=True)
class RazorpaySettings:
    key_id: str
    key_secret: str = field(repr=False)
    webhook_secret: str = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    connect_timeout_seconds: float = 3.05
    read_timeout_seconds: float = 10.0
    deadline_seconds: float = 15.0  # whole call, including the wait for a free worker thread
    max_workers: int = 8

    def __post_init__(self) -> None:
        for name in ("key_id", "key_secret", "webhook_secret", "base_url"):
            if not getattr(self, name):
                raise ValueError(f"Razorpay {name} must not be empty")
        if min(self.connect_timeout_seconds, self.read_timeout_seconds, self.deadline_seconds) <= 0:
            raise ValueError("Razorpay timeouts must be positive")
        if self.max_workers < 1:
            raise ValueError("Razorpay max_workers must be at least 1")


class RazorpayProvider:
    def __init__(self, settings: RazorpaySettings) -> None:
        self._settings = settings
        self._executor = ThreadPoolExecutor(
            max_workers=settings.max_workers, thread_name_prefix="razorpay"
        )
        # One client (and requests session) per worker thread: requests does not promise that a
        # Session is safe to share between threads.
        self._thread_clients = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()
        self._redactions = _redactions(settings)

    def __repr__(self) -> str:
        return (
            f"RazorpayProvider(key_id={self._settings.key_id!r}, "
            f"base_url={self._settings.base_url!r})"
        )

    @property
    def key_id(self) -> str:
        return self._settings.key_id

    async def create_order(
        self, amount_paise: int, currency: str, receipt: str, notes: Mapping[str, str]
    ) -> ProviderOrder:
        body = {
            "amount": amount_paise,
            "currency": currency,
            "receipt": receipt,
            "notes": dict(notes),
        }
        entity = await self._call(
            "create order", lambda client, options: client.order.create(body, **options)
        )
        return _read("create order", order_from_entity, entity)

    async def fetch_order(self, order_id: str) -> ProviderOrder:
        _check_id(order_id, "order id")
        entity = await self._call(
            "fetch order", lambda client, options: client.order.fetch(order_id, {}, **options)
        )
        return _read("fetch order", order_from_entity, entity)

    async def fetch_order_payments(self, order_id: str) -> list[ProviderPayment]:
        _check_id(order_id, "order id")
        collection = await self._call(
            "fetch order payments",
            lambda client, options: client.order.payments(order_id, {}, **options),
        )
        return _read("fetch order payments", payments_from_collection, collection)

    async def fetch_payment(self, payment_id: str) -> ProviderPayment:
        _check_id(payment_id, "payment id")
        entity = await self._call(
            "fetch payment",
            lambda client, options: client.payment.fetch(payment_id, {}, **options),
        )
        return _read("fetch payment", payment_from_entity, entity)

    async def refund(
        self,
        payment_id: str,
        amount_paise: int | None = None,
        notes: Mapping[str, str] | None = None,
    ) -> ProviderRefund:
        _check_id(payment_id, "payment id")
        # Built here rather than through client.payment.refund, which sends "amount": null for a
        # full refund and writes into a shared mutable default argument.
        body: dict[str, object] = {} if amount_paise is None else {"amount": amount_paise}
        if notes:
            body["notes"] = dict(notes)

        def send(client: Any, options: dict[str, Any]) -> object:
            path = f"{client.payment.base_url}/{payment_id}/refund"
            return client.payment.post_url(path, body, **options)

        entity = await self._call("refund", send)
        return _read("refund", refund_from_entity, entity)

    async def list_refunds(
        self, created_from: datetime, created_until: datetime
    ) -> list[ProviderRefund]:
        window = {"from": int(created_from.timestamp()), "to": int(created_until.timestamp())}
        refunds: list[ProviderRefund] = []
        while True:
            page_query = {**window, "count": REFUND_PAGE_SIZE, "skip": len(refunds)}

            def send(client: Any, options: dict[str, Any], query: object = page_query) -> object:
                return client.refund.all(query, **options)

            collection = await self._call("list refunds", send)
            page = _read("list refunds", refunds_from_collection, collection)
            refunds.extend(page)
            if len(page) < REFUND_PAGE_SIZE:
                break
        # Newest first, so a refund made while paging shifts the pages: seen twice, never missed.
        unique = {refund.id: refund for refund in refunds}
        return sorted(unique.values(), key=lambda refund: refund.created_at)

    def verify_payment(self, order_id: str, payment_id: str, signature: str | None) -> bool:
        return verify_payment_signature(order_id, payment_id, signature, self._settings.key_secret)

    def verify_webhook(self, raw_body: bytes, signature_header: str | None) -> bool:
        return verify_webhook_signature(raw_body, signature_header, self._settings.webhook_secret)

    async def aclose(self) -> None:
        """Stop the workers (in-flight calls end within their timeouts) and close the sessions."""
        await asyncio.to_thread(self._executor.shutdown, wait=True, cancel_futures=True)
        with self._sessions_lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()

    async def _call(self, operation: str, request: RazorpayRequest) -> JsonObject:
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        try:
            async with asyncio.timeout(self._settings.deadline_seconds):
                answer = await loop.run_in_executor(self._executor, self._send, operation, request)
        except TimeoutError:
            error: PaymentProviderError = PaymentProviderUnavailable(
                f"Razorpay {operation}: no answer within {self._settings.deadline_seconds} s"
            )
            logger.warning("%s", error)
            raise error from None
        except PaymentProviderError as failure:
            logger.warning("%s after %.3f s", failure, time.monotonic() - started)
            raise
        logger.debug("Razorpay %s answered in %.3f s", operation, time.monotonic() - started)
        return answer

    def _send(self, operation: str, request: RazorpayRequest) -> JsonObject:
        """Runs on a worker thread: one HTTP exchange through the package, errors mapped."""
        responses: list[requests.Response] = []

        def remember(response: requests.Response, *args: object, **kwargs: object) -> None:
            responses.append(response)

        options: dict[str, Any] = {
            "timeout": (
                self._settings.connect_timeout_seconds,
                self._settings.read_timeout_seconds,
            ),
            "hooks": {"response": [remember]},
        }
        # `from None` everywhere below: the underlying exceptions hold the prepared request,
        # whose Authorization header encodes the key secret.
        try:
            answer = request(self._client(), options)
        except requests.Timeout:
            raise PaymentProviderUnavailable(f"Razorpay {operation}: timed out") from None
        except requests.ConnectionError:
            raise PaymentProviderUnavailable(f"Razorpay {operation}: connection failed") from None
        except (*_RAZORPAY_ERRORS, requests.RequestException):
            response = responses[-1] if responses else None
            raise self._error_from_response(operation, response) from None
        if not isinstance(answer, Mapping):
            raise PaymentProviderError(f"Razorpay {operation}: answer is not a JSON object")
        return answer

    def _client(self) -> Any:
        client = getattr(self._thread_clients, "client", None)
        if client is None:
            session = requests.Session()
            with self._sessions_lock:
                self._sessions.append(session)
            client = razorpay.Client(
                session=session,
                auth=(self._settings.key_id, self._settings.key_secret),
                base_url=self._settings.base_url,
            )
            self._thread_clients.client = client
        return client

    def _error_from_response(
        self, operation: str, response: requests.Response | None
    ) -> PaymentProviderError:
        if response is None:
            return PaymentProviderError(f"Razorpay {operation}: failed before any answer")
        status = response.status_code
        code, description = _error_fields(response)
        if status >= 500 or status == 429:  # 429: rate limited, worth retrying later
            return PaymentProviderUnavailable(
                f"Razorpay {operation}: HTTP {status} {code}".rstrip()
            )
        if 400 <= status < 500:
            return PaymentProviderRejected(status, code or "UNKNOWN", self._redact(description))
        return PaymentProviderError(f"Razorpay {operation}: unexpected HTTP {status}")

    def _redact(self, text: str) -> str:
        for secret in self._redactions:
            text = text.replace(secret, "[redacted]")
        return text[:_MAX_DESCRIPTION_CHARS]


def _redactions(settings: RazorpaySettings) -> tuple[str, ...]:
    basic_token = base64.b64encode(f"{settings.key_id}:{settings.key_secret}".encode()).decode()
    return (settings.key_secret, settings.webhook_secret, basic_token)


def _error_fields(response: requests.Response) -> tuple[str, str]:
    """Razorpay's `{"error": {"code": ..., "description": ...}}`, or blanks for other bodies."""
    try:
        body = response.json()
    except ValueError:
        return "", ""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", ""
    return str(error.get("code") or ""), str(error.get("description") or "")


def _check_id(value: str, what: str) -> None:
    if not isinstance(value, str) or _ENTITY_ID.fullmatch(value) is None:
        raise ValueError(f"malformed Razorpay {what}")


def _read(operation: str, reader: Callable[[JsonObject], Record], entity: JsonObject) -> Record:
    try:
        return reader(entity)
    except ValueError as malformed:
        raise PaymentProviderError(
            f"Razorpay {operation}: unexpected answer ({malformed})"
        ) from None
