"""Which shard holds a user's rows now, and write transactions that make sure of it.

The bucket map changes while gateways run (`jobs/bucket_move.py` moves buckets between shards).
Two rules keep every process right while it does:

- Writes: each write transaction first reads its bucket's row in the shard's `shard_buckets`
  under a shared lock. A move changes that row under an exclusive lock, so a write commits
  either wholly before a change of state or sees the new state: on a bucket being copied it
  marks its user for the copy to catch up; on a bucket that has left (`moved`) or not arrived
  (`incoming`) it rolls back, reloads the map from the catalog and tries again where the map
  now points, until the bucket is writable somewhere (the move's fence, about a second).
- Reads go where the local map points. A watching process confirms its map with the catalog
  every few seconds, and stops serving shard reads when it could not for LEASE_SECONDS, so a
  move can count on every live reader holding the new map (or none) LEASE_SECONDS after it
  published it.
"""

from __future__ import annotations

import asyncio
import enum
import itertools
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from datasources.sharding import BucketMap, bucket_of
from datasources.sql.bucket_map_store import BucketMapStore
from datasources.sql.engine import DatabaseUnavailable, Dialect, SqlEngine, SqlExecutor

LEASE_SECONDS = 5.0
# How long a write waits for its bucket to become writable before giving up with
# DatabaseUnavailable. A fence lasts well under a second, but up to the lease when a gateway
# died just before the new map was published (the move waits for its lease to run out); a
# crashed move lasts until it is run again.
FENCE_WAIT_SECONDS = LEASE_SECONDS + 2.0
_BOUNCE_BACKOFF_SECONDS = (0.005, 0.01, 0.02, 0.05, 0.1)


class BucketState(enum.StrEnum):
    """A bucket's row in a shard's `shard_buckets`; no row means the shard owns it as ever."""

    OWNED = "owned"
    COPYING = "copying"  # source: its rows are being copied; writes mark their user dirty
    MOVED = "moved"  # source, fenced: the bucket lives elsewhere, its rows are still here
    LEFT = "left"  # source, done: the bucket and its rows are elsewhere
    INCOMING = "incoming"  # target: rows arriving; no writes until the move opens it

    @property
    def writable(self) -> bool:
        return self in (BucketState.OWNED, BucketState.COPYING)


_IN_MOTION = (BucketState.COPYING, BucketState.MOVED, BucketState.INCOMING)


def for_share(dialect: Dialect) -> str:
    # SQLite transactions start with BEGIN IMMEDIATE, which already excludes other writers.
    return "" if dialect is Dialect.SQLITE else " LOCK IN SHARE MODE"


async def bucket_state(tx: SqlExecutor, dialect: Dialect, bucket: int) -> BucketState:
    row = await tx.fetch_one(
        f"SELECT state FROM shard_buckets WHERE bucket = ?{for_share(dialect)}", (bucket,)
    )
    return BucketState.OWNED if row is None else BucketState(row[0])


async def mark_dirty(tx: SqlExecutor, dialect: Dialect, user_id: int, bucket: int) -> None:
    """Records that `user_id`'s rows changed after the copy of their bucket began; the
    generation lets the copier tell a mark it handled from one made since."""
    conflict = (
        "ON CONFLICT (user_id) DO UPDATE SET generation = generation + 1"
        if dialect is Dialect.SQLITE
        else "ON DUPLICATE KEY UPDATE generation = generation + 1"
    )
    await tx.execute(
        f"INSERT INTO bucket_move_dirty (user_id, bucket, generation) VALUES (?, ?, 1) {conflict}",
        (user_id, bucket),
    )


async def refuse_while_buckets_move(tx: SqlExecutor, engine: SqlEngine) -> None:
    """Whole-shard batches (lifecycle jobs), which write rows of every bucket at once, wait out
    a move in or out of the shard: they would change rows the copy has passed. Raises
    DatabaseUnavailable; otherwise holds the states (shared) until `tx` ends."""
    marks = ", ".join("?" for _ in _IN_MOTION)
    row = await tx.fetch_one(
        f"SELECT COUNT(*) FROM shard_buckets WHERE state IN ({marks}){for_share(engine.dialect)}",
        tuple(state.value for state in _IN_MOTION),
    )
    if row is not None and int(row[0]):
        raise DatabaseUnavailable(engine.name, "buckets are moving in or out of this shard", 5.0)


class ShardRouter:
    def __init__(
        self,
        shards: Sequence[SqlEngine],
        bucket_map: BucketMap,
        store: BucketMapStore | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`bucket_map`: the configured map, version 0 until `initialise` reads the catalog's;
        `store`: the catalog's maps (None: `bucket_map` for good)."""
        self.shards = tuple(shards)
        self.store = store
        self._clock = clock
        self._lease_seconds: float | None = None
        self._confirmed_at = clock()
        self.version: int
        self.bucket_map: BucketMap
        self.install(0, bucket_map)

    def install(self, version: int, bucket_map: BucketMap) -> None:
        if bucket_map.shard_count > len(self.shards):
            raise ValueError(
                f"the bucket map (version {version}) names {bucket_map.shard_count} shards,"
                f" {len(self.shards)} configured"
            )
        self.version, self.bucket_map = version, bucket_map

    def hold_lease(self, seconds: float = LEASE_SECONDS) -> None:
        """From now on shard reads need the map confirmed within `seconds` (`confirmed`)."""
        self._lease_seconds = seconds

    def confirmed(self, at: float) -> None:
        """The catalog had no newer map than ours at `at` (a `clock` reading taken before
        asking), and knows we hold it."""
        self._confirmed_at = max(self._confirmed_at, at)

    def shard_index(self, user_id: int) -> int:
        return self.bucket_map.shard_for(user_id)

    def shard_for(self, user_id: int) -> SqlEngine:
        engine = self.shards[self.bucket_map.shard_for(user_id)]
        if (
            self._lease_seconds is not None
            and self._clock() - self._confirmed_at > self._lease_seconds
        ):
            raise DatabaseUnavailable(
                engine.name, "the bucket map could not be confirmed with the catalog", 1.0
            )
        return engine

    async def refresh(self) -> bool:
        """Loads a newer map from the catalog, if there is one; True when it changed."""
        if self.store is None:
            return False
        latest = await self.store.latest_version()
        if latest is None or latest <= self.version:
            return False
        self.install(latest, await self.store.load(latest))
        return True

    async def initialise(self) -> None:
        """The stored map (storing ours as version 1 when the catalog has none)."""
        if self.store is None:
            return
        asked_at = self._clock()
        version, stored = await self.store.latest(self.bucket_map, datetime.now(UTC))
        self.install(version, stored)
        self.confirmed(asked_at)

    @asynccontextmanager
    async def writing(self, user_id: int) -> AsyncIterator[tuple[SqlEngine, SqlExecutor]]:
        """A transaction on the shard that holds `user_id`'s bucket now, with the bucket's
        state locked (shared) until it ends; commits when the block ends."""
        bucket = bucket_of(user_id)
        deadline = self._clock() + FENCE_WAIT_SECONDS
        for attempt in itertools.count():
            engine = self.shard_for(user_id)
            async with engine.transaction() as tx:
                state = await bucket_state(tx, engine.dialect, bucket)
                if state.writable:
                    if state is BucketState.COPYING:
                        await mark_dirty(tx, engine.dialect, user_id, bucket)
                    yield engine, tx
                    return
            if await self.refresh():
                continue
            if self._clock() >= deadline:
                raise DatabaseUnavailable(engine.name, f"bucket {bucket} is being moved", 1.0)
            await asyncio.sleep(_BOUNCE_BACKOFF_SECONDS[min(attempt, 4)])
