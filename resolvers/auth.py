"""Bearer tokens: HS256 JWTs whose `sub` is the user id and whose `roles` may hold `admin`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

ALGORITHM = "HS256"
MAX_USER_ID = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    is_admin: bool = False


class AuthenticationFailed(Exception):
    """The request carried a token that cannot be trusted; the message says why."""


def issue_token(
    secret: str, user_id: int, admin: bool = False, ttl: timedelta | None = None
) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "roles": ["admin"] if admin else [],
        "iat": now,
        "exp": now + (ttl or timedelta(days=7)),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def principal_from_header(secret: str, authorization: str | None) -> Principal | None:
    """None for an anonymous request; raises AuthenticationFailed for a bad token."""
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed("the Authorization header must be 'Bearer <token>'")
    try:
        claims = jwt.decode(
            token.strip(), secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]}
        )
    except jwt.ExpiredSignatureError as error:
        raise AuthenticationFailed("the token has expired") from error
    except jwt.InvalidSignatureError as error:
        raise AuthenticationFailed("the token signature is not valid") from error
    except jwt.InvalidTokenError as error:
        raise AuthenticationFailed("the token is malformed") from error
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject.isdigit() or not 0 < int(subject) <= MAX_USER_ID:
        raise AuthenticationFailed("the token subject is not a user id")
    roles = claims.get("roles", [])
    return Principal(int(subject), isinstance(roles, list) and "admin" in roles)
