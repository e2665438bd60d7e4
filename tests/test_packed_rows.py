"""A page read as one packed value (MariaDB: one JSON array) is the page read row by row: the
same values, types and order, whatever the text holds; both backends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from datasources.backends import Backends
from datasources.sql.engine import Row, SqlEngine
from datasources.sql.packed_rows import fetch_page
from datasources.sql.timestamps import from_db

COLUMNS = "id, owner, label, at, maybe_at"
TEXTS = ("plain", 'quote " and \\ backslash', "apostrophe ' é ü 漢字 🎹", "", "line\nbreak\ttab")


@pytest.fixture
async def engine(backends: Backends) -> AsyncIterator[SqlEngine]:
    engine = backends.shard_engines[0]
    await engine.execute(
        "CREATE TABLE packed_probe (id BIGINT PRIMARY KEY, owner BIGINT NOT NULL,"
        " label VARCHAR(64) NOT NULL, at DATETIME(6) NOT NULL, maybe_at DATETIME(6) NULL)"
        if engine.dialect == "mysql"
        else "CREATE TABLE packed_probe (id INTEGER PRIMARY KEY, owner INTEGER NOT NULL,"
        " label TEXT NOT NULL, at TEXT NOT NULL, maybe_at TEXT NULL)"
    )
    base = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    for n, label in enumerate(TEXTS):
        # The largest ids a BIGINT holds, a whole second (no fraction digits to lose), a NULL.
        at = base.replace(second=n, microsecond=0 if n % 2 else 123_456 + n)
        await engine.execute(
            "INSERT INTO packed_probe VALUES (?, ?, ?, ?, ?)",
            (2**63 - 1 - n, 7, label, at, None if n % 2 else at),
        )
    await engine.execute(
        "INSERT INTO packed_probe VALUES (?, ?, ?, ?, ?)", (1, 8, "other", base, None)
    )
    try:
        yield engine
    finally:
        await engine.execute("DROP TABLE packed_probe")


def _values(rows: list[Row]) -> list[Row]:
    """Timestamps as the stores read them (from_db), the rest as given."""
    return [(int(r[0]), int(r[1]), r[2], from_db(r[3]), from_db(r[4])) for r in rows]


async def test_a_packed_page_holds_the_rows_a_plain_read_does(engine: SqlEngine) -> None:
    plain = await engine.fetch_all(
        f"SELECT {COLUMNS} FROM packed_probe WHERE owner = ? ORDER BY at DESC, id DESC LIMIT ?",
        (7, 4),
    )
    packed = await fetch_page(
        engine, COLUMNS, "packed_probe WHERE owner = ?", "at DESC, id DESC", (7,), 4
    )
    assert len(packed) == 4
    assert _values(packed) == _values(plain)
    assert [r[2] for r in packed] == list(reversed(TEXTS))[:4]


async def test_a_packed_page_of_every_row_and_of_none(engine: SqlEngine) -> None:
    every = await fetch_page(engine, COLUMNS, "packed_probe WHERE owner = ?", "id", (7,), 100)
    assert [int(r[0]) for r in every] == sorted(2**63 - 1 - n for n in range(len(TEXTS)))
    assert sorted(r[2] for r in every) == sorted(TEXTS)
    assert await fetch_page(engine, COLUMNS, "packed_probe WHERE owner = ?", "id", (9,), 10) == []
