"""A stand-in for Razorpay's REST API, which cannot be reached from here.

It is not Razorpay: it answers the endpoints Coursegate calls the way Razorpay documents them
(entity shapes, HTTP basic auth with key id and secret, `{"error": {...}}` bodies with
BAD_REQUEST_ERROR / SERVER_ERROR codes), so the real `razorpay` package can be exercised over
HTTP, and signs the webhooks Razorpay would send. It is written independently of
`datasources/payments` so that it can catch that code's mistakes rather than repeat them.

    POST /v1/orders                   GET /v1/orders/{id}
    GET  /v1/orders/{id}/payments     GET /v1/payments/{id}
    POST /v1/payments/{id}/refund     GET /v1/refunds?from&to&count&skip

Test controls (called from the test thread): `inject_payment`, `refund_directly` (a refund made
in Razorpay's dashboard), `refund_webhook`, `fail_next`, `delay_answers`, `hold_refund_answers`
with `wait_for_held_refund` and `release_held`, `seen_requests`, `reset`. The server runs uvicorn
in a background thread on 127.0.0.1 with an ephemeral port; `start` returns once it has answered
a request.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import hmac
import http.client
import json
import secrets
import socket
import string
import threading
import time
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

_ID_ALPHABET = string.ascii_letters + string.digits
_START_DEADLINE_SECONDS = 10.0
Entity = dict[str, Any]


@dataclass(frozen=True)
class SeenRequest:
    method: str
    path: str
    basic_auth: tuple[str, str] | None
    body: Any  # decoded JSON, or None for an empty body
    content_type: str | None


class RazorpayApiStandIn:
    def __init__(self, key_id: str, key_secret: str, webhook_secret: str = "") -> None:
        self.key_id = key_id
        self.key_secret = key_secret
        self.webhook_secret = webhook_secret
        self._lock = threading.Lock()
        self._hold_refunds = False
        self._refund_held = threading.Event()
        self._orders: dict[str, Entity] = {}
        self._payments: dict[str, Entity] = {}
        self._refunds: dict[str, Entity] = {}
        self._seen: list[SeenRequest] = []
        self._failures_left = 0
        self._failure_status = 500
        self._delay_seconds = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._release_delayed: asyncio.Event | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.app = Starlette(
            routes=[
                Route("/__stand_in/health", self._health, methods=["GET"]),
                Route("/v1/orders", self._create_order, methods=["POST"]),
                Route("/v1/orders/{order_id}", self._fetch_order, methods=["GET"]),
                Route("/v1/orders/{order_id}/payments", self._order_payments, methods=["GET"]),
                Route("/v1/payments/{payment_id}", self._fetch_payment, methods=["GET"]),
                Route("/v1/payments/{payment_id}/refund", self._refund, methods=["POST"]),
                Route("/v1/refunds", self._list_refunds, methods=["GET"]),
            ],
            lifespan=self._lifespan,
        )

    # --- lifecycle -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        assert self._socket is not None, "start() the stand-in first"
        host, port = self._socket.getsockname()[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        # Bound and listening before the thread starts: the port is known at once and early
        # connections wait in the backlog instead of being refused.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(64)
        config = uvicorn.Config(self.app, log_level="warning", lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name="razorpay-api-stand-in",
            daemon=True,
        )
        self._thread.start()
        self._wait_until_serving()

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._release_delayed_answers()
        self._server.should_exit = True
        self._thread.join(timeout=_START_DEADLINE_SECONDS)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = None

    def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + _START_DEADLINE_SECONDS
        host, port = self.base_url.removeprefix("http://").split(":")
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._thread is None or not self._thread.is_alive():
                raise RuntimeError("the Razorpay API stand-in did not start")
            connection = http.client.HTTPConnection(host, int(port), timeout=remaining)
            try:
                connection.request("GET", "/__stand_in/health")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                continue  # answered before uvicorn took over the socket; ask again
            finally:
                connection.close()

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> Any:
        self._loop = asyncio.get_running_loop()
        self._release_delayed = asyncio.Event()
        yield

    # --- test controls ---------------------------------------------------------------------

    def reset(self) -> None:
        self._release_delayed_answers()
        with self._lock:
            self._orders.clear()
            self._payments.clear()
            self._refunds.clear()
            self._seen.clear()
            self._failures_left = 0
            self._delay_seconds = 0.0
            self._hold_refunds = False
            self._refund_held.clear()

    def seen_requests(self) -> list[SeenRequest]:
        with self._lock:
            return list(self._seen)

    def fail_next(self, count: int, status: int = 500) -> None:
        """The next `count` requests answer `status` with Razorpay's SERVER_ERROR body."""
        with self._lock:
            self._failures_left = count
            self._failure_status = status

    def delay_answers(self, seconds: float) -> None:
        """Hold every answer up to `seconds` (released early by `reset` and `stop`)."""
        with self._lock:
            self._delay_seconds = seconds

    def hold_refund_answers(self) -> None:
        """Refunds take effect, then their answer waits for `release_held` (or `reset`): the
        moment in which Razorpay's webhook can reach the caller before the API's answer does."""
        with self._lock:
            self._hold_refunds = True

    def wait_for_held_refund(self, timeout: float) -> Entity:
        """Blocks until a refund has taken effect and its answer is held; returns the refund."""
        if not self._refund_held.wait(timeout):
            raise TimeoutError("no refund request reached the stand-in")
        with self._lock:
            return dict(list(self._refunds.values())[-1])

    def release_held(self) -> None:
        self._release_delayed_answers()

    def refund_directly(self, payment_id: str) -> Entity:
        """A full refund made outside the API client (e.g. in Razorpay's dashboard)."""
        with self._lock:
            refund = self._make_refund(self._payments[payment_id], None, {})
            assert not isinstance(refund, Response), "the payment cannot be refunded"
            return dict(refund)

    def refund_webhook(self, refund_id: str) -> tuple[bytes, dict[str, str]]:
        """The `refund.processed` delivery Razorpay sends for a refund: body and headers."""
        assert self.webhook_secret, "construct the stand-in with a webhook secret"
        with self._lock:
            refund = dict(self._refunds[refund_id])
            payment = dict(self._payments[refund["payment_id"]])
        body = json.dumps(
            {
                "entity": "event",
                "account_id": "acc_StandIn000001",
                "event": "refund.processed",
                "contains": ["refund", "payment"],
                "payload": {"refund": {"entity": refund}, "payment": {"entity": payment}},
                "created_at": int(time.time()),
            }
        ).encode()
        signature = hmac.new(self.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
        return body, {"X-Razorpay-Signature": signature, "X-Razorpay-Event-Id": _new_id("evt")}

    def inject_payment(
        self, order_id: str, *, status: str = "captured", amount: int | None = None
    ) -> Entity:
        """A payment made on `order_id` as if through Checkout; the order's status follows."""
        with self._lock:
            order = self._orders[order_id]
            payment_id = _new_id("pay")
            failed = status == "failed"
            payment: Entity = {
                "id": payment_id,
                "entity": "payment",
                "amount": order["amount"] if amount is None else amount,
                "currency": order["currency"],
                "status": status,
                "order_id": order_id,
                "invoice_id": None,
                "international": False,
                "method": "card",
                "amount_refunded": 0,
                "refund_status": None,
                "captured": status in ("captured", "refunded"),
                "description": None,
                "card_id": "card_" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(14)),
                "bank": None,
                "wallet": None,
                "vpa": None,
                "email": "customer@example.com",
                "contact": "+919000090000",
                "notes": [],
                "fee": None if failed else 236,
                "tax": None if failed else 36,
                "error_code": "BAD_REQUEST_ERROR" if failed else None,
                "error_description": "Payment processing failed because of incorrect OTP"
                if failed
                else None,
                "error_source": "customer" if failed else None,
                "error_step": "payment_authentication" if failed else None,
                "error_reason": "incorrect_otp" if failed else None,
                "acquirer_data": {"auth_code": None},
                "created_at": int(time.time()),
            }
            self._payments[payment_id] = payment
            order["attempts"] += 1
            if status == "captured":
                order.update(status="paid", amount_paid=order["amount"], amount_due=0)
            elif order["status"] == "created":
                order["status"] = "attempted"
            return dict(payment)

    def _release_delayed_answers(self) -> None:
        loop, event = self._loop, self._release_delayed
        if loop is None or event is None or loop.is_closed():
            return

        def release() -> None:
            event.set()
            self._release_delayed = asyncio.Event()

        with contextlib.suppress(RuntimeError):  # the loop may be closing
            loop.call_soon_threadsafe(release)

    # --- the API ---------------------------------------------------------------------------

    async def _health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def _create_order(self, request: Request) -> Response:
        refusal = await self._admit(request)
        if refusal is not None:
            return refusal
        body = _json_body(await request.body())
        if not isinstance(body, dict):
            return _bad_request("The request body is not valid JSON")
        amount, currency, receipt = body.get("amount"), body.get("currency"), body.get("receipt")
        if not isinstance(amount, int) or amount < 100:
            return _bad_request("The amount must be atleast INR 1.00.", field="amount")
        if not isinstance(currency, str) or len(currency) != 3:
            return _bad_request("The currency field is required.", field="currency")
        if receipt is not None and (not isinstance(receipt, str) or len(receipt) > 40):
            return _bad_request(
                "The receipt may not be greater than 40 characters.", field="receipt"
            )
        notes = body.get("notes") or []
        with self._lock:
            order_id = _new_id("order")
            self._orders[order_id] = {
                "id": order_id,
                "entity": "order",
                "amount": amount,
                "amount_paid": 0,
                "amount_due": amount,
                "currency": currency,
                "receipt": receipt,
                "offer_id": None,
                "status": "created",
                "attempts": 0,
                "notes": notes,
                "created_at": int(time.time()),
            }
            return JSONResponse(dict(self._orders[order_id]))

    async def _fetch_order(self, request: Request) -> Response:
        refusal = await self._admit(request)
        if refusal is not None:
            return refusal
        with self._lock:
            order = self._orders.get(request.path_params["order_id"])
            if order is None:
                return _bad_request("The id provided does not exist")
            return JSONResponse(dict(order))

    async def _order_payments(self, request: Request) -> Response:
        refusal = await self._admit(request)
        if refusal is not None:
            return refusal
        order_id = request.path_params["order_id"]
        with self._lock:
            if order_id not in self._orders:
                return _bad_request("The id provided does not exist")
            items = [dict(p) for p in self._payments.values() if p["order_id"] == order_id]
        return JSONResponse({"entity": "collection", "count": len(items), "items": items})

    async def _fetch_payment(self, request: Request) -> Response:
        refusal = await self._admit(request)
        if refusal is not None:
            return refusal
        with self._lock:
            payment = self._payments.get(request.path_params["payment_id"])
            if payment is None:
                return _bad_request("The id provided does not exist")
            return JSONResponse(dict(payment))

    async def _refund(self, request: Request) -> Response:
        refusal = await self._admit(request)
        if refusal is not None:
            return refusal
        body = _json_body(await request.body()) or {}
        if not isinstance(body, dict):
            return _bad_request("The request body is not valid JSON")
        with self._lock:
            payment = self._payments.get(request.path_params["payment_id"])
            if payment is None:
                return _bad_request("The id provided does not exist")
            made = self._make_refund(payment, body.get("amount"), body.get("notes") or {})
            hold = self._hold_refunds and not isinstance(made, Response)
        release = self._release_delayed
        if hold and release is not None:
            self._refund_held.set()
            await release.wait()
        return made if isinstance(made, Response) else JSONResponse(dict(made))

    def _make_refund(self, payment: Entity, amount: Any, notes: Any) -> Entity | Response:
        """Under the lock: the refund, or the error Razorpay answers."""
        if payment["status"] == "refunded":
            return _bad_request("The payment has been fully refunded already")
        if payment["status"] != "captured":
            return _bad_request("The payment has not been captured")
        remaining = payment["amount"] - payment["amount_refunded"]
        amount = remaining if amount is None else amount
        if not isinstance(amount, int) or amount < 100 or amount > remaining:
            return _bad_request(
                "The refund amount provided is greater than amount captured", field="amount"
            )
        if not isinstance(notes, dict) or len(notes) > 15:
            return _bad_request("Number of fields in notes should be less than or equal to 15")
        if any(not isinstance(value, str) or len(value) > 256 for value in notes.values()):
            return _bad_request("The notes value may not be greater than 256 characters")
        refund_id = _new_id("rfnd")
        refund = {
            "id": refund_id,
            "entity": "refund",
            "amount": amount,
            "currency": payment["currency"],
            "payment_id": payment["id"],
            "notes": notes or [],
            "receipt": None,
            "acquirer_data": {"arn": None},
            "created_at": int(time.time()),
            "batch_id": None,
            "status": "processed",
            "speed_processed": "normal",
            "speed_requested": "normal",
        }
        self._refunds[refund_id] = refund
        payment["amount_refunded"] += amount
        full = payment["amount_refunded"] == payment["amount"]
        payment["refund_status"] = "full" if full else "partial"
        if full:
            payment["status"] = "refunded"
        return refund

    async def _list_refunds(self, request: Request) -> Response:
        """Newest first, as Razorpay lists; `from`/`to` are unix seconds, inclusive."""
        refusal = await self._admit(request)
        if refusal is not None:
            return refusal
        query = request.query_params
        try:
            since, until = int(query.get("from", 0)), int(query.get("to", 2**40))
            count, skip = int(query.get("count", 10)), int(query.get("skip", 0))
        except ValueError:
            return _bad_request("from, to, count and skip must be integers")
        if not 1 <= count <= 100:
            return _bad_request("The count must be between 1 and 100", field="count")
        with self._lock:
            made = [r for r in self._refunds.values() if since <= r["created_at"] <= until]
        newest_first = sorted(made, key=lambda r: r["created_at"], reverse=True)
        items = [dict(r) for r in newest_first[skip : skip + count]]
        return JSONResponse({"entity": "collection", "count": len(items), "items": items})

    async def _admit(self, request: Request) -> Response | None:
        """Records the request, applies the test controls, then checks basic auth."""
        raw_body = await request.body()
        credentials = _basic_auth(request.headers.get("authorization"))
        with self._lock:
            self._seen.append(
                SeenRequest(
                    method=request.method,
                    path=request.url.path,
                    basic_auth=credentials,
                    body=_json_body(raw_body),
                    content_type=request.headers.get("content-type"),
                )
            )
            delay = self._delay_seconds
            failing = self._failures_left > 0
            if failing:
                self._failures_left -= 1
            failure_status = self._failure_status
        release = self._release_delayed
        if delay > 0 and release is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(release.wait(), delay)
        if failing:
            return _error_response(
                failure_status,
                "SERVER_ERROR",
                "The server encountered an error. The incident has been reported to admins.",
            )
        if credentials != (self.key_id, self.key_secret):
            return _error_response(401, "BAD_REQUEST_ERROR", "Authentication failed")
        return None


def _basic_auth(header: str | None) -> tuple[str, str] | None:
    if header is None or not header.startswith("Basic "):
        return None
    try:
        decoded = base64.b64decode(header.removeprefix("Basic "), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, separator, password = decoded.partition(":")
    return (user, password) if separator else None


def _json_body(raw_body: bytes) -> Any:
    if not raw_body:
        return None
    try:
        return json.loads(raw_body)
    except ValueError:
        return raw_body.decode(errors="replace")


def _bad_request(description: str, *, field: str | None = None) -> Response:
    return _error_response(400, "BAD_REQUEST_ERROR", description, field=field)


def _error_response(
    status: int, code: str, description: str, *, field: str | None = None
) -> Response:
    validation = code == "BAD_REQUEST_ERROR" and status == 400
    error: Entity = {
        "code": code,
        "description": description,
        "source": "business" if validation else "NA",
        "step": "payment_initiation" if validation else "NA",
        "reason": "input_validation_failed" if validation else "NA",
        "metadata": {},
    }
    if field is not None:
        error["field"] = field
    return JSONResponse({"error": error}, status_code=status)


def _new_id(prefix: str) -> str:
    return f"{prefix}_" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(14))
