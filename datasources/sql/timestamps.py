"""Timestamps are stored as naive UTC with microseconds in both dialects."""

from __future__ import annotations

from datetime import UTC, datetime

_SQLITE_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def to_db(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


def to_sqlite_text(value: datetime) -> str:
    # Fixed width, so text comparison in SQL orders like time.
    return to_db(value).strftime(_SQLITE_FORMAT)


def from_db(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        # SQLite's text, and MariaDB's inside JSON (packed_rows.py): fromisoformat is C.
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)


def from_db_required(value: datetime | str) -> datetime:
    parsed = from_db(value)
    assert parsed is not None
    return parsed
