"""The bucket map in the catalog database: every version kept, the newest one in force, and the
version each gateway process last loaded (so a move knows when every reader has the new one).

The first process to open a deployment stores the configured map as version 1; from then on the
stored map wins over the configuration, so adding a shard URL never reshuffles buckets.
"""

from __future__ import annotations

from datetime import datetime

import orjson

from datasources.sharding import BucketMap
from datasources.sql.engine import SqlEngine, SqlExecutor
from datasources.sql.timestamps import from_db_required


def encode_ranges(bucket_map: BucketMap) -> str:
    return orjson.dumps([list(r) for r in bucket_map.ranges()]).decode()


def decode_ranges(raw: str) -> BucketMap:
    return BucketMap.from_ranges([(int(a), int(b), int(s)) for a, b, s in orjson.loads(raw)])


class BucketMapStore:
    def __init__(self, catalog: SqlEngine) -> None:
        self.catalog = catalog

    async def latest_version(self) -> int | None:
        row = await self.catalog.fetch_one("SELECT MAX(version) FROM bucket_map_versions")
        return None if row is None or row[0] is None else int(row[0])

    async def load(self, version: int) -> BucketMap:
        row = await self.catalog.fetch_one(
            "SELECT ranges FROM bucket_map_versions WHERE version = ?", (version,)
        )
        if row is None:
            raise LookupError(f"no bucket map version {version}")
        return decode_ranges(str(row[0]))

    async def latest(self, configured: BucketMap, now: datetime) -> tuple[int, BucketMap]:
        """The map in force; `configured` becomes version 1 when none is stored yet."""
        version = await self.latest_version()
        if version is None:
            await self.catalog.execute(
                f"{self.catalog.dialect.insert_ignore} INTO bucket_map_versions"
                " (version, ranges, move_id, created_at) VALUES (1, ?, NULL, ?)",
                (encode_ranges(configured), now),
            )
            version = await self.latest_version()
            assert version is not None
        return version, await self.load(version)

    async def latest_locked(self, tx: SqlExecutor) -> tuple[int, BucketMap]:
        """The map in force, locked against another publisher until `tx` ends."""
        row = await tx.fetch_one(
            "SELECT version, ranges FROM bucket_map_versions ORDER BY version DESC LIMIT 1"
            f"{self.catalog.dialect.for_update}"
        )
        if row is None:
            raise LookupError("no bucket map is stored yet (run `coursegate migrate`)")
        return int(row[0]), decode_ranges(str(row[1]))

    @staticmethod
    async def publish(
        tx: SqlExecutor, version: int, bucket_map: BucketMap, move_id: int, now: datetime
    ) -> None:
        """Stores `bucket_map` as `version` inside the caller's catalog transaction; a version
        taken by a concurrent publisher fails the insert (and so the transaction)."""
        await tx.execute(
            "INSERT INTO bucket_map_versions (version, ranges, move_id, created_at)"
            " VALUES (?, ?, ?, ?)",
            (version, encode_ranges(bucket_map), move_id, now),
        )

    async def published_by(self, move_id: int) -> tuple[int, datetime] | None:
        """The version a move published, and when."""
        row = await self.catalog.fetch_one(
            "SELECT version, created_at FROM bucket_map_versions WHERE move_id = ?", (move_id,)
        )
        return None if row is None else (int(row[0]), from_db_required(row[1]))

    async def report_reader(self, reader_id: str, version: int, now: datetime) -> None:
        updated = await self.catalog.execute(
            "UPDATE bucket_map_readers SET version = ?, seen_at = ? WHERE reader_id = ?",
            (version, now, reader_id),
        )
        if not updated:
            await self.catalog.execute(
                f"{self.catalog.dialect.insert_ignore} INTO bucket_map_readers"
                " (reader_id, version, seen_at) VALUES (?, ?, ?)",
                (reader_id, version, now),
            )

    async def forget_reader(self, reader_id: str) -> None:
        await self.catalog.execute(
            "DELETE FROM bucket_map_readers WHERE reader_id = ?", (reader_id,)
        )

    async def readers_behind(self, version: int, seen_since: datetime) -> list[str]:
        """Readers heard from since `seen_since` that have not loaded `version` yet."""
        rows = await self.catalog.fetch_all(
            "SELECT reader_id FROM bucket_map_readers WHERE version < ? AND seen_at >= ?",
            (version, seen_since),
        )
        return [str(row[0]) for row in rows]

    async def drop_silent_readers(self, older_than: datetime) -> int:
        """Forgets readers last heard from before `older_than` (processes that died)."""
        return await self.catalog.execute(
            "DELETE FROM bucket_map_readers WHERE seen_at < ?", (older_than,)
        )
