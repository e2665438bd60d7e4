"""The embedded default's checkout page: try a whole purchase in a browser with the sandbox.

`GET /checkout` is a plain page that calls startCheckout, "pays" through
`POST /checkout/sandbox-pay` (standing in for Razorpay Checkout's popup: the sandbox captures
a payment and returns the payment id and signature Razorpay would) and then confirmPayment.
The gateway mounts these routes in embedded mode only; the pay route also refuses to work
unless the payment provider is the sandbox, so no real order can be touched through it.
"""

from __future__ import annotations

from collections.abc import Callable

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from datasources.backends import Backends
from datasources.payments.provider import PaymentProviderError
from datasources.payments.sandbox import SandboxProvider

MAX_PAY_BODY_BYTES = 1024

CHECKOUT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Coursegate sandbox checkout</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; }
label { display: block; margin-top: 1rem; } input, select { width: 100%; padding: .4rem; }
button { margin-top: 1rem; padding: .5rem 1rem; } pre { background: #f4f4f4; padding: 1rem; }
</style></head><body>
<h1>Sandbox checkout</h1>
<p>Embedded mode only: no money moves. Get a token with
<code>coursegate token --user 1</code>.</p>
<label>Bearer token <input id="token" autocomplete="off"></label>
<button id="load">Load paid courses</button>
<label>Course <select id="course"></select></label>
<button id="buy">Buy with the sandbox</button>
<pre id="log"></pre>
<script>
const log = (what) => { document.getElementById("log").textContent += what + "\\n"; };
async function gql(query, variables) {
  const token = document.getElementById("token").value.trim();
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer " + token },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) { throw new Error(body.errors.map((e) => e.message).join("; ")); }
  return body.data;
}
document.getElementById("load").onclick = async () => {
  const data = await gql(
    "{ courses(first: 100) { edges { node { id title price currency isFree } } } }");
  const select = document.getElementById("course");
  select.innerHTML = "";
  for (const { node } of data.courses.edges.filter((e) => !e.node.isFree)) {
    const option = document.createElement("option");
    option.value = node.id;
    option.textContent = `${node.title} (${(node.price / 100).toFixed(2)} ${node.currency})`;
    select.appendChild(option);
  }
  log(`${select.options.length} paid courses loaded`);
};
document.getElementById("buy").onclick = async () => {
  try {
    const courseId = document.getElementById("course").value;
    const started = (await gql(
      `mutation ($c: ID!, $k: String!) { startCheckout(courseId: $c, idempotencyKey: $k) {
        __typename ... on StartCheckoutSuccess { order { orderId amount currency } }
        ... on UserError { message } } }`,
      { c: courseId, k: crypto.randomUUID() })).startCheckout;
    if (!started.order) { return log(`${started.__typename}: ${started.message}`); }
    log(`order ${started.order.orderId}: ${started.order.amount} ${started.order.currency}`);
    const paid = await (await fetch("/checkout/sandbox-pay", {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ orderId: started.order.orderId }),
    })).json();
    if (!paid.paymentId) { return log(`sandbox payment failed: ${paid.error}`); }
    log(`sandbox payment ${paid.paymentId}`);
    const confirmed = (await gql(
      `mutation ($o: String!, $p: String!, $s: String!) {
        confirmPayment(orderId: $o, paymentId: $p, signature: $s) { __typename
          ... on ConfirmPaymentSuccess { orderState subscription { expiresAt state } }
          ... on UserError { message } } }`,
      { o: started.order.orderId, p: paid.paymentId, s: paid.signature })).confirmPayment;
    log(JSON.stringify(confirmed, null, 2));
  } catch (error) { log(String(error)); }
};
</script></body></html>
"""


def sandbox_checkout_routes(backends: Callable[[], Backends]) -> list[Route]:
    async def page(request: Request) -> Response:
        return HTMLResponse(CHECKOUT_PAGE)

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
        Route("/checkout/sandbox-pay", pay, methods=["POST"]),
    ]
