"""The embedded default's object store: files under the data directory, served by the gateway
itself (`http_api/content_files.py`) through HMAC-signed links, uploads received from form POSTs
signed the same way. Each object has a sidecar `.meta` file with its content type and etag (the
MD5 of its bytes, as S3 gives for a single-part upload)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import shutil
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote, urlencode

import orjson

from datasources.objects.link_signing import LinkRefused, LinkSigner
from datasources.objects.store import (
    PUBLIC_PREFIX,
    ObjectMissing,
    StoredObject,
    UploadTarget,
    checked_key,
    keys_under,
)

UPLOAD_PATH = "/content-uploads"
READ_PATH = "/content/"
_CHUNK = 1 << 20
_META = "meta-"


class UploadRefused(Exception):
    """The form is not one this store signed, has expired, or the file does not fit it."""


class LocalObjectStore:
    name = "local"

    def __init__(self, root: Path, signer: LinkSigner, base_url: str) -> None:
        self._root = root
        self._signer = signer
        self._base_url = base_url.rstrip("/")

    def path_of(self, key: str) -> Path:
        return self._root / checked_key(key)

    async def upload_target(
        self,
        key: str,
        content_type: str,
        size: int,
        metadata: Mapping[str, str],
        expires_at: datetime,
    ) -> UploadTarget:
        expires = str(int(expires_at.timestamp()))
        fields = {
            "key": checked_key(key),
            "Content-Type": content_type,
            "size": str(size),
            "expires": expires,
            **{f"{_META}{name}": value for name, value in sorted(metadata.items())},
        }
        fields["signature"] = self._signer.sign(_upload_parts(fields))
        return UploadTarget(f"{self._base_url}{UPLOAD_PATH}", fields, expires_at)

    async def receive_upload(self, fields: Mapping[str, str], file: BinaryIO) -> StoredObject:
        """Stores the file of an upload form this store signed. Raises UploadRefused."""
        try:
            self._signer.verify(
                _upload_parts(fields),
                fields.get("signature", ""),
                fields.get("expires", ""),
                datetime.now(UTC),
            )
            key = checked_key(fields["key"])
            size = int(fields["size"])
        except (LinkRefused, KeyError, ValueError) as error:
            raise UploadRefused(str(error) or "malformed upload form") from error
        metadata = {
            name.removeprefix(_META): value
            for name, value in fields.items()
            if name.startswith(_META)
        }
        stored = await asyncio.to_thread(
            self._write, key, file, fields["Content-Type"], size, metadata
        )
        if stored is None:
            raise UploadRefused(f"the file is not the {size} bytes the form allows")
        return stored

    async def stat(self, key: str) -> StoredObject | None:
        return await asyncio.to_thread(self._stat, key)

    async def read(self, key: str, limit: int) -> bytes:
        def read() -> bytes:
            try:
                with self.path_of(key).open("rb") as handle:
                    return handle.read(limit)
            except FileNotFoundError as error:
                raise ObjectMissing(key) from error

        return await asyncio.to_thread(read)

    async def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        def put() -> StoredObject:
            return self._publish(key, data, content_type, hashlib.md5(data).hexdigest())

        return await asyncio.to_thread(put)

    async def promote(self, source: StoredObject, key: str) -> StoredObject:
        def promote() -> StoredObject:
            current = self._stat(source.key)
            if current is None or current.etag != source.etag:
                raise ObjectMissing(source.key)
            target = self.path_of(key)
            target.parent.mkdir(parents=True, exist_ok=True)
            draft = target.with_name(f".{target.name}.{secrets.token_hex(4)}")
            shutil.copyfile(self.path_of(source.key), draft)
            self._write_meta(target, current.content_type, current.etag, current.metadata)
            os.replace(draft, target)
            self._remove(source.key)
            return StoredObject(
                key, current.size, current.content_type, current.etag, current.metadata
            )

        return await asyncio.to_thread(promote)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._remove, key)

    async def read_url(self, key: str, expires_at: datetime) -> str:
        expires = str(int(expires_at.timestamp()))
        signature = self._signer.sign(read_parts(key, expires))
        query = urlencode({"expires": expires, "signature": signature})
        return f"{self._base_url}{READ_PATH}{quote(checked_key(key))}?{query}"

    async def read_urls(self, prefix: str, keys: Sequence[str], expires_at: datetime) -> list[str]:
        return [await self.read_url(key, expires_at) for key in keys_under(prefix, keys)]

    def public_url(self, key: str) -> str:
        if not checked_key(key).startswith(PUBLIC_PREFIX):
            raise ValueError(f"not a public key: {key}")
        return f"{self._base_url}{READ_PATH}{quote(key)}"

    def check_read(self, key: str, expires: str, signature: str, now: datetime) -> None:
        """Raises LinkRefused unless the link is one `read_url` gave and has not expired;
        public objects need no signature."""
        if checked_key(key).startswith(PUBLIC_PREFIX):
            return
        self._signer.verify(read_parts(key, expires), signature, expires, now)

    async def ping(self) -> None:
        await asyncio.to_thread(self._root.mkdir, parents=True, exist_ok=True)

    async def close(self) -> None:
        return None

    def _stat(self, key: str) -> StoredObject | None:
        path = self.path_of(key)
        try:
            meta = orjson.loads(_meta_path(path).read_bytes())
            size = path.stat().st_size
        except FileNotFoundError:
            return None
        return StoredObject(key, size, meta["content_type"], meta["etag"], meta.get("metadata", {}))

    def _write(
        self, key: str, file: BinaryIO, content_type: str, size: int, metadata: dict[str, str]
    ) -> StoredObject | None:
        target = self.path_of(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        draft = target.with_name(f".{target.name}.{secrets.token_hex(4)}")
        digest = hashlib.md5()
        written = 0
        with draft.open("wb") as out:
            while chunk := file.read(_CHUNK):
                written += len(chunk)
                if written > size:
                    break
                digest.update(chunk)
                out.write(chunk)
        if written != size:
            draft.unlink()
            return None
        self._write_meta(target, content_type, digest.hexdigest(), metadata)
        os.replace(draft, target)
        return StoredObject(key, size, content_type, digest.hexdigest(), metadata)

    def _publish(self, key: str, data: bytes, content_type: str, etag: str) -> StoredObject:
        target = self.path_of(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        draft = target.with_name(f".{target.name}.{secrets.token_hex(4)}")
        draft.write_bytes(data)
        self._write_meta(target, content_type, etag)
        os.replace(draft, target)
        return StoredObject(key, len(data), content_type, etag)

    @staticmethod
    def _write_meta(
        target: Path, content_type: str, etag: str, metadata: Mapping[str, str] | None = None
    ) -> None:
        meta = _meta_path(target)
        draft = meta.with_name(f".{meta.name}.{secrets.token_hex(4)}")
        draft.write_bytes(
            orjson.dumps(
                {"content_type": content_type, "etag": etag, "metadata": dict(metadata or {})}
            )
        )
        os.replace(draft, meta)

    def _remove(self, key: str) -> None:
        path = self.path_of(key)
        for each in (path, _meta_path(path)):
            each.unlink(missing_ok=True)


def _meta_path(path: Path) -> Path:
    return path.with_name(f"{path.name}.meta")


def read_parts(key: str, expires: str) -> list[str]:
    return ["GET", key, expires]


def _upload_parts(fields: Mapping[str, str]) -> list[str]:
    return [
        "POST",
        fields.get("key", ""),
        fields.get("Content-Type", ""),
        fields.get("size", ""),
        fields.get("expires", ""),
        *sorted(f"{name}={value}" for name, value in fields.items() if name.startswith(_META)),
    ]
