"""What every resolver receives about the request it serves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from datasources.backends import Backends
from loaders import Loaders
from resolvers.auth import Principal
from resolvers.errors import FORBIDDEN, UNAUTHENTICATED, Problem, UnauthenticatedError


@dataclass
class RequestContext:
    backends: Backends
    loaders: Loaders
    principal: Principal | None
    request_id: str
    # Whom the request's rate limits count: `user:<id>` signed in, else `address:<ip>`.
    client: str = ""
    # One clock reading per request, so every field agrees on what "now" is.
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    # Added to the response's `extensions` (e.g. {"search": {"degraded": true, ...}}).
    extensions: dict[str, object] = field(default_factory=dict)
    # The earliest expiry of a signed link in the response: a response cache keeps the
    # response no longer than that.
    links_expire_at: datetime | None = None

    def note_link_expiry(self, expires_at: datetime) -> None:
        if self.links_expire_at is None or expires_at < self.links_expire_at:
            self.links_expire_at = expires_at

    def require_user(self) -> Principal:
        if self.principal is None:
            raise UnauthenticatedError()
        return self.principal

    def admin_problem(self) -> Problem | None:
        """Why this request may not run an admin mutation; None when it may."""
        if self.principal is None:
            return UNAUTHENTICATED
        return None if self.principal.is_admin else FORBIDDEN
