"""Bearer tokens: JWTs whose `sub` is the user id and whose `roles` may hold `admin`.

They are HS256 with the shared secret (what `coursegate token` issues) or RS256/ES256 from an
identity provider's public keys. Each key verifies only its own algorithm, chosen by the token
header's `alg` (and `kid`); PyJWT is never handed HMAC and public-key algorithms together, so a
token HMAC-signed with a public key's bytes is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from resolvers.token_keys import (
    PUBLIC_KEY_ALGORITHMS,
    PublicKey,
    VerifyingKey,
    load_jwks_file,
    load_public_key_file,
)
from settings import ConfigurationError, Settings

ALGORITHM = "HS256"
MAX_USER_ID = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    is_admin: bool = False


class AuthenticationFailed(Exception):
    """The request carried a token that cannot be trusted; the message says why."""


@dataclass(frozen=True, slots=True)
class TokenVerifier:
    """The keys tokens may be signed with, and the `iss`/`aud` they must carry when set."""

    secret: str | None = field(default=None, repr=False)
    public_keys: tuple[PublicKey, ...] = ()
    issuer: str | None = None
    audience: str | None = None

    def key_for(self, header: Mapping[str, Any]) -> tuple[str | VerifyingKey, str]:
        """The key and the one algorithm to verify a token with this header."""
        algorithm = header.get("alg")
        if algorithm == ALGORITHM and self.secret:
            return self.secret, ALGORITHM
        if algorithm in PUBLIC_KEY_ALGORITHMS and self.public_keys:
            key = self._public_key(header.get("kid"))
            if key.algorithm == algorithm:
                return key.key, algorithm
        raise AuthenticationFailed("the token algorithm (alg) is not accepted")

    def _public_key(self, kid: str | None) -> PublicKey:
        if kid is not None:
            for key in self.public_keys:
                if key.kid == kid:
                    return key
        only = self.public_keys[0] if len(self.public_keys) == 1 else None
        if only is not None and (kid is None or only.kid is None):
            return only
        if kid is None:
            raise AuthenticationFailed("the token names no key (kid) and several keys are known")
        raise AuthenticationFailed("the token key (kid) is not known")


def token_verifier(settings: Settings) -> TokenVerifier:
    """Reads the key files now, so a bad file stops the gateway before it serves."""
    public_keys: tuple[PublicKey, ...] = ()
    if settings.jwt_public_key_file is not None and settings.jwt_jwks_file is not None:
        raise ConfigurationError(
            "set COURSEGATE_JWT_PUBLIC_KEY_FILE or COURSEGATE_JWT_JWKS_FILE, not both"
        )
    if settings.jwt_public_key_file is not None:
        public_keys = (load_public_key_file(settings.jwt_public_key_file),)
    elif settings.jwt_jwks_file is not None:
        public_keys = load_jwks_file(settings.jwt_jwks_file)
    if not settings.jwt_secret and not public_keys:
        raise ConfigurationError(
            "bearer tokens need COURSEGATE_JWT_SECRET, COURSEGATE_JWT_PUBLIC_KEY_FILE"
            " or COURSEGATE_JWT_JWKS_FILE"
        )
    return TokenVerifier(
        settings.jwt_secret or None, public_keys, settings.jwt_issuer, settings.jwt_audience
    )


def issue_token(
    secret: str,
    user_id: int,
    admin: bool = False,
    ttl: timedelta | None = None,
    issuer: str | None = None,
    audience: str | None = None,
) -> str:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": str(user_id),
        "roles": ["admin"] if admin else [],
        "iat": now,
        "exp": now + (ttl or timedelta(days=7)),
    }
    if issuer is not None:
        claims["iss"] = issuer
    if audience is not None:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def principal_from_header(verifier: TokenVerifier, authorization: str | None) -> Principal | None:
    """None for an anonymous request; raises AuthenticationFailed for a bad token."""
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationFailed("the Authorization header must be 'Bearer <token>'")
    claims = _verified_claims(verifier, token)
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject.isdigit() or not 0 < int(subject) <= MAX_USER_ID:
        raise AuthenticationFailed("the token subject is not a user id")
    roles = claims.get("roles", [])
    return Principal(int(subject), isinstance(roles, list) and "admin" in roles)


def _verified_claims(verifier: TokenVerifier, token: str) -> dict[str, Any]:
    required = ["sub", "exp"]
    if verifier.issuer is not None:
        required.append("iss")
    if verifier.audience is not None:
        required.append("aud")
    try:
        key, algorithm = verifier.key_for(jwt.get_unverified_header(token))
        return jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            issuer=verifier.issuer,
            audience=verifier.audience,
            options={"require": required},
        )
    except jwt.ExpiredSignatureError as error:
        raise AuthenticationFailed("the token has expired") from error
    except jwt.InvalidSignatureError as error:
        raise AuthenticationFailed("the token signature is not valid") from error
    except jwt.InvalidIssuerError as error:
        raise AuthenticationFailed("the token issuer (iss) is not accepted") from error
    except jwt.InvalidAudienceError as error:
        raise AuthenticationFailed("the token audience (aud) is not accepted") from error
    except jwt.MissingRequiredClaimError as error:
        raise AuthenticationFailed(f"the token is malformed: it has no {error.claim}") from error
    except jwt.InvalidTokenError as error:
        raise AuthenticationFailed("the token is malformed") from error
