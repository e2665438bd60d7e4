"""Response compression as `Accept-Encoding` asks: brotli first, then gzip, for bodies worth it.

Whole-response cache hits hand the same bytes object to every request, so their compressed forms
are kept beside them (`CompressedBodies`): a warm hit compresses nothing. Executed answers are
compressed per request (brotli at quality 4: about 25 us for a 3 KB page of courses here).
"""

from __future__ import annotations

import gzip
from collections import OrderedDict
from typing import Final

import brotli

MIN_BYTES: Final = 1024  # below this the headers outweigh what compression saves
BROTLI_QUALITY: Final = 4
GZIP_LEVEL: Final = 6
ENCODINGS: Final = ("br", "gzip")


def preferred_encoding(accept_encoding: str | None) -> str | None:
    """The best encoding the client accepts (q > 0), brotli before gzip; None: identity."""
    if not accept_encoding:
        return None
    accepted: dict[str, float] = {}
    for item in accept_encoding.split(","):
        name, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        accepted[name.strip().lower()] = quality
    for encoding in ENCODINGS:
        if accepted.get(encoding, accepted.get("*", 0.0)) > 0:
            return encoding
    return None


def compress(body: bytes, encoding: str) -> bytes:
    if encoding == "br":
        compressed: bytes = brotli.compress(body, quality=BROTLI_QUALITY)
        return compressed
    return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)


class CompressedBodies:
    """Compressed forms of bodies served again and again, by (encoding, body); bytes hash once
    and keep their hash, so a lookup costs a dict probe."""

    def __init__(self, max_entries: int = 8192) -> None:
        self._entries: OrderedDict[tuple[str, bytes], bytes] = OrderedDict()
        self._max_entries = max_entries

    def get(self, body: bytes, encoding: str) -> bytes:
        key = (encoding, body)
        found = self._entries.get(key)
        if found is None:
            found = compress(body, encoding)
            self._entries[key] = found
            if len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return found
