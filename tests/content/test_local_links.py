"""The embedded store's own signatures: expiry, tampering and keys outside the store."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from datasources.objects.link_signing import LinkRefused, LinkSigner
from datasources.objects.local_store import LocalObjectStore, UploadRefused
from gateway import create_app
from settings import Settings
from tests.conftest import JWT_SECRET

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def _store(tmp_path: Path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "objects", LinkSigner(b"k" * 32), "http://gateway")


async def test_a_read_link_works_until_it_expires_and_only_for_its_key(tmp_path: Path) -> None:
    store = _store(tmp_path)
    url = await store.read_url("v/abc.webp", NOW + timedelta(minutes=10))
    query = parse_qs(urlsplit(url).query)
    expires, signature = query["expires"][0], query["signature"][0]
    store.check_read("v/abc.webp", expires, signature, NOW + timedelta(minutes=9))
    with pytest.raises(LinkRefused, match="expired"):
        store.check_read("v/abc.webp", expires, signature, NOW + timedelta(minutes=10))
    with pytest.raises(LinkRefused, match="does not match"):
        store.check_read("v/abd.webp", expires, signature, NOW)
    with pytest.raises(LinkRefused, match="does not match"):
        store.check_read("v/abc.webp", str(int(expires) + 3600), signature, NOW)
    with pytest.raises(LinkRefused, match="malformed"):
        store.check_read("v/abc.webp", "soon", signature, NOW)


async def test_an_expired_upload_form_stores_nothing(tmp_path: Path) -> None:
    store = _store(tmp_path)
    target = await store.upload_target(
        "uploads/9", "application/pdf", 4, {}, datetime.now(UTC) - timedelta(seconds=1)
    )
    with pytest.raises(UploadRefused, match="expired"):
        await store.receive_upload(target.fields, io.BytesIO(b"%PDF"))
    assert await store.stat("uploads/9") is None


def test_a_short_signing_key_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        LinkSigner(b"short")


async def test_keys_outside_the_store_are_refused(tmp_path: Path) -> None:
    (tmp_path / "jwt-secret").write_text("not for anyone")
    app = create_app(Settings(data_dir=tmp_path, jwt_secret=JWT_SECRET))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            for path in ("/content/..%2Fjwt-secret", "/content/public/../../jwt-secret"):
                answer = await client.get(path)
                assert answer.status_code in (403, 404), path
                assert "not for anyone" not in answer.text
