"""Ids arrive from clients as strings; they must be positive 63-bit integers."""

from __future__ import annotations

from resolvers.errors import ClientError, Problem, invalid

MAX_ID = 2**63 - 1


def parse_id(raw: str) -> int | None:
    """The id, or None when `raw` is not one."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ID else None


def _message(field: str) -> str:
    return f"`{field}` must be a positive integer id"


def id_or_problem(raw: str, field: str) -> int | Problem:
    """For mutations, which report bad input as a typed result."""
    value = parse_id(raw)
    return invalid(field, _message(field)) if value is None else value


def require_id(raw: str, field: str) -> int:
    """For queries, which report bad input as a GraphQL error."""
    value = parse_id(raw)
    if value is None:
        raise ClientError(_message(field), field=field)
    return value
