"""What a lesson's media may be (kinds, content types, sizes), how an uploaded file is checked
against what it claims to be (its leading bytes, and for images a full decode), and the WebP
renditions made of an image. Pure: bytes in, bytes out."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import Final

from PIL import Image, UnidentifiedImageError

from records.content import AssetKind

MB: Final = 1 << 20
MAX_BYTES: Final[dict[AssetKind, int]] = {
    AssetKind.IMAGE: 10 * MB,
    AssetKind.PDF: 50 * MB,
    AssetKind.AUDIO: 200 * MB,
    AssetKind.VIDEO: 2048 * MB,
}
CONTENT_TYPES: Final[dict[AssetKind, frozenset[str]]] = {
    AssetKind.IMAGE: frozenset({"image/png", "image/jpeg", "image/webp"}),
    AssetKind.PDF: frozenset({"application/pdf"}),
    AssetKind.AUDIO: frozenset({"audio/mpeg", "audio/ogg"}),
    AssetKind.VIDEO: frozenset({"video/mp4", "video/webm"}),
}
EXTENSIONS: Final[dict[str, str]] = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "application/pdf": "pdf",
    "audio/mpeg": "mp3",
    "audio/ogg": "ogg",
    "video/mp4": "mp4",
    "video/webm": "webm",
}
SNIFF_BYTES: Final = 16
MAX_IMAGE_PIXELS: Final = 40_000_000  # a decompression bomb guard: 40 MP is a big photo
VARIANT_WIDTHS: Final = (320, 640, 1280)
_PIL_FORMATS: Final = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}


class MediaRejected(Exception):
    """The file is not what its upload said it would be; the message says how."""


@dataclass(frozen=True, slots=True)
class Rendition:
    name: str
    data: bytes
    width: int
    height: int

    @property
    def content_key(self) -> str:
        """A name from the bytes themselves: equal renditions share one object."""
        return hashlib.sha256(self.data).hexdigest()


def upload_problem(kind: AssetKind, content_type: str, size: int) -> str | None:
    """Why an upload of this kind, type and size may not start; None when it may."""
    if content_type not in CONTENT_TYPES[kind]:
        allowed = ", ".join(sorted(CONTENT_TYPES[kind]))
        return f"contentType: a {kind.value} is one of {allowed}"
    if not 1 <= size <= MAX_BYTES[kind]:
        return f"bytes: a {kind.value} is 1 to {MAX_BYTES[kind]} bytes"
    return None


def check_leading_bytes(content_type: str, head: bytes) -> None:
    """Raises MediaRejected when the file does not start the way its type does."""
    if not _starts_like(content_type, head):
        raise MediaRejected(f"the file's contents are not {content_type}")


def _starts_like(content_type: str, head: bytes) -> bool:
    match content_type:
        case "image/png":
            return head.startswith(b"\x89PNG\r\n\x1a\n")
        case "image/jpeg":
            return head.startswith(b"\xff\xd8\xff")
        case "image/webp":
            return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
        case "application/pdf":
            return head.startswith(b"%PDF-")
        case "audio/mpeg":
            return head.startswith(b"ID3") or (
                len(head) > 1 and head[0] == 0xFF and head[1] >= 0xE0
            )
        case "audio/ogg":
            return head.startswith(b"OggS")
        case "video/mp4":
            return head[4:8] == b"ftyp"
        case "video/webm":
            return head.startswith(b"\x1a\x45\xdf\xa3")
    return False


def image_renditions(content_type: str, data: bytes) -> tuple[int, int, list[Rendition]]:
    """The image's size and its WebP renditions at each standard width up to its own (the
    smallest always). Raises MediaRejected for a file that does not decode as its type."""
    try:
        with Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[content_type]]) as probe:
            width, height = probe.size
            if width * height > MAX_IMAGE_PIXELS:
                raise MediaRejected(f"the image has more than {MAX_IMAGE_PIXELS} pixels")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            source = image.convert("RGBA" if _has_alpha(image) else "RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as error:
        raise MediaRejected(f"the file does not decode as {content_type}") from error
    widths = [w for w in VARIANT_WIDTHS if w < width] or [width]
    if width not in widths and width <= VARIANT_WIDTHS[-1]:
        widths.append(width)
    return width, height, [_webp(source, w) for w in widths]


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def _webp(source: Image.Image, width: int) -> Rendition:
    height = max(1, round(source.height * width / source.width))
    resized = (
        source
        if width == source.width
        else source.resize((width, height), Image.Resampling.LANCZOS)
    )
    out = io.BytesIO()
    resized.save(out, format="WEBP", quality=82, method=4)
    return Rendition(f"webp-{width}", out.getvalue(), width, height)
