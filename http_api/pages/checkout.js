const log = (what) => { document.getElementById("log").textContent += what + "\n"; };
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
