"""How my-subscriptions cost grows with the table: cold (cache off) p50/p95/p99 by size.

    python -m bench.growth [--sizes 1000000,10000000,60000000] [--control 1000000]
                           [--rounds 2] [--duration 10] [--buffer-pool-gib 16]
                           [--small-pool-gib 1]

Two sets of 4 MariaDB shard databases on this server (fresh, removed afterwards): the
control holds `--control` subscriptions for the whole run; the growing set is bulk-seeded
(jobs/bulk_seed.py) up to each size in turn. At each size the control and the size are
measured `--rounds` times, alternating, so that machine noise shows as the control moving.
A measurement starts a gateway (COURSEGATE_CACHE=off, no search indexer) pinned to core 0
and drives wrk (32 connections, core 1) over SAMPLE_USERS users drawn afresh from the whole
population, more than one run's requests, so nearly every request reads a user not read
before in that run.

Then, at the largest size, the same with the buffer pool shrunk to `--small-pool-gib`: reads
that miss it go to the disk (InnoDB reads with O_DIRECT, past the page cache). What one such
read costs is measured on its own: random 16 KiB O_DIRECT reads of a shard's table files.

The popularity model is kept from subscription events (jobs/consumers/popularity.py); there
is no periodic GROUP BY over the subscriptions, and the gateway measured here runs none.
Writes bench/results/growth.json (`points`: one entry per measured size and round).
"""

from __future__ import annotations

import argparse
import asyncio
import mmap
import os
import random
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pymysql

from bench import operations
from bench.backends_setup import (
    MARIADB,
    BenchBackend,
    mariadb_and_redis_reachable,
    mariadb_backend,
)
from bench.dataset import COURSES, LoadedData
from bench.server_process import running_server
from bench.wrk_driver import LoadRequest, LoadResult, ensure_wrk, run_wrk
from datasources.backends import open_backends
from jobs.bulk_seed import BulkOptions
from jobs.seed import seed_synthetic

GATEWAY_PORT = 18482
WARMUP_SECONDS = 3
SAMPLE_USERS = 41_000  # a warm-up's 1,000, then 20,000 for each of CONNECTIONS
CONNECTIONS = (32, 2)
NO_SEARCH_URL = "http://127.0.0.1:9"
PAGE_BYTES = 16 << 10
DISK_READS = 4_000
RESULTS = Path(__file__).with_name("results") / "growth.json"


@dataclass(frozen=True)
class Seeded:
    subscriptions: int  # the set's total afterwards
    added: int
    seconds: float
    index_seconds: float
    disk_bytes: int  # InnoDB pages of the set's user_typing_courses, all shards


@dataclass(frozen=True)
class GrowthPoint:
    subscriptions: int
    role: str  # "size" or "control"
    round: int
    buffer_pool_gib: float
    connections: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int


@dataclass(frozen=True)
class DiskReads:
    reads: int
    p50_us: float
    p99_us: float


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.growth", description=__doc__)
    parser.add_argument("--sizes", default="1000000,10000000,60000000")
    parser.add_argument("--control", type=int, default=1_000_000, help="the control's size")
    parser.add_argument("--subscriptions-per-user", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="measurements per size")
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--buffer-pool-gib", type=float, default=16.0)
    parser.add_argument("--small-pool-gib", type=float, default=1.0, help="0: skip that part")
    return parser.parse_args()


def _server(sql: str) -> tuple[object, ...]:
    connection = pymysql.connect(**MARIADB, autocommit=True)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return tuple(cursor.fetchone() or ())
    finally:
        connection.close()


def _set_buffer_pool(gib: float) -> float:
    """Resizes and waits for the resize to finish; returns the size the server settled on."""
    _server(f"SET GLOBAL innodb_buffer_pool_size = {int(gib * 2**30)}")
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        status = _server("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_resize_status'")
        if not status or not str(status[1]) or "Completed" in str(status[1]):
            break
        time.sleep(0.5)  # polling a server-side resize, not synchronising threads
    return int(str(_server("SELECT @@GLOBAL.innodb_buffer_pool_size")[0])) / 2**30


async def _seed(backend: BenchBackend, users: int, per_user: int, first: int) -> Seeded:
    settings = backend.settings
    backends = await open_backends(settings)
    try:
        await backends.migrate()
        options = BulkOptions(settings.mysql_shard_urls)
        report = await seed_synthetic(backends, COURSES, users, per_user, first, options)
    finally:
        await backends.close()
    bulk = report.bulk
    assert bulk is not None
    total = sum(shard.rows for shard in bulk.shards)
    disk = sum(shard.total_bytes for shard in bulk.shards)
    return Seeded(total, bulk.rows, round(report.seconds, 1), round(bulk.index_seconds, 1), disk)


def _measure(
    backend: BenchBackend, users: int, sample_seed: str, duration: int
) -> dict[int, LoadResult]:
    """At each of CONNECTIONS: the load figure, and (at 2) one near a request's own time."""
    env = {**backend.env, "COURSEGATE_CACHE": "off", "COURSEGATE_SEARCH_URL": NO_SEARCH_URL}
    sample = random.Random(sample_seed).sample(range(1, users + 1), min(SAMPLE_USERS, users))
    results: dict[int, LoadResult] = {}
    with running_server("gateway:create_app", GATEWAY_PORT, env, "/healthz") as base:
        url = base + "/graphql"
        warmup = _requests(backend, sample[:1000])
        run_wrk(url, warmup, WARMUP_SECONDS)
        for number, connections in enumerate(CONNECTIONS):
            # Each run reads users of its own, none read before in this measurement.
            share = sample[1000:][number :: len(CONNECTIONS)]
            results[connections] = run_wrk(url, _requests(backend, share), duration, connections)
    return results


def _requests(backend: BenchBackend, users: list[int]) -> tuple[LoadRequest, ...]:
    data = LoadedData((), tuple(users), len(users), 0.0)
    return operations.my_subscriptions(data, backend.settings.jwt_secret).requests


def _disk_reads(databases: list[str]) -> DiskReads:
    """Random page reads of the shards' table files past every cache (O_DIRECT)."""
    datadir = Path(str(_server("SELECT @@GLOBAL.datadir")[0]))
    files = [
        path
        for database in databases
        for path in (datadir / database).glob("user_typing_courses*.ibd")
        if path.stat().st_size >= PAGE_BYTES * 8
    ]
    buffer = mmap.mmap(-1, PAGE_BYTES)  # page-aligned, as O_DIRECT needs
    rng = random.Random(7)
    latencies: list[float] = []
    for _ in range(DISK_READS):
        path = rng.choice(files)
        pages = path.stat().st_size // PAGE_BYTES
        descriptor = os.open(path, os.O_RDONLY | os.O_DIRECT)
        try:
            offset = rng.randrange(pages) * PAGE_BYTES
            started = time.perf_counter()
            os.preadv(descriptor, [buffer], offset)
            latencies.append((time.perf_counter() - started) * 1e6)
        finally:
            os.close(descriptor)
    cuts = statistics.quantiles(latencies, n=100)
    return DiskReads(len(latencies), round(cuts[49], 1), round(cuts[98], 1))


def main() -> int:
    args = _arguments()
    sizes = sorted(int(size) for size in args.sizes.split(","))
    per_user = args.subscriptions_per_user
    if not mariadb_and_redis_reachable():
        raise SystemExit("MariaDB at 127.0.0.1:3306 (and Redis) must be up")
    ensure_wrk()
    pool_before = float(str(_server("SELECT @@GLOBAL.innodb_buffer_pool_size")[0])) / 2**30
    with (
        tempfile.TemporaryDirectory(prefix="cgbench-growth-") as control_dir,
        tempfile.TemporaryDirectory(prefix="cgbench-growth-") as growing_dir,
        mariadb_backend(Path(control_dir), "cggrowth_control") as control,
        mariadb_backend(Path(growing_dir), "cggrowth") as growing,
    ):
        try:
            document, points = _run(args, sizes, per_user, control, growing)
        finally:
            _set_buffer_pool(pool_before)
    _report(document, points)
    return 0


def _run(
    args: argparse.Namespace,
    sizes: list[int],
    per_user: int,
    control: BenchBackend,
    growing: BenchBackend,
) -> tuple[dict[str, object], list[GrowthPoint]]:
    control_seed = asyncio.run(_seed(control, args.control // per_user, per_user, 1))
    print(f"control: {control_seed}")
    pool = _set_buffer_pool(args.buffer_pool_gib)
    points: list[GrowthPoint] = []
    seeds: list[Seeded] = []
    users = 0

    def measure(size: int, role: str, number: int, backend: BenchBackend) -> None:
        population = size // per_user
        sample_seed = f"{role}:{size}:{number}:{pool}"
        for connections, result in _measure(
            backend, population, sample_seed, args.duration
        ).items():
            point = GrowthPoint(
                size,
                role,
                number,
                round(pool, 2),
                connections,
                round(result.rps, 1),
                result.p50_ms,
                result.p95_ms,
                result.p99_ms,
                result.non_2xx + result.socket_errors,
            )
            print(point)
            points.append(point)

    for size in sizes:
        added = size // per_user - users
        seeded = asyncio.run(_seed(growing, added, per_user, users + 1))
        users += added
        seeds.append(seeded)
        print(f"growing set: {seeded}")
        for number in range(1, args.rounds + 1):
            measure(args.control, "control", number, control)
            measure(size, "size", number, growing)
    largest = sizes[-1]
    if args.small_pool_gib:
        pool = _set_buffer_pool(args.small_pool_gib)
        for number in range(1, args.rounds + 1):
            measure(args.control, "control", number, control)
            measure(largest, "size", number, growing)
    disk = _disk_reads(
        [f"cggrowth_shard_{i}" for i in range(len(growing.settings.mysql_shard_urls))]
    )
    print(f"random 16 KiB O_DIRECT reads: {disk}")
    document = {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cache": "off",
        "backend": "mariadb, 4 shards on one server",
        "machine": {
            "cores": os.cpu_count(),
            "memory_gib": round(
                os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1
            ),
            "load_average_at_end": os.getloadavg(),
        },
        "popularity": "incremental from events; no GROUP BY over subscriptions during the run",
        "sample_users": SAMPLE_USERS,
        "control_seed": asdict(control_seed),
        "seeds": [asdict(s) for s in seeds],
        "disk_reads": asdict(disk),
        "points": [asdict(p) for p in points],
        "ratios": _ratios(points),
    }
    return document, points


def _ratios(points: list[GrowthPoint]) -> dict[str, float]:
    """Per connection count and buffer pool: each size's median p95 over the smallest size's
    (at the first pool), and over the control's median at that pool over the whole run (the
    control moves only with the machine)."""

    def p95(chosen: list[GrowthPoint]) -> float:
        return statistics.median(p.p95_ms for p in chosen) if chosen else 0.0

    ratios: dict[str, float] = {}
    smallest = min(p.subscriptions for p in points if p.role == "size")
    first_pool = points[0].buffer_pool_gib
    for connections in sorted({p.connections for p in points}, reverse=True):
        at = [p for p in points if p.connections == connections]
        base = p95(
            [
                p
                for p in at
                if p.role == "size"
                and p.subscriptions == smallest
                and p.buffer_pool_gib == first_pool
            ]
        )
        for pool in sorted({p.buffer_pool_gib for p in at}, reverse=True):
            here = [p for p in at if p.buffer_pool_gib == pool]
            controls = p95([p for p in here if p.role == "control"])
            for size in sorted({p.subscriptions for p in here if p.role == "size"}):
                value = p95([p for p in here if p.role == "size" and p.subscriptions == size])
                label = f"{connections} connections, pool {pool:g} GiB, p95 at {size:,}"
                if base:
                    ratios[f"{label} / at {smallest:,}"] = round(value / base, 3)
                if controls:
                    ratios[f"{label} / control"] = round(value / controls, 3)
    return ratios


def _report(document: dict[str, object], points: list[GrowthPoint]) -> None:
    print(
        "| subscriptions | role | round | buffer pool GiB | connections | req/s | p50 ms"
        " | p95 ms | p99 ms | errors |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for p in points:
        print(
            f"| {p.subscriptions:,} | {p.role} | {p.round} | {p.buffer_pool_gib:g}"
            f" | {p.connections} | {p.rps:,.0f} | {p.p50_ms:.2f} | {p.p95_ms:.2f}"
            f" | {p.p99_ms:.2f} | {p.errors} |"
        )
    for name, ratio in dict(document["ratios"]).items():  # type: ignore[call-overload]
        print(f"{name}: {ratio:.2f}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    raise SystemExit(main())
