"""A bucket move to a new shard under a write load: rows/s of the copy and the longest write fence.

    python -m bench.bucket_move [--users 500000] [--writers 16] [--buckets A-B] [--batch-rows 2000]

Fresh cgbench_* databases of the machine's MariaDB: the bucket map is stored over shards 0-2,
shard 3 is the new one. `--users` users with 2 subscriptions each are seeded (jobs/seed.py),
then the move of `--buckets` (by default the first move `coursegate shards plan --shards 4`
proposes: the buckets of shard 0 above its new share) runs while `--writers` tasks of a second,
gateway-shaped process (its own pools, its own watched bucket map) enrol users of those buckets
one after another, each write timed from call to commit. Both run in this process, so the move
and the load share one core: the rows/s is a floor, not the copy's best.

Prints the move's report (rows copied, copy seconds, rows/s, the fence as the move measured it:
from the source's `moved` to the target's `owned`), then the writes during the move: how many,
failures, p50/p99/max latency; the max is the longest a write waited on the fence. Writes
bench/results/bucket-move.json.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from bench.backends_setup import mariadb_and_redis_reachable, mariadb_backend
from datasources.backends import Backends, open_backends
from datasources.sharding import bucket_of, moves_to_even
from datasources.sql.engine import DatabaseUnavailable
from jobs.bucket_move import BucketMove
from jobs.seed import seed_synthetic
from jobs.shard_commands import parse_buckets
from records.catalog import CourseFilter
from records.subscriptions import NewSubscription

RESULTS = Path(__file__).with_name("results") / "bucket-move.json"
COURSES = 200
FIRST_USER = 1_000_000
WRITER_FIRST_USER = 50_000_000  # enrolled by the load, never seeded


async def _writer(
    gateway: Backends,
    users: list[int],
    course_ids: list[int],
    stop: asyncio.Event,
    latencies: list[float],
    failures: list[str],
) -> None:
    index = 0
    while not stop.is_set():
        user = users[index % len(users)]
        course = course_ids[index % len(course_ids)]
        index += 1
        now = datetime.now(UTC)
        started = time.perf_counter()
        try:
            await gateway.subscriptions.enroll_unless_active(
                NewSubscription(user, course, now, now + timedelta(days=30), "free"), now
            )
        except DatabaseUnavailable as error:
            failures.append(str(error))
            continue
        latencies.append(time.perf_counter() - started)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


async def _run(args: argparse.Namespace, data_dir: Path) -> dict[str, object]:
    with mariadb_backend(data_dir) as backend:
        three = dataclasses.replace(
            backend.settings,
            mysql_shard_urls=backend.settings.mysql_shard_urls[:3],
            cache_enabled=False,
        )
        seeding = await open_backends(three)  # stores the map over shards 0-2
        try:
            await seeding.migrate()
            report = await seed_synthetic(seeding, COURSES, args.users, 2, FIRST_USER)
            print(
                f"seeded {report.subscriptions:,} subscriptions on 3 shards in"
                f" {report.seconds:.0f} s"
            )
            courses = await seeding.uncached_catalog.list_courses(CourseFilter(), None, 20)
            course_ids = [course.id for course in courses]
        finally:
            await seeding.close()
        four = dataclasses.replace(three, mysql_shard_urls=backend.settings.mysql_shard_urls)
        mover_backends = await open_backends(four)
        gateway = await open_backends(four)
        try:
            await mover_backends.migrate()
            if args.buckets:
                first, last = parse_buckets(args.buckets)
                target = 3
            else:
                planned = moves_to_even(mover_backends.router.bucket_map, 4)[0]
                first, last, target = planned.first, planned.last, planned.target
            users = [
                user
                for user in range(WRITER_FIRST_USER, WRITER_FIRST_USER + 200_000)
                if first <= bucket_of(user) <= last
            ][: args.writers * 50]
            stop = asyncio.Event()
            latencies: list[float] = []
            failures: list[str] = []
            writers = [
                asyncio.create_task(
                    _writer(
                        gateway, users[i :: args.writers], course_ids, stop, latencies, failures
                    )
                )
                for i in range(args.writers)
            ]
            started = time.perf_counter()
            record = await BucketMove(mover_backends, first, last, target, args.batch_rows).run()
            seconds = time.perf_counter() - started
            stop.set()
            await asyncio.gather(*writers)
        finally:
            await gateway.close()
            await mover_backends.close()
    fence_ms = (record.fence_seconds or 0.0) * 1000
    writes = {
        "count": len(latencies),
        "failures": len(failures),
        "p50_ms": round(statistics.median(latencies) * 1000, 2) if latencies else None,
        "p99_ms": round(_percentile(latencies, 0.99) * 1000, 2),
        "max_ms": round(max(latencies, default=0.0) * 1000, 2),
    }
    print(
        f"moved buckets {first}-{last} shard-{record.source_shard} -> shard-{target}:"
        f" {record.rows_copied:,} rows copied in {record.copy_seconds:.1f} s"
        f" ({record.rows_per_second:,.0f} rows/s), fence {fence_ms:.0f} ms,"
        f" whole move {seconds:.1f} s"
    )
    print(
        f"writes during the move: {writes['count']:,} ({writes['failures']} failed),"
        f" p50 {writes['p50_ms']} ms, p99 {writes['p99_ms']} ms, longest {writes['max_ms']} ms"
    )
    return {
        "subscriptions_seeded": args.users * 2,
        "buckets": [first, last],
        "rows_copied": record.rows_copied,
        "copy_seconds": round(record.copy_seconds, 2),
        "rows_per_second": round(record.rows_per_second),
        "fence_ms": round(fence_ms, 1),
        "move_seconds": round(seconds, 2),
        "writers": args.writers,
        "writes": writes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=500_000)
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--buckets", help="A-B; default: the plan's first move to shard 3")
    parser.add_argument("--batch-rows", type=int, default=2_000)
    args = parser.parse_args()
    if not mariadb_and_redis_reachable():
        raise SystemExit("MariaDB at 127.0.0.1:3306 and Redis at 127.0.0.1:6379 are needed")
    with tempfile.TemporaryDirectory() as data_dir:
        result = asyncio.run(_run(args, Path(data_dir)))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
