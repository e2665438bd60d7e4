"""How long the links in a served playlist last, on both stores and through CloudFront: segments
for the playlist link's time plus the running time plus one TTL, never past the subscription's
end; nested playlists as long as the playlist link; one CloudFront grant for the whole folder."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from datasources.backends import Backends
from datasources.objects.cloudfront import CloudFrontLinks
from datasources.objects.hls_playlists import PLAYLIST_PATH, HlsPlaylists
from datasources.objects.link_signing import LinkSigner
from datasources.objects.s3_store import S3ObjectStore
from datasources.objects.store import ObjectStore
from domain.content.hls import PLAYLIST_TYPE
from tests.content.cloudfront_verify import CloudFrontRefused, verify_url
from tests.content.hls_folders import master_playlist, media_playlist
from tests.seaweedfs_server import SeaweedServer

TTL_SECONDS = 600
SEGMENTS = [f"seg-{n:05d}.ts" for n in range(50)]  # 50 x 6 s: five minutes of video
CDN = "https://d111111abcdef8.cloudfront.net"
KEY_PAIR_ID = "K2JCJMDEHXQW5F"


def _whole_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


async def _stored_folder(objects: ObjectStore, asset_id: int) -> None:
    await objects.put(f"hls/{asset_id}/index.m3u8", master_playlist(), PLAYLIST_TYPE)
    for variant in ("360p", "720p"):
        playlist = media_playlist(SEGMENTS)
        await objects.put(f"hls/{asset_id}/{variant}/index.m3u8", playlist, PLAYLIST_TYPE)


def _uris(playlist: bytes) -> list[str]:
    return [line for line in playlist.decode().splitlines() if line and not line.startswith("#")]


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def _expires_of(url: str) -> int:
    """When a store's signed link stops working: the embedded store's `expires`, or an S3
    presigned URL's signing time plus its lifetime."""
    query = _query(url)
    if "expires" in query:
        return int(query["expires"])
    signed_at = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return int(signed_at.timestamp()) + int(query["X-Amz-Expires"])


async def _render(playlists: HlsPlaylists, url: str) -> bytes:
    parts = urlsplit(url)
    query = _query(url)
    return await playlists.render(
        parts.path.removeprefix(PLAYLIST_PATH),
        query["expires"],
        query.get("until", ""),
        query["signature"],
        datetime.now(UTC),
    )


async def test_segments_play_for_the_running_time_and_stop_with_the_subscription(
    backends: Backends,
) -> None:
    await _stored_folder(backends.objects, 71)
    playlists = HlsPlaylists(
        backends.objects, LinkSigner(secrets.token_bytes(32)), "http://gw", TTL_SECONDS
    )
    expires_at = _whole_minute(datetime.now(UTC)) + timedelta(minutes=10)
    master = await _render(playlists, playlists.url("hls/71/index.m3u8", expires_at, None))
    variant_urls = _uris(master)
    assert [urlsplit(url).path for url in variant_urls] == [
        f"{PLAYLIST_PATH}hls/71/360p/index.m3u8",
        f"{PLAYLIST_PATH}hls/71/720p/index.m3u8",
    ]
    assert {_query(url)["expires"] for url in variant_urls} == {str(int(expires_at.timestamp()))}
    segment_urls = _uris(await _render(playlists, variant_urls[1]))
    assert [urlsplit(url).path.rsplit("/", 1)[1] for url in segment_urls] == SEGMENTS
    # 300 s of video and one 600 s TTL after the playlist link's end, rounded up to a minute.
    played_until = int((expires_at + timedelta(seconds=900)).timestamp())
    assert {_expires_of(url) for url in segment_urls} <= {played_until, played_until - 1}

    ends = expires_at + timedelta(minutes=3)
    capped = playlists.url("hls/71/720p/index.m3u8", expires_at, ends)
    assert _query(capped)["until"] == str(int(ends.timestamp()))
    for url in _uris(await _render(playlists, capped)):
        assert _expires_of(url) in (int(ends.timestamp()), int(ends.timestamp()) - 1)


@pytest.fixture
async def cdn_store(
    seaweed_s3: SeaweedServer, s3_bucket: str
) -> AsyncIterator[tuple[S3ObjectStore, rsa.RSAPublicKey]]:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    store = await S3ObjectStore(
        s3_bucket,
        seaweed_s3.endpoint_url,
        "us-east-1",
        seaweed_s3.access_key,
        seaweed_s3.secret_key,
        cdn=CloudFrontLinks(CDN, KEY_PAIR_ID, pem),
    ).open()
    yield store, private_key.public_key()
    await store.close()


async def test_through_cloudfront_one_grant_covers_the_folder_for_the_running_time(
    cdn_store: tuple[S3ObjectStore, rsa.RSAPublicKey],
) -> None:
    store, public_key = cdn_store
    await _stored_folder(store, 72)
    playlists = HlsPlaylists(store, LinkSigner(secrets.token_bytes(32)), "http://gw", TTL_SECONDS)
    expires_at = _whole_minute(datetime.now(UTC)) + timedelta(minutes=10)
    url = playlists.url("hls/72/360p/index.m3u8", expires_at, None)
    segment_urls = _uris(await _render(playlists, url))
    assert len(segment_urls) == len(SEGMENTS)
    assert {urlsplit(u).netloc for u in segment_urls} == {urlsplit(CDN).netloc}
    assert len({urlsplit(u).query for u in segment_urls}) == 1  # one signature for all
    played_until = expires_at + timedelta(seconds=900)
    for segment_url in segment_urls:
        granted = verify_url(
            segment_url, public_key, KEY_PAIR_ID, played_until - timedelta(seconds=1)
        )
        assert granted == f"{CDN}/hls/72/*"
    with pytest.raises(CloudFrontRefused, match="expired"):
        verify_url(segment_urls[0], public_key, KEY_PAIR_ID, played_until)
