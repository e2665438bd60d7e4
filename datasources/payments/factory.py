"""Which payment provider the settings ask for."""

from __future__ import annotations

from datasources.payments.provider import PaymentProvider
from datasources.payments.razorpay_provider import (
    DEFAULT_BASE_URL,
    RazorpayProvider,
    RazorpaySettings,
)
from datasources.payments.sandbox import SANDBOX_KEY_ID, SandboxProvider, SandboxSettings
from settings import Settings


def payment_provider(settings: Settings) -> PaymentProvider:
    """Razorpay when both RAZORPAY_KEY_ID and RAZORPAY_KEY_SECRET are set, else the sandbox.

    Exactly one of the two set is a configuration mistake, refused rather than silently
    falling back to the sandbox (which would take no money).
    """
    has_key_id, has_key_secret = bool(settings.razorpay_key_id), bool(settings.razorpay_key_secret)
    if has_key_id and has_key_secret:
        return RazorpayProvider(razorpay_settings(settings))
    if has_key_id or has_key_secret:
        raise ValueError("set both RAZORPAY_KEY_ID and RAZORPAY_KEY_SECRET, or neither")
    return SandboxProvider(sandbox_settings(settings))


def razorpay_settings(settings: Settings) -> RazorpaySettings:
    """Raises ValueError naming each missing variable, never echoing a value."""
    key_id, key_secret = settings.razorpay_key_id, settings.razorpay_key_secret
    webhook_secret = settings.razorpay_webhook_secret
    if not (key_id and key_secret and webhook_secret):
        named = {
            "RAZORPAY_KEY_ID": key_id,
            "RAZORPAY_KEY_SECRET": key_secret,
            "RAZORPAY_WEBHOOK_SECRET": webhook_secret,
        }
        missing = ", ".join(name for name, value in named.items() if not value)
        raise ValueError(f"Razorpay needs {missing}")
    return RazorpaySettings(
        key_id=key_id,
        key_secret=key_secret,
        webhook_secret=webhook_secret,
        base_url=(settings.razorpay_base_url or DEFAULT_BASE_URL).rstrip("/"),
    )


def sandbox_settings(settings: Settings) -> SandboxSettings:
    """The sandbox signs with the configured Razorpay names where given, its own otherwise."""
    defaults = SandboxSettings()
    return SandboxSettings(
        key_id=settings.razorpay_key_id or SANDBOX_KEY_ID,
        key_secret=settings.razorpay_key_secret or defaults.key_secret,
        webhook_secret=settings.razorpay_webhook_secret or defaults.webhook_secret,
    )
