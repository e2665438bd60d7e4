"""The playlists of HLS video folders, served by the gateway itself on every backend.

A player resolves a playlist's relative URIs against the playlist's URL without its query, so a
signature on the playlist link never reaches the segments. The gateway therefore answers each
playlist link it signed with the playlist rewritten: nested playlists become further playlist
links, every other file a signed link from the object store (one CloudFront prefix grant for the
whole folder, or a link per file). Segment links last for the playlist link's time plus the
playlist's running time plus one link TTL (a learner may pause), never past the end of the
subscription that granted the playlist link, which the link carries, signed.

Folders live under `hls/<asset id>/` and are never rewritten, so their playlists are kept in
memory once read. Rendered playlists are kept too, by link (its expiry is a whole minute, so
everyone who opens a video within a minute shares one), because signing is the cost: about
10 us per segment with the embedded store's HMAC, 300 us with S3 presigned GETs (a two-hour
playlist: a third of a second), one RSA signature per playlist with CloudFront.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import Final
from urllib.parse import quote, urlencode

from datasources.objects.link_signing import LinkRefused, LinkSigner
from datasources.objects.store import ObjectStore, checked_key
from domain.content.hls import MAX_PLAYLIST_BYTES, Playlist, parse_playlist, rewrite_playlist

PLAYLIST_PATH: Final = "/playlists/"
FOLDER_PREFIX: Final = "hls/"
_STEP_SECONDS: Final = 60


def folder_of(asset_id: int) -> str:
    return f"{FOLDER_PREFIX}{asset_id}/"


class HlsPlaylists:
    def __init__(
        self,
        objects: ObjectStore,
        signer: LinkSigner,
        base_url: str,
        link_ttl_seconds: int,
        max_cached: int = 256,
        max_rendered_bytes: int = 32 << 20,
    ) -> None:
        self._objects = objects
        self._signer = signer
        self._base_url = base_url.rstrip("/")
        self._link_ttl = timedelta(seconds=link_ttl_seconds)
        self._parsed: OrderedDict[str, tuple[bytes, Playlist]] = OrderedDict()
        self._max_cached = max_cached
        self._rendered: OrderedDict[tuple[str, str, str], bytes] = OrderedDict()
        self._rendered_bytes = 0
        self._max_rendered_bytes = max_rendered_bytes

    def url(self, key: str, expires_at: datetime, access_until: datetime | None) -> str:
        """A link to the playlist at `key`, valid until `expires_at`, whose segments stay
        playable no later than `access_until` (None: no subscription end)."""
        expires = str(int(expires_at.timestamp()))
        until = "" if access_until is None else str(int(access_until.timestamp()))
        query = {"expires": expires, **({"until": until} if until else {})}
        query["signature"] = self._signer.sign(_parts(_playlist_key(key), expires, until))
        return f"{self._base_url}{PLAYLIST_PATH}{quote(key)}?{urlencode(query)}"

    async def render(
        self, key: str, expires: str, until: str, signature: str, now: datetime
    ) -> bytes:
        """The playlist a link from `url` names, with signed links in place of its URIs.
        Raises LinkRefused for a link this gateway did not sign or that expired, and
        ObjectMissing for a playlist that is not stored."""
        try:
            folder, path = _split(_playlist_key(key))
        except ValueError as error:
            raise LinkRefused(str(error)) from None
        if until and not until.isdigit():
            raise LinkRefused("malformed link")
        self._signer.verify(_parts(key, expires, until), signature, expires, now)
        link = (key, expires, until)
        rendered = self._rendered.get(link)
        if rendered is None:
            rendered = await self._render(key, folder, path, expires, until)
            self._keep_rendered(link, rendered)
        else:
            self._rendered.move_to_end(link)
        return rendered

    async def _render(self, key: str, folder: str, path: str, expires: str, until: str) -> bytes:
        text, playlist = await self._playlist(key, path)
        expires_at = datetime.fromtimestamp(int(expires), UTC)
        access_until = datetime.fromtimestamp(int(until), UTC) if until else None
        segments_until = self._segments_until(expires_at, playlist, access_until)
        files = [ref for ref in playlist.references if not ref.endswith(".m3u8")]
        signed = await self._objects.read_urls(
            folder, [f"{folder}{file}" for file in files], segments_until
        )
        links = dict(zip(files, signed, strict=True))
        for ref in playlist.references:
            if ref.endswith(".m3u8"):
                links[ref] = self.url(f"{folder}{ref}", expires_at, access_until)
        return rewrite_playlist(path, text, links.__getitem__)

    def _keep_rendered(self, link: tuple[str, str, str], rendered: bytes) -> None:
        self._rendered[link] = rendered
        self._rendered_bytes += len(rendered)
        while self._rendered_bytes > self._max_rendered_bytes and self._rendered:
            _, dropped = self._rendered.popitem(last=False)
            self._rendered_bytes -= len(dropped)

    def _segments_until(
        self, expires_at: datetime, playlist: Playlist, access_until: datetime | None
    ) -> datetime:
        playing = playlist.duration_seconds + self._link_ttl.total_seconds()
        until = expires_at + timedelta(seconds=math.ceil(playing / _STEP_SECONDS) * _STEP_SECONDS)
        return until if access_until is None else min(until, access_until)

    async def _playlist(self, key: str, path: str) -> tuple[bytes, Playlist]:
        cached = self._parsed.get(key)
        if cached is not None:
            self._parsed.move_to_end(key)
            return cached
        text = await self._objects.read(key, MAX_PLAYLIST_BYTES)
        parsed = (text, parse_playlist(path, text))
        self._parsed[key] = parsed
        if len(self._parsed) > self._max_cached:
            self._parsed.popitem(last=False)
        return parsed


def _parts(key: str, expires: str, until: str) -> list[str]:
    return ["HLS", key, expires, until]


def _playlist_key(key: str) -> str:
    if not checked_key(key).startswith(FOLDER_PREFIX) or not key.endswith(".m3u8"):
        raise ValueError(f"not a video playlist: {key!r}")
    return key


def _split(key: str) -> tuple[str, str]:
    """`hls/<id>/720p/index.m3u8` -> (`hls/<id>/`, `720p/index.m3u8`)."""
    asset_id, _, path = key.removeprefix(FOLDER_PREFIX).partition("/")
    if not asset_id.isdigit() or not path:
        raise ValueError(f"not a video playlist: {key!r}")
    return f"{FOLDER_PREFIX}{asset_id}/", path
