"""Which payment provider the environment asks for."""

from __future__ import annotations

import os
from collections.abc import Mapping

from datasources.payments.provider import PaymentProvider
from datasources.payments.razorpay_provider import RazorpayProvider, RazorpaySettings
from datasources.payments.sandbox import SandboxProvider, SandboxSettings


def payment_provider_from_env(env: Mapping[str, str] | None = None) -> PaymentProvider:
    """Razorpay when both RAZORPAY_KEY_ID and RAZORPAY_KEY_SECRET are set, else the sandbox.

    Exactly one of the two set is a configuration mistake, refused rather than silently
    falling back to the sandbox (which would take no money).
    """
    env = os.environ if env is None else env
    has_key_id, has_key_secret = (
        bool(env.get("RAZORPAY_KEY_ID")),
        bool(env.get("RAZORPAY_KEY_SECRET")),
    )
    if has_key_id and has_key_secret:
        return RazorpayProvider(RazorpaySettings.from_env(env))
    if has_key_id or has_key_secret:
        raise ValueError("set both RAZORPAY_KEY_ID and RAZORPAY_KEY_SECRET, or neither")
    return SandboxProvider(SandboxSettings.from_env(env))
