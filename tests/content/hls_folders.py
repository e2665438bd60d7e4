"""HLS folders for the tests, made here: a master playlist over two variant streams of MPEG-TS
segments (188-byte packets that start with the sync byte, not a decodable picture: the gateway
checks a folder's structure and each file's leading bytes, it does not decode video)."""

from __future__ import annotations

import hashlib
from typing import Final

SEGMENT_SECONDS: Final = 6.0
VARIANTS: Final = (("360p", 640, 360, 800_000), ("720p", 1280, 720, 2_400_000))


def ts_segment(name: str, packets: int = 4) -> bytes:
    """`packets` TS packets whose payload comes from `name`, so every segment differs."""
    seed = hashlib.sha256(name.encode()).digest()
    payload = (seed * 6)[:187]
    return b"".join(b"\x47" + payload for _ in range(packets))


def media_playlist(segments: list[str], seconds: float = SEGMENT_SECONDS) -> bytes:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{int(seconds)}"]
    lines += ["#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-MEDIA-SEQUENCE:0"]
    for segment in segments:
        lines += [f"#EXTINF:{seconds:.3f},", segment]
    lines.append("#EXT-X-ENDLIST")
    return ("\n".join(lines) + "\n").encode()


def master_playlist() -> bytes:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3"]
    for name, width, height, bandwidth in VARIANTS:
        lines.append(f"#EXT-X-STREAM-INF:BANDWIDTH={bandwidth},RESOLUTION={width}x{height}")
        lines.append(f"{name}/index.m3u8")
    return ("\n".join(lines) + "\n").encode()


def video_folder(segments_per_variant: int = 3) -> dict[str, bytes]:
    """path -> bytes, the root playlist first."""
    files = {"index.m3u8": master_playlist()}
    for name, *_ in VARIANTS:
        segments = [f"seg-{number:05d}.ts" for number in range(segments_per_variant)]
        files[f"{name}/index.m3u8"] = media_playlist(segments)
        for segment in segments:
            files[f"{name}/{segment}"] = ts_segment(f"{name}/{segment}")
    return files
