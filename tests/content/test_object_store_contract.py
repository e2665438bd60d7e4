"""The object store contract on both backends (the embedded directory behind the gateway, and
SeaweedFS as S3): uploads only as the signed form allows, promotion of exactly the checked
version, signed reads with Range and ETag, refused tampering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from datasources.backends import Backends
from datasources.objects.store import ObjectMissing
from tests.content.media_files import fetch, post_form

SOON = timedelta(minutes=5)


def _later() -> datetime:
    return datetime.now(UTC) + SOON


async def _upload(
    client: httpx.AsyncClient, backends: Backends, key: str, data: bytes, declared: int
) -> httpx.Response:
    target = await backends.objects.upload_target(
        key, "application/pdf", declared, {"lesson": "7", "kind": "pdf"}, _later()
    )
    return await post_form(client, backends, target.url, target.fields, data, "application/pdf")


async def test_a_form_upload_stores_exactly_what_it_allows(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    data = b"%PDF-1.7 a lesson handout " * 40
    accepted = await _upload(client, backends, "uploads/1001", data, len(data))
    assert accepted.status_code in (200, 201, 204), accepted.text
    stored = await backends.objects.stat("uploads/1001")
    assert stored is not None
    assert (stored.size, stored.content_type) == (len(data), "application/pdf")
    assert dict(stored.metadata) == {"lesson": "7", "kind": "pdf"}
    assert await backends.objects.read("uploads/1001", 8) == data[:8]
    assert await backends.objects.read("uploads/1001", 10 * len(data)) == data

    too_big = await _upload(client, backends, "uploads/1002", data + b"x", len(data))
    assert too_big.status_code in (400, 403), too_big.text
    assert await backends.objects.stat("uploads/1002") is None


async def test_a_changed_form_is_refused(client: httpx.AsyncClient, backends: Backends) -> None:
    data = b"%PDF-1.7 handout"
    target = await backends.objects.upload_target(
        "uploads/2001", "application/pdf", len(data), {"lesson": "7"}, _later()
    )
    for name, value in (("key", "uploads/2002"), ("Content-Type", "image/png")):
        changed = {**target.fields, name: value}
        refused = await post_form(client, backends, target.url, changed, data, value)
        assert refused.status_code in (400, 403), (name, refused.text)
    pinned = next(name for name in target.fields if name.endswith("lesson"))
    forged = await post_form(
        client, backends, target.url, {**target.fields, pinned: "8"}, data, "application/pdf"
    )
    assert forged.status_code in (400, 403), forged.text
    for key in ("uploads/2001", "uploads/2002"):
        assert await backends.objects.stat(key) is None


async def test_promote_copies_only_the_checked_version(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    first = b"%PDF-1.7 first version"
    await _upload(client, backends, "uploads/3001", first, len(first))
    checked = await backends.objects.stat("uploads/3001")
    assert checked is not None
    second = b"%PDF-1.7 swapped later!"
    await _upload(client, backends, "uploads/3001", second, len(second))
    with pytest.raises(ObjectMissing):
        await backends.objects.promote(checked, "a/3001/final.pdf")
    assert await backends.objects.stat("a/3001/final.pdf") is None
    current = await backends.objects.stat("uploads/3001")
    assert current is not None
    promoted = await backends.objects.promote(current, "a/3001/final.pdf")
    assert promoted.etag == current.etag
    assert await backends.objects.read("a/3001/final.pdf", 100) == second
    assert await backends.objects.stat("uploads/3001") is None
    await backends.objects.delete("a/3001/final.pdf")
    await backends.objects.delete("a/3001/final.pdf")  # deleting twice is fine
    assert await backends.objects.stat("a/3001/final.pdf") is None


async def test_signed_reads_with_range_and_etag(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    data = bytes(range(256)) * 8
    await backends.objects.put("v/abc123.bin", data, "application/octet-stream")
    url = await backends.objects.read_url("v/abc123.bin", _later())
    whole = await fetch(client, backends, url)
    assert whole.status_code == 200 and whole.content == data
    etag = whole.headers["etag"]
    partial = await fetch(client, backends, url, {"range": "bytes=10-19"})
    assert partial.status_code == 206 and partial.content == data[10:20]
    again = await fetch(client, backends, url, {"if-none-match": etag})
    assert again.status_code == 304
    tampered = url.replace("abc123", "abc124")
    assert (await fetch(client, backends, tampered)).status_code in (403, 404)
    signature_name = "signature=" if "signature=" in url else "X-Amz-Signature="
    head, _, tail = url.partition(signature_name)
    flipped = head + signature_name + ("0" if tail[0] != "0" else "1") + tail[1:]
    assert (await fetch(client, backends, flipped)).status_code == 403
    unsigned = url.partition("?")[0]
    assert (await fetch(client, backends, unsigned)).status_code == 403
