"""Bearer tokens already verified in this process, so a repeat skips the signature and JSON work.

A token is remembered by its exact header value after `principal_from_header` accepted it,
with its `exp`; a repeat is accepted only before that instant (the only check that can turn
from pass to fail as time goes on: `iat` and `nbf` only ever become more valid). Anything
not remembered, or whose expiry passed, goes through the full verification again.
"""

from __future__ import annotations

import base64
import binascii

import orjson

from resolvers.auth import Principal, TokenVerifier, principal_from_header

MAX_REMEMBERED = 100_000


def _expiry(authorization: str) -> float | None:
    """The `exp` claim of a token that has just passed verification."""
    try:
        payload = authorization.partition(" ")[2].strip().split(".")[1]
        claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error, orjson.JSONDecodeError):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return float(int(exp)) if isinstance(exp, int | float) and not isinstance(exp, bool) else None


class VerifiedTokens:
    def __init__(self, verifier: TokenVerifier, max_remembered: int = MAX_REMEMBERED) -> None:
        self._verifier = verifier
        self._max_remembered = max_remembered
        self._known: dict[str, tuple[Principal, float]] = {}

    def principal(self, authorization: str | None, now_epoch: float) -> Principal | None:
        """As `principal_from_header` (raises AuthenticationFailed for a bad token)."""
        if authorization is None:
            return None
        known = self._known.get(authorization)
        if known is not None and now_epoch < known[1]:
            return known[0]
        principal = principal_from_header(self._verifier, authorization)
        expiry = _expiry(authorization)
        if principal is not None and expiry is not None:
            if len(self._known) >= self._max_remembered:
                del self._known[next(iter(self._known))]
            self._known[authorization] = (principal, expiry)
        return principal
