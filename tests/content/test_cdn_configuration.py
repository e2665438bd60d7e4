"""With a CDN configured, media links are CloudFront signed URLs (verified offline against the
public key) and public objects are read from the CDN; half a CDN configuration is refused."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from datasources.objects.factory import open_object_store
from settings import ConfigurationError, Settings
from tests.content.cloudfront_verify import CloudFrontRefused, verify_url

CDN = "https://media.coursegate.example"
KEY_PAIR_ID = "K2JCJMDEHXQW5F"


def _settings(tmp_path: Path, key: rsa.RSAPrivateKey) -> Settings:
    key_file = tmp_path / "cloudfront.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Settings(
        data_dir=tmp_path,
        s3_bucket="media",
        s3_endpoint_url="http://127.0.0.1:9",  # never reached: signing needs no request
        s3_access_key_id="AKIDEXAMPLE",
        s3_secret_access_key="not-a-real-secret",
        cdn_base_url=CDN,
        cloudfront_key_pair_id=KEY_PAIR_ID,
        cloudfront_private_key_file=key_file,
    )


async def test_links_are_cloudfront_signed_urls(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    store = await open_object_store(_settings(tmp_path, key))
    try:
        expires_at = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=10)
        url = await store.read_url("a/7/3f2c9a.png", expires_at)
        granted = verify_url(url, key.public_key(), KEY_PAIR_ID, datetime.now(UTC))
        assert granted == f"{CDN}/a/7/3f2c9a.png"
        with pytest.raises(CloudFrontRefused):
            verify_url(url, key.public_key(), KEY_PAIR_ID, expires_at + timedelta(seconds=1))
        assert store.public_url("public/v/abc.webp") == f"{CDN}/public/v/abc.webp"
    finally:
        await store.close()


async def test_half_a_cdn_configuration_is_refused(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    complete = _settings(tmp_path, key)
    with pytest.raises(ConfigurationError, match="COURSEGATE_CLOUDFRONT_KEY_PAIR_ID"):
        await open_object_store(dataclasses.replace(complete, cloudfront_key_pair_id=None))
    with pytest.raises(ConfigurationError, match="COURSEGATE_S3_BUCKET"):
        await open_object_store(dataclasses.replace(complete, s3_bucket=None))
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    with pytest.raises(ConfigurationError, match=r"garbage\.pem") as refused:
        await open_object_store(dataclasses.replace(complete, cloudfront_private_key_file=garbage))
    assert "not a key" not in str(refused.value)
