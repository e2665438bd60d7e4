"""What serving a video playlist costs the gateway, in-process on one core: the links of every
segment (HMAC links of the embedded store, S3 presigned GETs, one CloudFront prefix grant) and
the rewrite, for a short and a long media playlist.

    .venv/bin/python -m bench.playlist_bench [--repeat 50]

The playlist text is read once and kept (folders are immutable), so a render is link signing
plus the rewrite. The "render" rows are the whole `HlsPlaylists.render` on the embedded store:
for the first viewer of a playlist link (rendered) and for the others in the same minute (kept).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from datasources.objects.cloudfront import CloudFrontLinks
from datasources.objects.hls_playlists import HlsPlaylists
from datasources.objects.link_signing import LinkSigner
from datasources.objects.local_store import LocalObjectStore
from datasources.objects.s3_store import S3ObjectStore
from datasources.objects.store import ObjectStore
from domain.content.hls import PLAYLIST_TYPE, rewrite_playlist

SEGMENT_COUNTS = (60, 1200)  # 6 s segments: 6 minutes, 2 hours


def _media_playlist(segments: int) -> bytes:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:6", "#EXT-X-PLAYLIST-TYPE:VOD"]
    for number in range(segments):
        lines += ["#EXTINF:6.000,", f"seg-{number:05d}.ts"]
    return ("\n".join([*lines, "#EXT-X-ENDLIST"]) + "\n").encode()


async def _timed(repeat: int, work: Callable[[], Awaitable[object]]) -> list[float]:
    await work()  # the first call reads and parses the playlist
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await work()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _cloudfront() -> CloudFrontLinks:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return CloudFrontLinks("https://d111111abcdef8.cloudfront.net", "K2JCJMDEHXQW5F", pem)


def _links(
    store: ObjectStore, keys: list[str], expires_at: datetime
) -> Callable[[], Awaitable[object]]:
    async def work() -> object:
        return await store.read_urls("hls/1/", keys, expires_at)

    return work


async def main(repeat: int) -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    expires_at = datetime.now(UTC) + timedelta(minutes=10)
    signer = LinkSigner(secrets.token_bytes(32))
    # Presigning and CloudFront signing are computed locally: no storage server is asked.
    s3 = await S3ObjectStore("bench", "http://127.0.0.1:9", "us-east-1", "key", "secret").open()
    cdn = await S3ObjectStore(
        "bench", "http://127.0.0.1:9", "us-east-1", "key", "secret", cdn=_cloudfront()
    ).open()
    rows: list[tuple[str, int, list[float]]] = []
    with tempfile.TemporaryDirectory() as root:
        local = LocalObjectStore(Path(root), signer, "http://127.0.0.1:8000")
        playlists = HlsPlaylists(local, signer, "http://127.0.0.1:8000", 600)
        first_viewers = HlsPlaylists(
            local, signer, "http://127.0.0.1:8000", 600, max_rendered_bytes=0
        )
        for segments in SEGMENT_COUNTS:
            folder = f"s{segments}"
            text = _media_playlist(segments)
            await local.put(f"hls/1/{folder}/index.m3u8", text, PLAYLIST_TYPE)
            keys = [f"hls/1/{folder}/seg-{n:05d}.ts" for n in range(segments)]
            link = playlists.url(f"hls/1/{folder}/index.m3u8", expires_at, None)
            query = dict(parse_qsl(urlsplit(link).query))

            async def render(
                folder: str = folder,
                query: dict[str, str] = query,
                playlists: HlsPlaylists = playlists,
            ) -> object:
                return await playlists.render(
                    f"hls/1/{folder}/index.m3u8",
                    query["expires"],
                    "",
                    query["signature"],
                    datetime.now(UTC),
                )

            async def uncached(render: Callable[..., Awaitable[object]] = render) -> object:
                return await render(playlists=first_viewers)

            async def rewrite(folder: str = folder, text: bytes = text) -> object:
                return rewrite_playlist(f"{folder}/index.m3u8", text, lambda path: path)

            rows.append(("render, first viewer", segments, await _timed(repeat, uncached)))
            rows.append(("render, same minute", segments, await _timed(repeat, render)))
            for name, store in (
                ("links, embedded HMAC", local),
                ("links, S3 presigned", s3),
                ("links, CloudFront grant", cdn),
            ):
                rows.append((name, segments, await _timed(repeat, _links(store, keys, expires_at))))
            rows.append(("rewrite only", segments, await _timed(repeat, rewrite)))
    await s3.close()
    await cdn.close()
    print(f"{'what':<26}{'segments':>9}{'p50 ms':>9}{'p95 ms':>9}{'us/segment':>12}")
    for name, segments, times in rows:
        p50 = statistics.median(times)
        p95 = statistics.quantiles(times, n=20)[18]
        print(f"{name:<26}{segments:>9}{p50:>9.2f}{p95:>9.2f}{p50 * 1000 / segments:>12.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=50)
    asyncio.run(main(parser.parse_args().repeat))
