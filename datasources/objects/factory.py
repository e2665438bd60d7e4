"""Which object store the settings ask for: S3-compatible storage when a bucket is configured,
the data directory otherwise; production without a bucket is refused (media on one pod's disk
would be missing on every other)."""

from __future__ import annotations

from datasources.objects.link_signing import LinkSigner
from datasources.objects.local_store import LocalObjectStore
from datasources.objects.s3_store import S3ObjectStore
from datasources.objects.store import ObjectStore
from settings import ConfigurationError, Settings, local_secret


def check_object_store_settings(settings: Settings) -> None:
    """Raises ConfigurationError where `open_object_store` would, without opening anything."""
    if settings.production and settings.s3_bucket is None:
        raise ConfigurationError(
            "a production configuration keeps course media in S3-compatible storage: set"
            " COURSEGATE_S3_BUCKET (and COURSEGATE_S3_ENDPOINT_URL for storage other than AWS)"
        )
    if (settings.s3_access_key_id is None) != (settings.s3_secret_access_key is None):
        raise ConfigurationError(
            "set both COURSEGATE_S3_ACCESS_KEY_ID and COURSEGATE_S3_SECRET_ACCESS_KEY, or"
            " neither (botocore then finds credentials itself)"
        )


def public_base_url(settings: Settings) -> str:
    return settings.public_base_url or f"http://{settings.host}:{settings.port}"


async def open_object_store(settings: Settings) -> ObjectStore:
    check_object_store_settings(settings)
    if settings.s3_bucket is not None:
        return await S3ObjectStore(
            settings.s3_bucket,
            settings.s3_endpoint_url,
            settings.s3_region,
            settings.s3_access_key_id,
            settings.s3_secret_access_key,
            settings.s3_public_base_url,
        ).open()
    key = settings.content_signing_key or local_secret(settings.data_dir, "content-signing-key")
    return LocalObjectStore(
        settings.data_dir / "objects", LinkSigner(key.encode()), public_base_url(settings)
    )
