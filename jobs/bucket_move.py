"""Moves a range of buckets from the shard that holds it to another while the gateways serve.

Steps (each recorded in `bucket_moves`; a move run again resumes at the step it reached):
1. copying: the source marks the buckets `copying` (its writers then mark each user they write)
   and the target `incoming`; every user-owned row of the range is copied in key-order
   batches; users written meanwhile are copied again until few are left.
2. fenced: the source marks the buckets `moved`; writes to them now wait (the fence). The last
   marked users are copied; the source cannot change any more, so the target is exact.
3. published: a new bucket map version naming the target is stored in the catalog; the move
   waits until every live gateway reports holding it (or the readers' lease has run out).
4. opened: the target marks the buckets `owned` and the waiting writes go there; the fence is
   over. The source's copies are deleted, and it marks the buckets `left`.

A crash before the fence starts the copy over; from the fence on, the move carries on where it
was. Writes are never lost: until the fence they land on the source and are caught up; during
it they wait; after it they land on the target. Reads stay right: until the new map is held
everywhere, source and target hold the same rows.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from datasources.backends import Backends
from datasources.sql.bucket_copy import BucketCopy, set_states, states
from datasources.sql.bucket_map_store import BucketMapStore
from datasources.sql.bucket_move_store import BucketMoveRecord, BucketMoveStore, MoveStep
from datasources.sql.engine import Dialect, SqlEngine
from datasources.sql.shard_router import LEASE_SECONDS, BucketState

CATCH_UP_PASSES = 8
FENCE_AT_USERS = 200  # marked users left to copy when the fence goes up
MOVE_LOCK = "CONCAT('coursegate_bucket_move:', DATABASE())"
SILENT_READER_AGE = timedelta(hours=1)  # a reader row this old is a process that is gone
_READERS_POLL_SECONDS = 0.02
_PROGRESS_SECONDS = 1.0

# Called at each point where a move has written something durable (tests stop a move there).
Checkpoint = Callable[[str], Awaitable[None]]
Progress = Callable[[int, float], None]  # rows copied so far, seconds spent


class MoveRefused(Exception):
    """The move cannot start as asked; the message says why and what to do."""


async def _no_checkpoint(_: str) -> None:
    return None


def _now() -> datetime:
    return datetime.now(UTC)


class BucketMove:
    def __init__(
        self,
        backends: Backends,
        first: int,
        last: int,
        target: int,
        batch_rows: int = 2_000,
        checkpoint: Checkpoint = _no_checkpoint,
        progress: Progress | None = None,
    ) -> None:
        self._backends = backends
        self._maps = BucketMapStore(backends.catalog_engine)
        self._moves = BucketMoveStore(backends.catalog_engine, backends.ids)
        self.first, self.last, self.target = first, last, target
        self._batch_rows = batch_rows
        self._checkpoint = checkpoint
        self._progress = progress
        self.caught_up_users = 0  # users written during the copy, copied again

    async def run(self) -> BucketMoveRecord:
        """Runs the move, or the unfinished one it names, to the end; one at a time per
        catalog (a named lock on the catalog's server, held by this connection)."""
        catalog = self._backends.catalog_engine
        if catalog.dialect is not Dialect.MYSQL:
            raise MoveRefused("buckets move between MariaDB shards only")
        # No table is read in this transaction, so it holds no snapshot open.
        async with catalog.transaction() as lock:
            held = await lock.fetch_one(f"SELECT GET_LOCK({MOVE_LOCK}, 0)")
            if held is None or held[0] != 1:
                raise MoveRefused("another `coursegate shards move` is running on this catalog")
            try:
                return await self._run()
            finally:
                await lock.fetch_one(f"SELECT RELEASE_LOCK({MOVE_LOCK})")

    async def _run(self) -> BucketMoveRecord:
        record = await self._claim()
        shards = self._backends.shard_engines
        copy = await BucketCopy.between(
            shards[record.source_shard],
            shards[record.target_shard],
            self.first,
            self.last,
            self._batch_rows,
        )
        if record.step is MoveStep.COPYING:
            record = await self._copy(record, copy)
        if record.step is MoveStep.FENCED:
            record = await self._publish(record, copy)
        if record.step is MoveStep.PUBLISHED:
            record = await self._open(record, copy.target)
        if record.step is MoveStep.OPENED:
            record = await self._finish(record, copy)
        return record

    async def _claim(self) -> BucketMoveRecord:
        unfinished = await self._moves.unfinished()
        if unfinished is not None:
            asked = (self.first, self.last, self.target)
            if (unfinished.first_bucket, unfinished.last_bucket, unfinished.target_shard) != asked:
                raise MoveRefused(
                    f"move {unfinished.id} (buckets {unfinished.first_bucket}-"
                    f"{unfinished.last_bucket} to shard-{unfinished.target_shard}) is unfinished;"
                    " run it again to finish it first"
                )
            return unfinished
        await self._maps.drop_silent_readers(_now() - SILENT_READER_AGE)
        if await self._backends.jobs.unfinished_count():
            raise MoveRefused("lifecycle jobs are queued or running; move when they are done")
        if not 0 <= self.target < len(self._backends.shard_engines):
            raise MoveRefused(f"shard-{self.target} is not configured")
        version = await self._maps.latest_version()
        if version is None:
            raise MoveRefused("no bucket map is stored yet (run `coursegate migrate`)")
        bucket_map = await self._maps.load(version)
        sources = set(bucket_map.shard_of_bucket[self.first : self.last + 1])
        if len(sources) != 1:
            raise MoveRefused(
                f"buckets {self.first}-{self.last} lie on shards {sorted(sources)}:"
                " move one shard's buckets at a time (`coursegate shards plan` splits them)"
            )
        (source,) = sources
        if source == self.target:
            raise MoveRefused(f"buckets {self.first}-{self.last} are on shard-{source} already")
        return await self._moves.start(self.first, self.last, source, self.target, _now())

    async def _copy(self, record: BucketMoveRecord, copy: BucketCopy) -> BucketMoveRecord:
        started = time.monotonic()
        await set_states(copy.source, self.first, self.last, BucketState.COPYING, _now())
        await set_states(copy.target, self.first, self.last, BucketState.INCOMING, _now())
        await self._checkpoint("states-set")
        await copy.forget_dirty()
        await copy.delete_rows(copy.target)  # what an earlier, interrupted copy left
        rows, reported = 0, started
        for shape in copy.shapes:
            copied, last_row = await copy.copy_batch(shape, None)
            while copied:
                rows += copied
                await self._checkpoint("copied-batch")
                if time.monotonic() - reported >= _PROGRESS_SECONDS:
                    reported = time.monotonic()
                    await self._moves.copied(record.id, rows, reported - started, _now())
                    if self._progress is not None:
                        self._progress(rows, reported - started)
                copied, last_row = await copy.copy_batch(shape, last_row)
        await self._catch_up(copy, until=FENCE_AT_USERS)
        await self._moves.copied(record.id, rows, time.monotonic() - started, _now())
        await self._checkpoint("caught-up")
        await set_states(copy.source, self.first, self.last, BucketState.MOVED, _now())
        await self._checkpoint("source-fenced")
        await self._moves.fenced(record.id, _now())
        return await self._moves.get(record.id)

    async def _catch_up(self, copy: BucketCopy, until: int) -> None:
        """Copies marked users again, pass after pass, until at most `until` are left (or
        CATCH_UP_PASSES passes did not get there: the fence then catches up the rest)."""
        for _ in range(CATCH_UP_PASSES):
            if len(await copy.dirty_users(limit=until + 1)) <= until:
                return
            # One pass over the users marked now; writers may mark them again meanwhile.
            after = 0
            while page := await copy.dirty_users(after=after):
                await self._copy_again(copy, page)
                after = page[-1][0]

    async def _copy_again(self, copy: BucketCopy, dirty: list[tuple[int, int]]) -> None:
        await copy.catch_up(dirty)
        self.caught_up_users += len(dirty)

    async def _publish(self, record: BucketMoveRecord, copy: BucketCopy) -> BucketMoveRecord:
        while dirty := await copy.dirty_users():
            await self._copy_again(copy, dirty)
        await self._checkpoint("final-catch-up")
        async with self._backends.catalog_engine.transaction() as tx:
            version, bucket_map = await self._maps.latest_locked(tx)
            owners = set(bucket_map.shard_of_bucket[self.first : self.last + 1])
            if owners != {record.source_shard}:
                raise MoveRefused(f"the bucket map changed under move {record.id}: {owners}")
            moved = bucket_map.with_buckets(self.first, self.last, record.target_shard)
            await self._maps.publish(tx, version + 1, moved, record.id, _now())
            await self._moves.published(tx, record.id, _now())
        await self._checkpoint("published")
        await self._backends.router.refresh()
        return await self._moves.get(record.id)

    async def _open(self, record: BucketMoveRecord, target: SqlEngine) -> BucketMoveRecord:
        published = await self._maps.published_by(record.id)
        assert published is not None, "a published move has its map version"
        version, published_at = published
        lease = timedelta(seconds=LEASE_SECONDS)
        # A reader silent for the lease has stopped serving shard reads by itself.
        while _now() < published_at + lease + timedelta(seconds=0.5):
            if not await self._maps.readers_behind(version, published_at - lease):
                break
            await asyncio.sleep(_READERS_POLL_SECONDS)
        await set_states(target, self.first, self.last, BucketState.OWNED, _now())
        await self._checkpoint("target-opened")
        assert record.fenced_at is not None
        fence = (_now() - record.fenced_at).total_seconds()
        await self._moves.opened(record.id, fence, _now())
        return await self._moves.get(record.id)

    async def _finish(self, record: BucketMoveRecord, copy: BucketCopy) -> BucketMoveRecord:
        await copy.delete_rows(copy.source)
        await set_states(copy.source, self.first, self.last, BucketState.LEFT, _now())
        await copy.forget_dirty()
        await self._checkpoint("source-deleted")
        await self._moves.done(record.id, _now())
        return await self._moves.get(record.id)


async def bucket_states(backends: Backends, first: int, last: int) -> list[set[BucketState]]:
    """Each shard's states of buckets first..last (`coursegate shards status`)."""
    return [await states(engine, first, last) for engine in backends.shard_engines]
