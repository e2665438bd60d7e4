"""How my-subscriptions cost grows with the table: p95 with the cache off at each size.

    python -m bench.growth [--sizes 1000000,10000000] [--subscriptions-per-user 2]
                           [--duration 10]

On MariaDB with 4 shard databases (fresh cgbench_* databases, removed afterwards), seeds
users through jobs.seed up to each size in turn (printing rows/s), starts the gateway with
COURSEGATE_CACHE=off (and no search indexer) pinned to core 0 and drives wrk (32 connections,
core 1) over 1,000 users drawn from the whole population at that size. Writes
bench/results/growth.json.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson

from bench import operations
from bench.backends_setup import BenchBackend, mariadb_and_redis_reachable, mariadb_backend
from bench.dataset import COURSES, ROTATED_USERS, LoadedData
from bench.server_process import running_server
from bench.wrk_driver import ensure_wrk, run_wrk
from datasources.backends import open_backends
from jobs.seed import seed_synthetic
from settings import Settings

GATEWAY_PORT = 18482
WARMUP_SECONDS = 3
NO_SEARCH_URL = "http://127.0.0.1:9"
RESULTS = Path(__file__).with_name("results") / "growth.json"


@dataclass(frozen=True)
class GrowthPoint:
    subscriptions: int
    seeded_rows: int
    seed_seconds: float
    seed_rows_per_second: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.growth", description=__doc__)
    parser.add_argument("--sizes", default="1000000,10000000", help="subscription totals")
    parser.add_argument("--subscriptions-per-user", type=int, default=2)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    return parser.parse_args()


async def _seed(settings: Settings, users: int, per_user: int, first_user_id: int) -> LoadedData:
    backends = await open_backends(settings)
    try:
        await backends.migrate()
        report = await seed_synthetic(backends, COURSES, users, per_user, first_user_id)
    finally:
        await backends.close()
    return LoadedData((), (), report.subscriptions, report.seconds)


def main() -> int:
    args = _arguments()
    sizes = sorted(int(size) for size in args.sizes.split(","))
    per_user = args.subscriptions_per_user
    if not mariadb_and_redis_reachable():
        raise SystemExit("MariaDB at 127.0.0.1:3306 (and Redis) must be up")
    ensure_wrk()
    with tempfile.TemporaryDirectory(prefix="cgbench-growth-") as data_dir:
        with_backend = mariadb_backend(Path(data_dir))
        with with_backend as backend:
            points = _measure_sizes(backend, sizes, per_user, args.duration)
    _report(points)
    return 0


def _measure_sizes(
    backend: BenchBackend, sizes: list[int], per_user: int, duration: int
) -> list[GrowthPoint]:
    points: list[GrowthPoint] = []
    settings = backend.settings
    # A search URL keeps the in-process search indexer from starting: its popularity scan
    # reads every subscription on every shard, and that is not what is measured here.
    env = {**backend.env, "COURSEGATE_CACHE": "off", "COURSEGATE_SEARCH_URL": NO_SEARCH_URL}
    users_so_far = 0
    for size in sizes:
        new_users = size // per_user - users_so_far
        seeded = asyncio.run(_seed(settings, new_users, per_user, users_so_far + 1))
        users_so_far += new_users
        print(
            f"seeded {seeded.subscriptions:,} rows in {seeded.seed_seconds:.1f}s"
            f" ({seeded.rows_per_second:,.0f} rows/s); total {size:,}"
        )
        rotated = random.Random(size).sample(range(1, users_so_far + 1), ROTATED_USERS)
        data = LoadedData((), tuple(rotated), size, 0.0)
        operation = operations.my_subscriptions(data, settings.jwt_secret)
        with running_server("gateway:create_app", GATEWAY_PORT, env, "/healthz") as base:
            url = base + "/graphql"
            run_wrk(url, operation.requests, WARMUP_SECONDS)
            result = run_wrk(url, operation.requests, duration)
        point = GrowthPoint(
            subscriptions=size,
            seeded_rows=seeded.subscriptions,
            seed_seconds=round(seeded.seed_seconds, 1),
            seed_rows_per_second=round(seeded.rows_per_second),
            rps=round(result.rps, 1),
            p50_ms=result.p50_ms,
            p95_ms=result.p95_ms,
            p99_ms=result.p99_ms,
            errors=result.non_2xx + result.socket_errors,
        )
        print(point)
        points.append(point)
    return points


def _report(points: list[GrowthPoint]) -> None:
    print("| subscriptions | seed rows/s | req/s | p50 ms | p95 ms | p99 ms | errors |")
    print("|---|---|---|---|---|---|---|")
    for p in points:
        print(
            f"| {p.subscriptions:,} | {p.seed_rows_per_second:,} | {p.rps:,.0f} | {p.p50_ms:.2f}"
            f" | {p.p95_ms:.2f} | {p.p99_ms:.2f} | {p.errors} |"
        )
    if len(points) > 1 and points[0].p95_ms:
        growth = points[-1].p95_ms / points[0].p95_ms - 1
        print(f"p95 growth from the smallest to the largest size: {growth:+.1%}")
    RESULTS.parent.mkdir(exist_ok=True)
    document = {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cache": "off",
        "backend": "mariadb, 4 shards",
        "points": [asdict(p) for p in points],
    }
    RESULTS.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    raise SystemExit(main())
