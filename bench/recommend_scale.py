"""The recommendation job at scale on MariaDB: wall time, rows/s and peak memory.

    python -m bench.recommend_scale [--users 5000000] [--subscriptions-per-user 2]

Seeds fresh `cgbench_*` databases (a catalog and 4 shards, as `bench.run` does; removed
afterwards) with 10,000 courses and the users' subscriptions (synthetic users with latent
interests), prints each shard's size on disk, then runs `coursegate recommend` as its own
process, so its peak memory is the job's alone, and prints what it reported.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pymysql

from bench.backends_setup import MARIADB, SHARD_DATABASES, mariadb_backend
from datasources.backends import open_backends
from jobs.seed import seed_synthetic
from settings import Settings

COURSES = 10_000
USERS_PER_CHUNK = 1_000_000


async def _seed(settings: Settings, users: int, per_user: int) -> None:
    backends = await open_backends(settings)
    try:
        await backends.migrate()
        for first in range(1, users + 1, USERS_PER_CHUNK):
            chunk = min(USERS_PER_CHUNK, users + 1 - first)
            report = await seed_synthetic(backends, COURSES, chunk, per_user, first)
            print(
                f"seeded users {first:,}..{first + chunk - 1:,}: {report.subscriptions:,} rows"
                f" ({report.subscription_rows_per_second:,.0f} rows/s)",
                flush=True,
            )
    finally:
        await backends.close()


def _shard_sizes() -> dict[str, float]:
    """MiB on disk (data and indexes) per shard database, as InnoDB reports it."""
    connection = pymysql.connect(**MARIADB)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "ANALYZE TABLE " + ", ".join(f"`{d}`.user_typing_courses" for d in SHARD_DATABASES)
            )
            cursor.fetchall()
            cursor.execute(
                "SELECT table_schema, SUM(data_length + index_length)"
                " FROM information_schema.tables"
                f" WHERE table_schema IN ({', '.join(['%s'] * len(SHARD_DATABASES))})"
                " GROUP BY table_schema",
                SHARD_DATABASES,
            )
            return {str(schema): int(size) / 2**20 for schema, size in cursor.fetchall()}
    finally:
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=5_000_000)
    parser.add_argument("--subscriptions-per-user", type=int, default=2)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="cgbench-recommend-") as data_dir,
        mariadb_backend(Path(data_dir)) as backend,
    ):
        started = time.perf_counter()
        asyncio.run(_seed(backend.settings, args.users, args.subscriptions_per_user))
        print(f"seeded in {time.perf_counter() - started:,.0f}s")
        sizes = _shard_sizes()
        for shard, mib in sorted(sizes.items()):
            print(f"{shard}: {mib:,.0f} MiB")
        print(f"all shards: {sum(sizes.values()):,.0f} MiB")
        job = subprocess.run(
            [str(Path(sys.executable).parent / "coursegate"), "recommend"],
            env={**os.environ, **backend.env},
            capture_output=True,
            text=True,
            check=False,
        )
        print(job.stdout.strip() or job.stderr[-2000:])


if __name__ == "__main__":
    main()
