"""The embedded default's checkout page: try a whole purchase in a browser with the sandbox.

`GET /checkout` is a plain page (`pages/checkout.html` and `pages/checkout.js`) that calls
startCheckout, "pays" through `POST /checkout/sandbox-pay` (standing in for Razorpay Checkout's
popup: the sandbox captures a payment and returns the payment id and signature Razorpay would)
and then confirmPayment.
The gateway mounts these routes in embedded mode only; the pay route also refuses to work
unless the payment provider is the sandbox, so no real order can be touched through it.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources import files

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from datasources.backends import Backends
from datasources.payments.provider import PaymentProviderError
from datasources.payments.sandbox import SandboxProvider

MAX_PAY_BODY_BYTES = 1024
_PAGES = files("http_api") / "pages"


def sandbox_checkout_routes(backends: Callable[[], Backends]) -> list[Route]:
    page_html = (_PAGES / "checkout.html").read_text(encoding="utf-8")
    script = (_PAGES / "checkout.js").read_text(encoding="utf-8")

    async def page(request: Request) -> Response:
        return HTMLResponse(page_html)

    async def page_script(request: Request) -> Response:
        return Response(script, media_type="text/javascript")

    async def pay(request: Request) -> Response:
        provider = backends().payments
        if not isinstance(provider, SandboxProvider):
            return JSONResponse({"error": "the sandbox is not the payment provider"}, 404)
        raw = await request.body()
        if len(raw) > MAX_PAY_BODY_BYTES:
            return JSONResponse({"error": "the body is too large"}, 413)
        try:
            order_id = orjson.loads(raw)["orderId"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return JSONResponse({"error": "send {'orderId': ...}"}, 400)
        if not isinstance(order_id, str):
            return JSONResponse({"error": "orderId must be a string"}, 400)
        try:
            payment_id, signature = provider.pay(order_id)
        except PaymentProviderError as error:
            return JSONResponse({"error": str(error)}, 400)
        return JSONResponse({"paymentId": payment_id, "signature": signature})

    return [
        Route("/checkout", page, methods=["GET"]),
        Route("/checkout/checkout.js", page_script, methods=["GET"]),
        Route("/checkout/sandbox-pay", pay, methods=["POST"]),
    ]
