"""`persisted_queries` on the catalog database: the documents an operator registered ahead of
time (`coursegate persisted-queries register`), each under the SHA-256 of its text. A hash names
one text forever, so registering again is a no-op."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from datasources.sql.engine import SqlEngine

_CHUNK = 500  # hashes per IN list


class SqlPersistedQueryStore:
    def __init__(self, engine: SqlEngine) -> None:
        self.engine = engine

    async def register(self, documents: Mapping[str, str], now: datetime) -> int:
        """Stores each (sha256 -> document); returns how many were new."""
        if not documents:
            return 0
        hashes = list(documents)
        known: set[str] = set()
        for start in range(0, len(hashes), _CHUNK):
            known |= await self.known(hashes[start : start + _CHUNK])
        rows = [(sha, text, now) for sha, text in documents.items() if sha not in known]
        if rows:
            await self.engine.execute_many(
                f"{self.engine.dialect.insert_ignore} INTO persisted_queries"
                " (sha256, document, registered_at) VALUES (?, ?, ?)",
                rows,
            )
        return len(rows)

    async def get(self, sha256: str) -> str | None:
        row = await self.engine.fetch_one(
            "SELECT document FROM persisted_queries WHERE sha256 = ?", (sha256,)
        )
        return None if row is None else str(row[0])

    async def known(self, hashes: list[str]) -> set[str]:
        rows = await self.engine.fetch_all(
            "SELECT sha256 FROM persisted_queries WHERE sha256 IN"
            f" ({', '.join('?' * len(hashes))})",
            tuple(hashes),
        )
        return {str(row[0]) for row in rows}
