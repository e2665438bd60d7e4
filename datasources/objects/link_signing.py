"""HMAC-SHA256 signatures for the embedded store's links and upload forms: a link names what it
grants (method, key, expiry, and for uploads the content type and size), so changing any part,
or using it after its expiry, fails the check."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime


class LinkRefused(Exception):
    """Tampered, expired or malformed; the message says which, never the expected signature."""


class LinkSigner:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 32:
            raise ValueError("a link signing key needs at least 32 bytes")
        self._secret = secret

    def sign(self, parts: Sequence[str]) -> str:
        digest = hmac.new(self._secret, "\n".join(parts).encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def verify(self, parts: Sequence[str], signature: str, expires: str, now: datetime) -> None:
        """`parts` must include `expires`, which is unix seconds."""
        if not expires.isdigit() or len(signature) > 64:
            raise LinkRefused("malformed link")
        if not hmac.compare_digest(self.sign(parts), signature):
            raise LinkRefused("the link's signature does not match")
        if int(expires) <= now.timestamp():
            raise LinkRefused("the link has expired")
