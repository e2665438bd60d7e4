"""`coursegate shards status | plan | move`: where the buckets are, an even spread for a shard
count, and moving a range of buckets online (jobs/bucket_move.py)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from tqdm import tqdm

from datasources.backends import Backends, open_backends
from datasources.sharding import BucketMap, check_range, moves_to_even
from datasources.sql.bucket_map_store import BucketMapStore
from datasources.sql.bucket_move_store import BucketMoveRecord, BucketMoveStore
from datasources.sql.mysql_engine import parse_mysql_url
from datasources.topology import mysql_topology
from jobs.bucket_move import BucketMove, MoveRefused, bucket_states
from settings import ConfigurationError, Settings


def parse_buckets(text: str) -> tuple[int, int]:
    """`A-B` (inclusive) or a single bucket `A`."""
    first, _, last = text.partition("-")
    try:
        bounds = int(first), int(last or first)
    except ValueError:
        raise ValueError(f"--buckets takes A-B, like 0-255, not {text!r}") from None
    check_range(*bounds)
    return bounds


def _place(url: str) -> tuple[str, int, str]:
    parts = parse_mysql_url(url)
    return str(parts["host"]), int(parts["port"]), str(parts["db"])


def shard_index(settings: Settings, to: str) -> int:
    """`--to`: a configured shard's URL (its credentials aside), `shard-N` or `N`."""
    name = to.removeprefix("shard-")
    if name.isdigit():
        return int(name)
    topology = mysql_topology(settings)
    if topology is None:
        raise ConfigurationError("buckets move between MariaDB shards; none is configured")
    for index, target in enumerate(topology.shards):
        if _place(target.primary) == _place(to):
            return index
    raise ConfigurationError(
        f"{_shown(to)} is not a configured shard: add it to COURSEGATE_MYSQL_SHARD_URLS (or the"
        " topology file) of every process first, then move buckets to it"
    )


def _shown(url: str) -> str:
    host, port, database = _place(url)
    return f"mysql://{host}:{port}/{database}"


def _ranges(bucket_map: BucketMap) -> str:
    return ", ".join(f"{a}-{b}: shard-{s}" for a, b, s in bucket_map.ranges())


def _report(record: BucketMoveRecord) -> str:
    fence = "-" if record.fence_seconds is None else f"{record.fence_seconds * 1000:.0f} ms"
    return (
        f"move {record.id}: buckets {record.first_bucket}-{record.last_bucket}"
        f" shard-{record.source_shard} -> shard-{record.target_shard}, {record.step}:"
        f" {record.rows_copied:,} rows copied in {record.copy_seconds:.1f} s"
        f" ({record.rows_per_second:,.0f} rows/s), write fence {fence}"
    )


async def _opened(settings: Settings) -> Backends:
    backends = await open_backends(settings)
    await backends.migrate()
    return backends


async def status(settings: Settings) -> int:
    backends = await _opened(settings)
    try:
        maps = BucketMapStore(backends.catalog_engine)
        version = await maps.latest_version()
        assert version is not None, "migrate stores the first map"
        bucket_map = await maps.load(version)
        print(f"bucket map version {version}: {_ranges(bucket_map)}")
        for shard, engine in enumerate(backends.shard_engines):
            print(f"  shard-{shard} ({engine.name}): {bucket_map.buckets_of(shard)} buckets")
        unfinished = await BucketMoveStore(backends.catalog_engine, backends.ids).unfinished()
        if unfinished is not None:
            print(f"unfinished: {_report(unfinished)}")
            first, last = unfinished.first_bucket, unfinished.last_bucket
            for shard, held in enumerate(await bucket_states(backends, first, last)):
                print(f"  shard-{shard}: {', '.join(sorted(held))}")
        return 0
    finally:
        await backends.close()


async def plan(settings: Settings, shard_count: int) -> int:
    backends = await _opened(settings)
    try:
        bucket_map = backends.router.bucket_map
        moves = moves_to_even(bucket_map, shard_count)
        if not moves:
            print(f"the {shard_count} shards are spread evenly already")
        configured = mysql_topology(settings)
        for move in moves:
            to = (
                _shown(configured.shards[move.target].primary)
                if configured is not None and move.target < len(configured.shards)
                else f"shard-{move.target}"
            )
            print(f"coursegate shards move --buckets {move.first}-{move.last} --to {to}")
        if shard_count > len(backends.shard_engines):
            print(
                f"# configure shards {len(backends.shard_engines)}-{shard_count - 1} on every"
                " process before moving buckets to them",
                file=sys.stderr,
            )
        return 0
    finally:
        await backends.close()


async def move(settings: Settings, buckets: str, to: str, batch_rows: int) -> int:
    first, last = parse_buckets(buckets)
    target = shard_index(settings, to)
    backends = await _opened(settings)
    started = datetime.now(UTC)
    try:
        with tqdm(unit=" rows", desc=f"buckets {first}-{last}") as bar:

            def progress(rows: int, _: float) -> None:
                bar.update(rows - bar.n)

            record = await BucketMove(
                backends, first, last, target, batch_rows, progress=progress
            ).run()
            bar.update(record.rows_copied - bar.n)
    except MoveRefused as refused:
        print(f"coursegate shards move: {refused}", file=sys.stderr)
        return 2
    finally:
        await backends.close()
    print(_report(record))
    print(f"done in {(datetime.now(UTC) - started).total_seconds():.1f} s")
    return 0
