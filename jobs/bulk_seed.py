"""Tens of millions of synthetic subscriptions into MariaDB shards, each shard loaded in
parallel with the fastest path MariaDB has (datasources/sql/bulk_load.py).

Worker processes write each chunk of users as one file per shard (jobs/seed_files.py) while
every shard loads the files done so far over its own connection; then every shard builds its
secondary indexes. The servers' InnoDB settings are raised for the job and put back after.

A load that fails removes the rows it added (the users were checked to have none) and
rebuilds the indexes; one that was killed leaves the dropped indexes recorded in the table's
comment, and the next seed rebuilds them before anything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import secrets
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Final

from datasources.backends import Backends
from datasources.sql.bulk_load import Footprint, ShardLoader
from datasources.sql.mysql_engine import parse_mysql_url
from datasources.sql.server_tuning import (
    BULK_LOG_FILE_BYTES,
    InnodbSettings,
    apply_settings,
    read_settings,
)
from datasources.sql.shard_router import refuse_while_buckets_move
from jobs.seed_files import (
    FILE_COLUMNS,
    Chunk,
    ChunkFiles,
    ShardFile,
    start_worker,
    write_chunk,
)
from records.catalog import Course

CHUNK_USERS: Final = 250_000
QUEUED_FILES: Final = 2
DEFAULT_BUFFER_POOL_BYTES: Final = 8 << 30
_NODES: Final = 1 << 10


class BulkSeedRefused(Exception):
    pass


def default_workers() -> int:
    """One core is left to the database servers, when there are two or more."""
    return max(1, (os.cpu_count() or 2) - 1)


@dataclass(frozen=True)
class BulkOptions:
    shard_urls: tuple[str, ...]
    workers: int = field(default_factory=default_workers)
    buffer_pool_bytes: int = DEFAULT_BUFFER_POOL_BYTES
    log_file_bytes: int = BULK_LOG_FILE_BYTES
    chunk_users: int = CHUNK_USERS
    work_dir: Path | None = None  # for the generated files; the system's temporary directory
    progress: Callable[[int], object] | None = None  # rows loaded since the last call
    log: Callable[[str], None] = print


@dataclass(frozen=True)
class SyntheticUsers:
    """`count` users from `first_id` on, `per_user` subscriptions each, drawn from the
    synthetic model over `courses` (jobs/synthetic_interests.py)."""

    courses: list[Course]
    count: int
    per_user: int
    first_id: int
    now: datetime
    source: str

    @property
    def last_id(self) -> int:
        return self.first_id + self.count - 1


@dataclass(frozen=True)
class ServerTuning:
    server: str
    before: InnodbSettings
    during: InnodbSettings


@dataclass(frozen=True)
class BulkSeedReport:
    rows: int
    load_seconds: float  # generating and loading, overlapped
    index_seconds: float
    shards: tuple[Footprint, ...]
    tuning: tuple[ServerTuning, ...]

    @property
    def seconds(self) -> float:
        return self.load_seconds + self.index_seconds


async def bulk_seed(
    backends: Backends,
    options: BulkOptions,
    users: SyntheticUsers,
) -> BulkSeedReport:
    if len(options.shard_urls) != len(backends.shard_engines):
        raise ValueError("one shard URL per shard engine, in the same order")
    loaders = [
        await ShardLoader.open(url, engine.name)
        for url, engine in zip(options.shard_urls, backends.shard_engines, strict=True)
    ]
    try:
        async with _tuned_servers(options, loaders) as tuning:
            started = time.perf_counter()
            rebuilt = await asyncio.gather(*(loader.restore_indexes() for loader in loaders))
            for loader, indexes in zip(loaders, rebuilt, strict=True):
                if indexes:
                    options.log(
                        f"{loader.name}: rebuilt {len(indexes)} indexes an earlier load left"
                    )
            await _refuse_unless_clear(backends, loaders, users.first_id, users.last_id)
            rows = await _load_without_indexes(backends, options, loaders, users)
            options.log(f"building secondary indexes on {len(loaders)} shards")
            index_started = time.perf_counter()
            await asyncio.gather(*(loader.restore_indexes() for loader in loaders))
            finished = time.perf_counter()
        footprints = await asyncio.gather(*(loader.footprint() for loader in loaders))
        return BulkSeedReport(
            rows, index_started - started, finished - index_started, tuple(footprints), tuning
        )
    finally:
        for loader in loaders:
            loader.close()


async def _refuse_unless_clear(
    backends: Backends, loaders: Sequence[ShardLoader], first: int, last: int
) -> None:
    for engine in backends.shard_engines:
        async with engine.transaction() as tx:
            await refuse_while_buckets_move(tx, engine)
    for loader in loaders:
        if await loader.has_users_between(first, last):
            raise BulkSeedRefused(
                f"{loader.name} has subscriptions of users {first}-{last} already:"
                " seed other users (--first-user), or start from empty shards"
            )


@contextlib.asynccontextmanager
async def _tuned_servers(
    options: BulkOptions, loaders: Sequence[ShardLoader]
) -> AsyncIterator[tuple[ServerTuning, ...]]:
    """Shards on one server share its settings: each server is tuned once, through its first
    shard's connection."""
    by_server: dict[str, ShardLoader] = {}
    for url, loader in zip(options.shard_urls, loaders, strict=True):
        address = parse_mysql_url(url)
        by_server.setdefault(f"{address['host']}:{address['port']}", loader)
    tuning = []
    for server, loader in by_server.items():
        before = await read_settings(loader.connection)
        during = before.for_bulk_load(options.buffer_pool_bytes, options.log_file_bytes)
        await apply_settings(loader.connection, during)
        options.log(f"{server}: {during.describe()} for the load (was {before.describe()})")
        tuning.append(ServerTuning(server, before, during))
    try:
        yield tuple(tuning)
    finally:
        for entry, loader in zip(tuning, by_server.values(), strict=True):
            await apply_settings(loader.connection, entry.before)
            options.log(f"{entry.server}: {entry.before.describe()} again")


async def _load_without_indexes(
    backends: Backends,
    options: BulkOptions,
    loaders: Sequence[ShardLoader],
    users: SyntheticUsers,
) -> int:
    await asyncio.gather(*(loader.drop_indexes() for loader in loaders))
    try:
        return await _generate_and_load(backends, options, loaders, users)
    except BaseException:
        first, last = users.first_id, users.last_id
        options.log(f"the load failed: removing users {first}-{last}'s rows")
        await asyncio.gather(*(loader.reconnect() for loader in loaders))
        await asyncio.gather(*(loader.delete_users_between(first, last) for loader in loaders))
        await asyncio.gather(*(loader.restore_indexes() for loader in loaders))
        raise


def _chunks(users: SyntheticUsers, chunk_users: int, directory: Path) -> list[Chunk]:
    node = secrets.randbelow(_NODES)
    starts = range(users.first_id, users.last_id + 1, chunk_users)
    return [
        Chunk(
            number,
            first,
            min(chunk_users, users.last_id + 1 - first),
            users.per_user,
            directory,
            (node + number) % _NODES,
        )
        for number, first in enumerate(starts)
    ]


async def _generate_and_load(
    backends: Backends,
    options: BulkOptions,
    loaders: Sequence[ShardLoader],
    users: SyntheticUsers,
) -> int:
    """Workers write chunks while each shard loads its files; at most workers + 1 chunks are
    being written and QUEUED_FILES files wait per shard, which bounds the disk used."""
    loop = asyncio.get_running_loop()
    queues: list[asyncio.Queue[ShardFile | None]] = [asyncio.Queue(QUEUED_FILES) for _ in loaders]
    loaded = [0] * len(loaders)

    async def hand_over(files: ChunkFiles) -> None:
        for file in files.files:
            await queues[file.shard].put(file)

    async def write_chunks(pool: ProcessPoolExecutor, directory: Path) -> None:
        writing: set[asyncio.Future[ChunkFiles]] = set()
        try:
            for chunk in _chunks(users, options.chunk_users, directory):
                if len(writing) > options.workers:
                    done, writing = await asyncio.wait(writing, return_when=asyncio.FIRST_COMPLETED)
                    for future in done:
                        await hand_over(future.result())
                writing.add(loop.run_in_executor(pool, write_chunk, chunk))
            for future in asyncio.as_completed(writing):
                await hand_over(await future)
        finally:
            for future in writing:
                future.cancel()  # a loader failed: no chunk is wanted any more
        for queue in queues:
            await queue.put(None)

    async def load_files(shard: int) -> None:
        while (file := await queues[shard].get()) is not None:
            rows = await loaders[shard].load(file.path, FILE_COLUMNS)
            file.path.unlink()
            if rows != file.rows:
                # LOAD DATA LOCAL skips a duplicate key with a warning rather than failing.
                raise RuntimeError(
                    f"{loaders[shard].name} took {rows} of {file.path.name}'s {file.rows} rows"
                )
            loaded[shard] += rows
            if options.progress is not None:
                options.progress(rows)

    with tempfile.TemporaryDirectory(prefix="coursegate-seed-", dir=options.work_dir) as path:
        pool = ProcessPoolExecutor(
            options.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=start_worker,
            initargs=(users.courses, backends.router.bucket_map, users.now, users.source),
        )
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(write_chunks(pool, Path(path)))
                for shard in range(len(loaders)):
                    group.create_task(load_files(shard))
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None
        finally:
            # Before the directory goes: a chunk being written finishes first.
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
    return sum(loaded)
