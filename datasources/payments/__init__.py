"""Payment providers: Razorpay through its package, or the embedded default's in-memory sandbox.

Code above `datasources/` talks to `PaymentProvider` (see `provider.py`) and never learns which
one it has; `payment_provider` (see `factory.py`) picks it from the settings.
"""
