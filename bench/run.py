"""HTTP load benchmark of the gateway's four operations against a ceiling of the same run.

    python -m bench.run [--users 100000] [--backend embedded|mariadb|both] [--duration 10]

Starts the gateway under uvicorn (uvloop, httptools, no access log) pinned to core 0 on the
embedded default and, when reachable, on MariaDB (4 shard databases) + Redis; loads 10,000
courses and the users' subscriptions through jobs.seed; warms up; drives wrk (one thread,
32 connections, pinned to core 1). The ceiling is a minimal Starlette endpoint serving each
operation's response bytes to the same POSTs, measured in the same run. Writes
bench/results/latest.json and prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import cache_metrics, operations
from bench.backends_setup import (
    BenchBackend,
    embedded_backend,
    mariadb_and_redis_reachable,
    mariadb_backend,
)
from bench.ceiling_app import CEILING_DIR_ENV
from bench.dataset import LoadedData, load
from bench.operations import Operation
from bench.report import OperationResult, print_table, write_json
from bench.server_process import running_server
from bench.wrk_driver import CONNECTIONS, LoadResult, ensure_wrk, run_wrk
from http_api import compression

GATEWAY_PORT = 18480
CEILING_PORT = 18481
WARMUP_SECONDS = 3
ERROR_SAMPLE = 50
PRIME_ROUNDS = 2


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--subscriptions-per-user", type=int, default=2)
    parser.add_argument("--backend", choices=("embedded", "mariadb", "both"), default="both")
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument(
        "--operations",
        default="",
        help="comma-separated operation names to measure (default: all), e.g. subscriptions",
    )
    return parser.parse_args()


def _sample_errors(url: str, operation: Operation) -> tuple[int, int, bytes]:
    """(non-2xx, responses with GraphQL errors, first response body) over a sample."""
    non_2xx = graphql_errors = 0
    first = b""
    with httpx.Client(timeout=10) as client:
        for request in operation.requests[:ERROR_SAMPLE]:
            headers = {"content-type": "application/json"}
            if request.authorization:
                headers["authorization"] = request.authorization
            # What wrk sends: no compression unless the operation asks (httpx would ask for br).
            headers["accept-encoding"] = request.accept_encoding or "identity"
            response = client.post(url, content=request.body, headers=headers)
            # As sent: the ceiling serves these bytes, compressed when the gateway's were.
            first = first or _sent_bytes(response)
            non_2xx += not response.is_success
            graphql_errors += b'"errors"' in response.content
    return non_2xx, graphql_errors, first


def _sent_bytes(response: httpx.Response) -> bytes:
    if "content-encoding" not in response.headers:
        return response.content
    encoding = response.headers["content-encoding"]
    return compression.compress(response.content, encoding)


def _prime(url: str, operation: Operation) -> None:
    """Sends every rotated request PRIME_ROUNDS times, so the measured run is warm for all of
    them (a user's answer is stored on their second request), not only for those the timed
    warm-up happened to reach twice."""
    with httpx.Client(timeout=10) as client:
        for _ in range(PRIME_ROUNDS):
            for request in operation.requests:
                headers = {
                    "content-type": "application/json",
                    "accept-encoding": request.accept_encoding or "identity",
                }
                if request.authorization:
                    headers["authorization"] = request.authorization
                client.post(url, content=request.body, headers=headers)


def _measure(url: str, operation: Operation, seconds: int) -> LoadResult:
    run_wrk(url, operation.requests, WARMUP_SECONDS)
    return run_wrk(url, operation.requests, seconds)


def _gateway_runs(
    backend: BenchBackend,
    data: LoadedData,
    seconds: int,
    ceiling_dir: Path,
    notes: list[str],
    only: frozenset[str] = frozenset(),
) -> tuple[list[Operation], dict[str, tuple[LoadResult, int, float | None]]]:
    measured: dict[str, tuple[LoadResult, int, float | None]] = {}
    with running_server("gateway:create_app", GATEWAY_PORT, backend.env, "/healthz") as base:
        search, why = operations.search_operation(base)
        chosen = [
            operations.catalog_page(),
            operations.course_details(data),
            operations.my_subscriptions(data, backend.settings.jwt_secret),
            operations.recommendations(data, backend.settings.jwt_secret),
            operations.lesson(data, backend.settings.jwt_secret),
            operations.compressed(operations.lesson(data, backend.settings.jwt_secret)),
        ]
        if search is None:
            notes.append(f"{backend.name}: search skipped: {why}")
        else:
            chosen.append(search)
        if only:
            chosen = [operation for operation in chosen if operation.name in only]
        for operation in chosen:
            url = base + "/graphql"
            non_2xx, graphql_errors, first_body = _sample_errors(url, operation)
            (ceiling_dir / f"{operation.name}.json").write_bytes(first_body)
            _prime(url, operation)
            run_wrk(url, operation.requests, WARMUP_SECONDS)
            before = cache_metrics.scrape(base)
            result = run_wrk(url, operation.requests, seconds)
            hit_rate = cache_metrics.hit_rate(before, cache_metrics.scrape(base))
            measured[operation.name] = (result, non_2xx + graphql_errors, hit_rate)
            if graphql_errors or non_2xx:
                notes.append(
                    f"{backend.name}/{operation.name}: {non_2xx} non-2xx and {graphql_errors}"
                    f" GraphQL-error responses in a sample of {len(operation.requests[:50])}:"
                    f" {first_body[:300]!r}"
                )
    return chosen, measured


def _bench_backend(
    backend: BenchBackend, args: argparse.Namespace, notes: list[str]
) -> dict[str, OperationResult]:
    data = asyncio.run(load(backend.settings, args.users, args.subscriptions_per_user))
    print(
        f"{backend.name}: seeded {data.subscriptions:,} subscriptions in"
        f" {data.seed_seconds:.1f}s ({data.rows_per_second:,.0f} rows/s)"
    )
    with tempfile.TemporaryDirectory(prefix="cgbench-ceiling-") as ceiling_dir:
        only = frozenset(name for name in args.operations.split(",") if name)
        chosen, measured = _gateway_runs(
            backend, data, args.duration, Path(ceiling_dir), notes, only
        )
        results: dict[str, OperationResult] = {}
        env = {CEILING_DIR_ENV: ceiling_dir}
        with running_server("bench.ceiling_app:create_app", CEILING_PORT, env, "/") as base:
            for operation in chosen:
                ceiling = _measure(f"{base}/ceiling/{operation.name}", operation, args.duration)
                result, sampled_errors, hit_rate = measured[operation.name]
                body = (Path(ceiling_dir) / f"{operation.name}.json").read_bytes()
                results[operation.name] = OperationResult(
                    rps=round(result.rps, 1),
                    p50_ms=result.p50_ms,
                    p95_ms=result.p95_ms,
                    p99_ms=result.p99_ms,
                    errors=result.non_2xx + result.socket_errors + sampled_errors,
                    graphql_errors_sampled=sampled_errors,
                    cache_hit_rate=None if hit_rate is None else round(hit_rate, 4),
                    ceiling_rps=round(ceiling.rps, 1),
                    ceiling_p99_ms=ceiling.p99_ms,
                    ratio=round(result.rps / ceiling.rps, 4) if ceiling.rps else 0.0,
                    response_bytes=len(body),
                )
    return results


def _backends(choice: str, data_dir: Path) -> Iterator[AbstractContextManager[BenchBackend]]:
    if choice in ("embedded", "both"):
        yield embedded_backend(data_dir / "embedded")
    if choice in ("mariadb", "both"):
        if mariadb_and_redis_reachable():
            yield mariadb_backend(data_dir / "mariadb")
        elif choice == "mariadb":
            raise SystemExit("MariaDB at 127.0.0.1:3306 or Redis at 127.0.0.1:6379 is down")
        else:
            print("MariaDB or Redis is not reachable: only the embedded default is measured")


def main() -> int:
    args = _arguments()
    ensure_wrk()
    notes: list[str] = []
    results: dict[str, dict[str, OperationResult]] = {}
    with tempfile.TemporaryDirectory(prefix="cgbench-") as data_dir:
        for context in _backends(args.backend, Path(data_dir)):
            with context as backend:
                results[backend.name] = _bench_backend(backend, args, notes)
    meta: dict[str, Any] = {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "users": args.users,
        "subscriptions_per_user": args.subscriptions_per_user,
        "duration_seconds": args.duration,
        "connections": CONNECTIONS,
        "python": platform.python_version(),
        "pinning": "server on core 0, wrk on core 1",
    }
    print_table(results, notes)
    print(f"wrote {write_json(results, meta, notes)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
