"""Ids arrive from clients as strings; they must be positive 63-bit integers."""

from __future__ import annotations

from resolvers.errors import ClientError

MAX_ID = 2**63 - 1


def parse_id(raw: str, field: str) -> int | None:
    """The id, or None when `raw` is not one (callers decide how to report it)."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ID else None


def require_id(raw: str, field: str) -> int:
    value = parse_id(raw, field)
    if value is None:
        raise ClientError(f"`{field}` must be a positive integer id", field=field)
    return value
