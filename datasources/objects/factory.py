"""Which object store the settings ask for: S3-compatible storage when a bucket is configured,
the data directory otherwise; production without a bucket is refused (media on one pod's disk
would be missing on every other)."""

from __future__ import annotations

from datasources.objects.cloudfront import CloudFrontLinks
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
    cdn = (
        settings.cdn_base_url,
        settings.cloudfront_key_pair_id,
        settings.cloudfront_private_key_file,
    )
    if any(cdn) and not all(cdn):
        raise ConfigurationError(
            "reads through CloudFront need COURSEGATE_CDN_BASE_URL,"
            " COURSEGATE_CLOUDFRONT_KEY_PAIR_ID and COURSEGATE_CLOUDFRONT_PRIVATE_KEY_FILE"
        )
    if any(cdn) and settings.s3_bucket is None:
        raise ConfigurationError("CloudFront serves an S3 bucket: set COURSEGATE_S3_BUCKET too")
    if settings.production and not settings.content_signing_key:
        raise ConfigurationError(
            "a production configuration signs video playlist links with a key every gateway"
            " shares: set COURSEGATE_CONTENT_SIGNING_KEY (at least 32 bytes)"
        )
    if (settings.s3_access_key_id is None) != (settings.s3_secret_access_key is None):
        raise ConfigurationError(
            "set both COURSEGATE_S3_ACCESS_KEY_ID and COURSEGATE_S3_SECRET_ACCESS_KEY, or"
            " neither (botocore then finds credentials itself)"
        )


def public_base_url(settings: Settings) -> str:
    return settings.public_base_url or f"http://{settings.host}:{settings.port}"


def cloudfront_links(settings: Settings) -> CloudFrontLinks | None:
    """Raises ConfigurationError for a key file that cannot be read or used (never its text)."""
    if settings.cloudfront_private_key_file is None:
        return None
    assert settings.cdn_base_url is not None and settings.cloudfront_key_pair_id is not None
    path = settings.cloudfront_private_key_file
    try:
        return CloudFrontLinks(
            settings.cdn_base_url, settings.cloudfront_key_pair_id, path.read_bytes()
        )
    except (OSError, ValueError) as error:
        raise ConfigurationError(
            f"COURSEGATE_CLOUDFRONT_PRIVATE_KEY_FILE {path}: {error}"
        ) from None


async def open_object_store(settings: Settings) -> ObjectStore:
    check_object_store_settings(settings)
    if settings.s3_bucket is not None:
        cdn = cloudfront_links(settings)
        return await S3ObjectStore(
            settings.s3_bucket,
            settings.s3_endpoint_url,
            settings.s3_region,
            settings.s3_access_key_id,
            settings.s3_secret_access_key,
            settings.s3_public_base_url or settings.cdn_base_url,
            cdn,
        ).open()
    return LocalObjectStore(
        settings.data_dir / "objects", content_signer(settings), public_base_url(settings)
    )


def content_signer(settings: Settings) -> LinkSigner:
    """The gateway's own media links: the embedded store's, and video playlists' everywhere."""
    key = settings.content_signing_key or local_secret(settings.data_dir, "content-signing-key")
    try:
        return LinkSigner(key.encode())
    except ValueError as error:
        raise ConfigurationError(f"COURSEGATE_CONTENT_SIGNING_KEY: {error}") from None
