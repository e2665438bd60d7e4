"""Uploading and fetching media the way a browser does: the form POST goes to the gateway (the
embedded store) or to SeaweedFS (S3), links are fetched from wherever they point (video
playlists from the gateway on every backend)."""

from __future__ import annotations

import io
from collections.abc import Mapping
from urllib.parse import urlsplit

import httpx
from PIL import Image

from datasources.backends import Backends
from datasources.objects.hls_playlists import PLAYLIST_PATH
from datasources.objects.local_store import LocalObjectStore


def png(width: int, height: int, colour: tuple[int, int, int] = (30, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def _served_by_gateway(backends: Backends) -> bool:
    return isinstance(backends.objects, LocalObjectStore)


async def post_form(
    client: httpx.AsyncClient,
    backends: Backends,
    url: str,
    fields: Mapping[str, str],
    data: bytes,
    file_type: str = "application/octet-stream",
) -> httpx.Response:
    files = {"file": ("upload", data, file_type)}
    if _served_by_gateway(backends):
        return await client.post(urlsplit(url).path, data=dict(fields), files=files)
    async with httpx.AsyncClient() as outside:
        return await outside.post(url, data=dict(fields), files=files)


async def fetch(
    client: httpx.AsyncClient,
    backends: Backends,
    url: str,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    parts = urlsplit(url)
    if _served_by_gateway(backends) or parts.path.startswith(PLAYLIST_PATH):
        return await client.get(f"{parts.path}?{parts.query}", headers=dict(headers or {}))
    async with httpx.AsyncClient() as outside:
        return await outside.get(url, headers=dict(headers or {}))
