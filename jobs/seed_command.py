"""`coursegate seed`: the demo data set, or `--users N` synthetic users (bulk-loaded into
MariaDB shards, with a progress bar, rows/s and the disk each shard takes)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tqdm import tqdm

from datasources.backends import Backends, open_backends
from datasources.topology import mysql_topology
from jobs import analytics_reconcile
from jobs.bulk_seed import BulkOptions, BulkSeedRefused, BulkSeedReport, default_workers
from jobs.seed import SeedReport, seed_demo, seed_synthetic
from settings import Settings

DEMO_HISTORY_DAYS = 365


@dataclass(frozen=True)
class SeedRequest:
    users: int
    subscriptions_per_user: int
    courses: int
    first_user: int
    workers: int | None = None
    buffer_pool_gib: float = 8.0
    redo_log_gib: float = 2.0


async def run_seed(settings: Settings, request: SeedRequest) -> int:
    backends = await open_backends(settings)
    try:
        await backends.migrate()
        if not request.users:
            return await _seed_demo(backends)
        topology = mysql_topology(settings)
        rows = request.users * request.subscriptions_per_user
        with tqdm(total=rows, unit=" rows", unit_scale=True, desc="subscriptions") as bar:
            bulk = None
            if topology is not None:
                bulk = BulkOptions(
                    tuple(shard.primary for shard in topology.shards),
                    workers=request.workers or default_workers(),
                    buffer_pool_bytes=int(request.buffer_pool_gib * 2**30),
                    log_file_bytes=int(request.redo_log_gib * 2**30),
                    progress=bar.update,
                    log=bar.write,
                )
            try:
                report = await seed_synthetic(
                    backends,
                    request.courses,
                    request.users,
                    request.subscriptions_per_user,
                    request.first_user,
                    bulk,
                )
            except BulkSeedRefused as refused:
                print(f"coursegate seed: {refused}", file=sys.stderr)
                return 2
            bar.update(report.subscriptions - bar.n)
        _print_report(report)
        return 0
    finally:
        await backends.close()


async def _seed_demo(backends: Backends) -> int:
    report = await seed_demo(backends)
    if not report.courses:
        print("the catalog already has courses: demo data not loaded again")
        return 0
    _print_report(report)
    # Seeding writes rows, not events: the demo's past days reach analytics this way.
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    history = await analytics_reconcile.reconcile(
        backends, yesterday - timedelta(days=DEMO_HISTORY_DAYS - 1), yesterday
    )
    print(f"analytics: {history.corrected} day counts recounted from the demo's history")
    return 0


def _print_report(report: SeedReport) -> None:
    print(
        f"seeded {report.courses} courses ({report.lessons} lessons) and"
        f" {report.subscriptions:,} subscriptions in {report.seconds:.1f}s"
        f" ({report.subscription_rows_per_second:,.0f} rows/s)"
    )
    if report.bulk is not None:
        _print_bulk(report.bulk)


def _print_bulk(bulk: BulkSeedReport) -> None:
    print(
        f"loading {bulk.load_seconds:.1f}s ({bulk.rows / bulk.load_seconds:,.0f} rows/s),"
        f" secondary indexes {bulk.index_seconds:.1f}s"
    )
    print("| shard | subscriptions | data GiB | indexes GiB | total GiB |")
    print("|---|---|---|---|---|")
    for number, shard in enumerate(bulk.shards):
        print(
            f"| shard-{number} | {shard.rows:,} | {shard.data_bytes / 2**30:.2f}"
            f" | {shard.index_bytes / 2**30:.2f} | {shard.total_bytes / 2**30:.2f} |"
        )
    total = sum(s.total_bytes for s in bulk.shards)
    print(f"disk (InnoDB pages) in all: {total / 2**30:.2f} GiB")
