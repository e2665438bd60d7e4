"""Which payment provider the settings ask for."""

from __future__ import annotations

from datasources.payments.provider import PaymentProvider
from datasources.payments.razorpay_provider import (
    DEFAULT_BASE_URL,
    RazorpayProvider,
    RazorpaySettings,
)
from datasources.payments.sandbox import SandboxProvider
from settings import ConfigurationError, Settings


def payment_provider(settings: Settings) -> PaymentProvider:
    """Razorpay when its credentials are set; the sandbox only on the embedded default.

    Production without Razorpay credentials is refused: falling back to the sandbox there would
    hand out paid courses for signatures anyone can make. Some of the RAZORPAY_* variables set
    and not others is a configuration mistake in every mode, refused the same way.
    """
    if _wants_razorpay(settings):
        return RazorpayProvider(razorpay_settings(settings))
    return SandboxProvider()


def check_payment_settings(settings: Settings) -> None:
    """Raises ConfigurationError where `payment_provider` would, without building anything."""
    if _wants_razorpay(settings):
        razorpay_settings(settings)


def _wants_razorpay(settings: Settings) -> bool:
    return settings.production or any(_razorpay_variables(settings).values())


def razorpay_settings(settings: Settings) -> RazorpaySettings:
    """Raises ConfigurationError naming each missing variable, never echoing a value."""
    key_id, key_secret = settings.razorpay_key_id, settings.razorpay_key_secret
    webhook_secret = settings.razorpay_webhook_secret
    if not (key_id and key_secret and webhook_secret):
        variables = _razorpay_variables(settings)
        missing = ", ".join(name for name, value in variables.items() if not value)
        why = (
            "a production configuration never takes payments through the sandbox"
            if settings.production
            else "set all three RAZORPAY_* variables, or none for the local sandbox"
        )
        raise ConfigurationError(f"Razorpay needs {missing}: {why}")
    return RazorpaySettings(
        key_id=key_id,
        key_secret=key_secret,
        webhook_secret=webhook_secret,
        base_url=(settings.razorpay_base_url or DEFAULT_BASE_URL).rstrip("/"),
    )


def _razorpay_variables(settings: Settings) -> dict[str, str | None]:
    return {
        "RAZORPAY_KEY_ID": settings.razorpay_key_id,
        "RAZORPAY_KEY_SECRET": settings.razorpay_key_secret,
        "RAZORPAY_WEBHOOK_SECRET": settings.razorpay_webhook_secret,
    }
