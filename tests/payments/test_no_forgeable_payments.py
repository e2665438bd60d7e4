"""No secret written in the source signs a payment or a webhook that any mode accepts, and a
production configuration never falls back to the sandbox."""

from __future__ import annotations

import ast
import secrets
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from datasources.payments.factory import payment_provider
from datasources.payments.provider import PaymentProvider
from datasources.payments.razorpay_provider import RazorpayProvider
from datasources.payments.sandbox import SandboxProvider
from datasources.payments.signatures import payment_signature, webhook_signature
from settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ORDER_ID, PAYMENT_ID = "order_SourceSecret01", "pay_SourceSecret001"
WEBHOOK_BODY = b'{"entity":"event","event":"payment.captured","payload":{}}'


def _python_files() -> Iterator[Path]:
    for path in PROJECT_ROOT.rglob("*.py"):
        parts = path.relative_to(PROJECT_ROOT).parts
        if not any(part.startswith(".") or part == "data" for part in parts):
            yield path


@cache
def strings_in_the_source() -> frozenset[str]:
    """Every string constant of every Python file of the project, tests included."""
    found: set[str] = set()
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value:
                found.add(node.value)
    return frozenset(found)


def _mysql_settings(
    key_id: str | None = None, key_secret: str | None = None, webhook_secret: str | None = None
) -> Settings:
    return Settings(
        mysql_catalog_url="mysql://root@127.0.0.1:3306/catalog",
        mysql_shard_urls=("mysql://root@127.0.0.1:3306/shard",),
        jwt_secret=secrets.token_urlsafe(32),
        razorpay_key_id=key_id,
        razorpay_key_secret=key_secret,
        razorpay_webhook_secret=webhook_secret,
    )


def _assert_no_source_string_signs_for(provider: PaymentProvider) -> None:
    candidates = strings_in_the_source()
    assert len(candidates) > 1_000  # the scan did read the project
    for candidate in candidates:
        forged = payment_signature(ORDER_ID, PAYMENT_ID, candidate)
        assert not provider.verify_payment(ORDER_ID, PAYMENT_ID, forged), candidate
        assert not provider.verify_webhook(WEBHOOK_BODY, webhook_signature(WEBHOOK_BODY, candidate))


def test_the_embedded_sandbox_accepts_no_signature_made_with_a_source_string(
    tmp_path: Path,
) -> None:
    provider = payment_provider(Settings(data_dir=tmp_path))
    assert isinstance(provider, SandboxProvider)
    _assert_no_source_string_signs_for(provider)


async def test_production_accepts_only_its_configured_secrets() -> None:
    key_secret, webhook_secret = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    settings = _mysql_settings("rzp_live_FromTheEnvironment", key_secret, webhook_secret)
    provider = payment_provider(settings)
    try:
        assert isinstance(provider, RazorpayProvider)
        _assert_no_source_string_signs_for(provider)
        genuine = payment_signature(ORDER_ID, PAYMENT_ID, key_secret)
        assert provider.verify_payment(ORDER_ID, PAYMENT_ID, genuine)
        signed_hook = webhook_signature(WEBHOOK_BODY, webhook_secret)
        assert provider.verify_webhook(WEBHOOK_BODY, signed_hook)
    finally:
        await provider.aclose()


@pytest.mark.parametrize(
    "configured",
    [
        {},
        {"key_id": "rzp_live_x", "key_secret": "a-key-secret"},
        {"webhook_secret": "only-the-webhook-secret"},
    ],
)
def test_production_without_razorpay_credentials_refuses_to_start(
    configured: dict[str, str],
) -> None:
    with pytest.raises(ValueError, match="never takes payments through the sandbox"):
        payment_provider(_mysql_settings(**configured))


def test_a_topology_file_alone_is_production(tmp_path: Path) -> None:
    topology = Settings(data_dir=tmp_path, topology_file=tmp_path / "topology.json")
    assert topology.production
    with pytest.raises(ValueError, match="never takes payments through the sandbox"):
        payment_provider(topology)
    assert not Settings(data_dir=tmp_path).production


@pytest.mark.parametrize(
    "production",
    [
        {"COURSEGATE_MYSQL_CATALOG_URL": "mysql://root@db/c", "COURSEGATE_MYSQL_SHARD_URLS": "x"},
        {"COURSEGATE_TOPOLOGY_FILE": "topology.json"},
    ],
)
def test_production_without_a_token_key_refuses_to_start(
    production: dict[str, str], tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="needs COURSEGATE_JWT_SECRET"):
        Settings.from_env({"COURSEGATE_DATA_DIR": str(tmp_path), **production})
    assert not (tmp_path / "jwt-secret").exists()
