"""Bulk loading of one MariaDB shard's `user_typing_courses` from tab-separated files.

The fast path MariaDB offers for tens of millions of rows: the secondary indexes are dropped,
the files go in with LOAD DATA LOCAL INFILE in primary-key order, and the indexes are built
afterwards in one sorted pass each (`ALTER TABLE ... ADD INDEX`), not row by row.

Which indexes were dropped is written into the table's comment by the same ALTER TABLE that
drops them, so a load that was killed leaves the way back beside the table:
`restore_indexes` (which every load runs first) rebuilds them from there.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import aiomysql

from datasources.sql.mysql_engine import parse_mysql_url

TABLE: Final = "user_typing_courses"
_MARKER: Final = "coursegate bulk load, indexes dropped: "


@dataclass(frozen=True)
class SecondaryIndex:
    name: str
    unique: bool
    columns: tuple[tuple[str, bool], ...]  # (column, descending)

    def definition(self) -> str:
        columns = ", ".join(f"`{c}`{' DESC' if desc else ''}" for c, desc in self.columns)
        kind = "UNIQUE KEY" if self.unique else "KEY"
        return f"{kind} `{self.name}` ({columns})"

    def as_json(self) -> list[Any]:
        return [self.name, self.unique, [list(c) for c in self.columns]]

    @classmethod
    def from_json(cls, value: list[Any]) -> SecondaryIndex:
        name, unique, columns = value
        return cls(str(name), bool(unique), tuple((str(c), bool(d)) for c, d in columns))


@dataclass(frozen=True)
class Footprint:
    rows: int
    data_bytes: int
    index_bytes: int

    @property
    def total_bytes(self) -> int:
        return self.data_bytes + self.index_bytes


async def connect(url: str) -> aiomysql.Connection:
    """A connection that may send local files (LOAD DATA LOCAL INFILE)."""
    return await aiomysql.connect(
        **parse_mysql_url(url), local_infile=True, autocommit=True, charset="utf8mb4"
    )


class ShardLoader:
    """One shard's table, over a connection of its own."""

    def __init__(self, url: str, name: str, connection: aiomysql.Connection) -> None:
        self.url = url
        self.name = name
        self.connection = connection

    @classmethod
    async def open(cls, url: str, name: str) -> ShardLoader:
        return cls(url, name, await connect(url))

    async def reconnect(self) -> None:
        """A statement cancelled midway leaves its connection unusable: the server ends it
        (rolling a LOAD DATA back) when the connection closes."""
        self.close()
        self.connection = await connect(self.url)

    def close(self) -> None:
        self.connection.close()

    async def _rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        async with self.connection.cursor() as cursor:
            await cursor.execute(sql, tuple(params))
            return list(await cursor.fetchall())

    async def _execute(self, sql: str, params: Sequence[object] = ()) -> int:
        async with self.connection.cursor() as cursor:
            return int(await cursor.execute(sql, tuple(params)))

    async def secondary_indexes(self) -> tuple[SecondaryIndex, ...]:
        rows = await self._rows(
            "SELECT INDEX_NAME, NON_UNIQUE, COLUMN_NAME, COLLATION"
            " FROM information_schema.STATISTICS"
            " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s AND INDEX_NAME <> 'PRIMARY'"
            " ORDER BY INDEX_NAME, SEQ_IN_INDEX",
            (TABLE,),
        )
        columns: dict[str, list[tuple[str, bool]]] = {}
        unique: dict[str, bool] = {}
        for name, non_unique, column, collation in rows:
            columns.setdefault(name, []).append((str(column), collation == "D"))
            unique[name] = not int(non_unique)
        return tuple(SecondaryIndex(n, unique[n], tuple(c)) for n, c in columns.items())

    async def dropped_indexes(self) -> tuple[SecondaryIndex, ...]:
        """The indexes an unfinished load dropped, read from the table's comment."""
        rows = await self._rows(
            "SELECT TABLE_COMMENT FROM information_schema.TABLES"
            " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s",
            (TABLE,),
        )
        comment = str(rows[0][0]) if rows else ""
        if not comment.startswith(_MARKER):
            return ()
        return tuple(SecondaryIndex.from_json(i) for i in json.loads(comment[len(_MARKER) :]))

    async def drop_indexes(self) -> tuple[SecondaryIndex, ...]:
        """Drops the secondary indexes and records them in the same statement."""
        indexes = await self.secondary_indexes()
        if not indexes:
            return ()
        record = _MARKER + json.dumps([i.as_json() for i in indexes], separators=(",", ":"))
        drops = ", ".join(f"DROP INDEX `{i.name}`" for i in indexes)
        await self._execute(f"ALTER TABLE {TABLE} {drops}, COMMENT = %s", (record,))
        return indexes

    async def restore_indexes(self) -> tuple[SecondaryIndex, ...]:
        """Builds the indexes a load dropped (none if no load was unfinished)."""
        dropped = await self.dropped_indexes()
        if dropped:
            adds = ", ".join(f"ADD {i.definition()}" for i in dropped)
            await self._execute(f"ALTER TABLE {TABLE} {adds}, COMMENT = ''")
        return dropped

    async def load(self, path: Path, columns: Sequence[str]) -> int:
        """The file's lines (tab-separated, \\N for NULL) as rows; returns how many."""
        names = ", ".join(f"`{c}`" for c in columns)
        return await self._execute(
            f"LOAD DATA LOCAL INFILE %s INTO TABLE {TABLE} ({names})", (str(path),)
        )

    async def has_users_between(self, first: int, last: int) -> bool:
        rows = await self._rows(
            f"SELECT 1 FROM {TABLE} WHERE user_id BETWEEN %s AND %s LIMIT 1", (first, last)
        )
        return bool(rows)

    async def delete_users_between(self, first: int, last: int, batch: int = 50_000) -> int:
        deleted = 0
        while True:
            count = await self._execute(
                f"DELETE FROM {TABLE} WHERE user_id BETWEEN %s AND %s LIMIT {int(batch)}",
                (first, last),
            )
            deleted += count
            if count < batch:
                return deleted

    async def footprint(self) -> Footprint:
        """Rows counted; bytes as InnoDB reports its pages (statistics refreshed first)."""
        await self._execute(f"ANALYZE TABLE {TABLE}")
        counted = await self._rows(f"SELECT COUNT(*) FROM {TABLE}")
        sizes = await self._rows(
            "SELECT DATA_LENGTH, INDEX_LENGTH FROM information_schema.TABLES"
            " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s",
            (TABLE,),
        )
        data, index = sizes[0] if sizes else (0, 0)
        return Footprint(int(counted[0][0]), int(data or 0), int(index or 0))
