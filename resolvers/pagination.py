"""Relay-style pages: `first` within bounds, opaque cursors that are checked on the way in."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from resolvers.errors import ClientError

T = TypeVar("T")
MAX_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    cursors: list[str]
    has_next_page: bool


def check_first(first: int) -> int:
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise ClientError(f"`first` must be between 1 and {MAX_PAGE_SIZE}", field="first")
    return first


def encode_cursor(kind: str, *parts: int) -> str:
    text = ":".join([kind, *map(str, parts)])
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str, part_count: int) -> tuple[int, ...]:
    bad = ClientError("`after` is not a cursor this list gave out", field="after")
    if len(cursor) > 200:
        raise bad
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError) as error:
        raise bad from error
    found_kind, *parts = text.split(":")
    if found_kind != kind or len(parts) != part_count or not all(p.isdigit() for p in parts):
        raise bad
    return tuple(int(p) for p in parts)


def encode_time_cursor(kind: str, at: datetime, row_id: int) -> str:
    """A keyset cursor of (an instant to the microsecond, a row id)."""
    return encode_cursor(kind, int(at.timestamp() * 1_000_000), row_id)


def decode_time_cursor(cursor: str, kind: str) -> tuple[datetime, int]:
    micros, row_id = decode_cursor(cursor, kind, 2)
    return datetime.fromtimestamp(micros / 1_000_000, UTC), row_id


def page_of(items: list[T], first: int, cursor_of: Callable[[T], str]) -> Page[T]:
    """`items` was fetched with one extra row to tell whether a next page exists."""
    shown = items[:first]
    return Page(shown, [cursor_of(item) for item in shown], len(items) > first)
