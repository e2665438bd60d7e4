"""`POST /webhooks/razorpay`: the raw body and Razorpay's headers go to the checkout domain,
which verifies the signature before parsing anything."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from datasources.backends import Backends
from datasources.payments.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER
from domain.checkout.webhook_delivery import handle_razorpay_webhook

MAX_WEBHOOK_BODY_BYTES = 256 * 1024


def webhook_routes(backends: Callable[[], Backends]) -> list[Route]:
    async def razorpay_webhook(request: Request) -> Response:
        raw = await request.body()
        if len(raw) > MAX_WEBHOOK_BODY_BYTES:
            return JSONResponse({"status": "too_large"}, status_code=413)
        reply = await handle_razorpay_webhook(
            backends(),
            raw,
            request.headers.get(SIGNATURE_HEADER),
            request.headers.get(EVENT_ID_HEADER),
            datetime.now(UTC),
        )
        return JSONResponse({"status": reply.value}, status_code=reply.http_status)

    return [Route("/webhooks/razorpay", razorpay_webhook, methods=["POST"])]
