"""The HTTP layer: every route the gateway serves, one concern per module.

- `graphql_endpoint`: `/graphql` (GraphiQL on GET; POST runs the request pipeline: body limit,
  response caches, body parsing, bearer token, execution)
- `graphql_request`: one POST as the pipeline sees it, parsed and verified only when asked
- `bearer_tokens`: verified bearer tokens remembered until their expiry
- `response_caches/`: whole-response caches, asked in turn as one chain
- `webhooks`: `POST /webhooks/razorpay`
- `health`: `/healthz`, `/readyz`, `/metrics`
- `sandbox_checkout`: the embedded default's `/checkout` page (`pages/`)
"""
