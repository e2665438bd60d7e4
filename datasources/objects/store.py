"""The object storage interface for course media: the embedded directory (`local_store`) and
S3-compatible storage (`s3_store`) offer the same operations, and the same contract tests run on
both.

Clients upload straight to storage with a form POST to a presigned target (the policy fixes the
key, the content type and the exact size), then the gateway checks what arrived and promotes it
to its final, never rewritten key. Reads go through signed, expiring links, or plain URLs for
public objects (course covers).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*$")
PUBLIC_PREFIX = "public/"


class ObjectMissing(Exception):
    """No object under this key (or not the version that was checked)."""


class ObjectStoreUnavailable(Exception):
    """The storage did not answer."""


def checked_key(key: str) -> str:
    """Keys are made by the gateway; anything else is a bug (or an attack on a path)."""
    if len(key) > 512 or not KEY_PATTERN.match(key):
        raise ValueError(f"not an object key: {key!r}")
    return key


def keys_under(prefix: str, keys: Sequence[str]) -> Sequence[str]:
    """`keys`, each checked to be a key under `prefix` (which ends in `/`)."""
    if not prefix.endswith("/"):
        raise ValueError(f"a key prefix ends with '/': {prefix!r}")
    for key in keys:
        if not checked_key(key).startswith(prefix):
            raise ValueError(f"{key!r} is not under {prefix!r}")
    return keys


@dataclass(frozen=True, slots=True)
class StoredObject:
    key: str
    size: int
    content_type: str
    etag: str  # the storage's version tag, quotes stripped
    metadata: Mapping[str, str] = field(default_factory=dict)  # pinned by the upload form


@dataclass(frozen=True, slots=True)
class UploadTarget:
    """An HTML form upload: POST multipart/form-data to `url` with `fields` first, then the
    file in a part named `file`."""

    url: str
    fields: dict[str, str]
    expires_at: datetime


class ObjectStore(Protocol):
    name: str

    async def upload_target(
        self,
        key: str,
        content_type: str,
        size: int,
        metadata: Mapping[str, str],
        expires_at: datetime,
    ) -> UploadTarget:
        """A form that can store exactly `size` bytes of `content_type` at `key` until
        `expires_at`, with `metadata` (lowercase names, ASCII values) attached unchanged."""
        ...

    async def stat(self, key: str) -> StoredObject | None: ...

    async def read(self, key: str, limit: int) -> bytes:
        """The first `limit` bytes (all of a smaller object). Raises ObjectMissing."""
        ...

    async def put(self, key: str, data: bytes, content_type: str) -> StoredObject: ...

    async def promote(self, source: StoredObject, key: str) -> StoredObject:
        """Copies exactly the checked version of `source` to `key` (ObjectMissing when the
        source changed since it was checked), then deletes the source."""
        ...

    async def delete(self, key: str) -> None:
        """Idempotent: a missing key is not an error."""
        ...

    async def read_url(self, key: str, expires_at: datetime) -> str:
        """A signed link to the object, valid until `expires_at`."""
        ...

    async def read_urls(self, prefix: str, keys: Sequence[str], expires_at: datetime) -> list[str]:
        """Signed links to `keys`, all under `prefix` (which ends in `/`), valid until
        `expires_at`: an HLS folder's files. A CDN grants the prefix once for all of them."""
        ...

    def public_url(self, key: str) -> str:
        """A plain, cacheable URL of an object under `public/`."""
        ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...
