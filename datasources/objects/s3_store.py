"""S3-compatible object storage through aiobotocore (the async core that aioboto3 wraps; we need
the client only): presigned POST forms for uploads (the policy pins key, content type and exact
length), presigned GETs for reads, or CloudFront signed URLs when a CDN serves the bucket
(`cdn`), CopyObject with If-Match to promote exactly the checked upload."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any

from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession
from botocore.exceptions import BotoCoreError, ClientError

from datasources.objects.cloudfront import CloudFrontLinks
from datasources.objects.store import (
    PUBLIC_PREFIX,
    ObjectMissing,
    ObjectStoreUnavailable,
    StoredObject,
    UploadTarget,
    checked_key,
    keys_under,
)

_MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound", "412", "PreconditionFailed"})


def _seconds_until(expires_at: datetime) -> int:
    return max(1, int((expires_at - datetime.now(UTC)).total_seconds()))


class S3ObjectStore:
    name = "s3"

    def __init__(
        self,
        bucket: str,
        endpoint_url: str | None,
        region: str,
        access_key_id: str | None,
        secret_access_key: str | None,
        public_base_url: str | None = None,
        cdn: CloudFrontLinks | None = None,
    ) -> None:
        self._cdn = cdn
        self._bucket = bucket
        self._endpoint_url = endpoint_url
        self._region = region
        self._credentials = (access_key_id, secret_access_key)
        # Where public objects are read from (a CDN in front of the bucket); the bucket itself
        # when unset.
        self._public_base_url = (
            public_base_url or f"{endpoint_url or f'https://s3.{region}.amazonaws.com'}/{bucket}"
        ).rstrip("/")
        self._stack = AsyncExitStack()
        self._client: Any = None

    async def open(self) -> S3ObjectStore:
        access_key_id, secret_access_key = self._credentials
        self._client = await self._stack.enter_async_context(
            AioSession().create_client(
                "s3",
                endpoint_url=self._endpoint_url,
                region_name=self._region,
                aws_access_key_id=access_key_id,
                aws_secret_access_key=secret_access_key,
                config=AioConfig(
                    signature_version="s3v4",
                    s3={"addressing_style": "path"},
                    connect_timeout=2,
                    read_timeout=10,
                    retries={"max_attempts": 2},
                ),
            )
        )
        return self

    async def upload_target(
        self,
        key: str,
        content_type: str,
        size: int,
        metadata: Mapping[str, str],
        expires_at: datetime,
    ) -> UploadTarget:
        fields = {
            "Content-Type": content_type,
            **{f"x-amz-meta-{name}": value for name, value in metadata.items()},
        }
        form = await self._client.generate_presigned_post(
            Bucket=self._bucket,
            Key=checked_key(key),
            Fields=fields,
            Conditions=[
                *({name: value} for name, value in fields.items()),
                ["content-length-range", size, size],
            ],
            ExpiresIn=_seconds_until(expires_at),
        )
        return UploadTarget(form["url"], dict(form["fields"]), expires_at)

    async def stat(self, key: str) -> StoredObject | None:
        try:
            head = await self._call("head_object", Bucket=self._bucket, Key=checked_key(key))
        except ObjectMissing:
            return None
        return StoredObject(
            key,
            int(head["ContentLength"]),
            head.get("ContentType", ""),
            _etag(head["ETag"]),
            dict(head.get("Metadata", {})),
        )

    async def read(self, key: str, limit: int) -> bytes:
        answer = await self._call(
            "get_object", Bucket=self._bucket, Key=checked_key(key), Range=f"bytes=0-{limit - 1}"
        )
        async with answer["Body"] as body:
            data: bytes = await body.read()
        return data

    async def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        answer = await self._call(
            "put_object",
            Bucket=self._bucket,
            Key=checked_key(key),
            Body=data,
            ContentType=content_type,
            # Variants and covers are content-addressed: whatever caches them may keep them.
            CacheControl="public, max-age=31536000, immutable",
        )
        return StoredObject(key, len(data), content_type, _etag(answer["ETag"]))

    async def promote(self, source: StoredObject, key: str) -> StoredObject:
        await self._call(
            "copy_object",
            Bucket=self._bucket,
            Key=checked_key(key),
            CopySource={"Bucket": self._bucket, "Key": source.key},
            CopySourceIfMatch=f'"{source.etag}"',
            MetadataDirective="COPY",
        )
        await self.delete(source.key)
        return StoredObject(key, source.size, source.content_type, source.etag, source.metadata)

    async def delete(self, key: str) -> None:
        await self._call("delete_object", Bucket=self._bucket, Key=checked_key(key))

    async def read_url(self, key: str, expires_at: datetime) -> str:
        if self._cdn is not None:
            return self._cdn.url(key, expires_at)
        url: str = await self._client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self._bucket, "Key": checked_key(key)},
            ExpiresIn=_seconds_until(expires_at),
        )
        return url

    async def read_urls(self, prefix: str, keys: Sequence[str], expires_at: datetime) -> list[str]:
        if self._cdn is not None:
            return self._cdn.prefix_urls(prefix, keys, expires_at)
        return [await self.read_url(key, expires_at) for key in keys_under(prefix, keys)]

    def public_url(self, key: str) -> str:
        if not checked_key(key).startswith(PUBLIC_PREFIX):
            raise ValueError(f"not a public key: {key}")
        return f"{self._public_base_url}/{key}"

    async def ping(self) -> None:
        await self._call("head_bucket", Bucket=self._bucket)

    async def close(self) -> None:
        await self._stack.aclose()

    async def _call(self, operation: str, **params: Any) -> Any:
        try:
            return await getattr(self._client, operation)(**params)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in _MISSING_CODES:
                raise ObjectMissing(params.get("Key", "")) from error
            raise ObjectStoreUnavailable(f"{operation}: {code}") from error
        except BotoCoreError as error:
            raise ObjectStoreUnavailable(f"{operation}: {type(error).__name__}") from error


def _etag(raw: str) -> str:
    return raw.strip('"')
