"""One shard lost under load, then back: what its users, the other shards' users, the catalog
and search see.

    python -m bench.shard_outage [--users 4000] [--seconds 6] [--connections 32] [--cache off]

The gateway runs in production shape, pinned to core 0: the catalog and shards 0-2 in fresh
cgbench_* databases of the machine's MariaDB, shard 3 in a MariaDB server of the run's own
(tests/mariadb_server.py), Redis, SeaweedFS, and search through the OpenSearch stand-in
(osmem-server). The load (this process, core 1) sends, round robin, `me { subscriptions }` for
users of every shard, a catalog page and a search, over `--connections` connections. After
`--seconds` the shard's server is stopped; `--seconds` later it is started again; the load goes
on for `--seconds` more. With `--cache off` (the default) every subscriptions request reads its
shard, the worst case; with `--cache on` a user whose entry is in Redis is answered without it.

Prints, per phase (by when a request was sent) and per kind of request: requests/s, answered,
SHARD_UNAVAILABLE, other failures (HTTP status not 200, or any other error), p50/p99; and how
long after the restarted server first answers its users are answered again. A request sent just
before the stop, or queued at the end of the outage, can be refused before it or answered after
it. The load is this process's own Python client, and the stand-in shares its core: the rates
show the behaviour under load, not the gateway's capacity. Writes
bench/results/shard-outage.json.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson

from bench.backends_setup import BenchBackend, mariadb_and_redis_reachable, mariadb_backend
from bench.server_process import running_server
from datasources.backends import open_backends
from jobs.indexer import SearchIndexer
from jobs.seed import seed_synthetic
from resolvers.auth import issue_token
from settings import Settings
from tests.mariadb_server import MariaDBServer, mariadbd_installed
from tests.opensearch_server import start_stand_in

GATEWAY_PORT = 18483
LOAD_CORE = 1
COURSES = 200
RESULTS = Path(__file__).with_name("results") / "shard-outage.json"
SUBSCRIPTIONS = "{ me { subscriptions(first: 10) { edges { node { courseId isActive } } } } }"
CATALOG = "{ courses(first: 20) { edges { node { id title price } } } }"
SEARCH = '{ search(query: "typing", first: 10) { totalCount edges { node { course { id } } } } }'
PHASES = ("before", "outage", "after")


@dataclass(frozen=True)
class Sent:
    kind: str  # "lost shard", "other shards", "catalog", "search"
    body: bytes
    authorization: str | None


@dataclass
class Outcome:
    kind: str
    at: float
    seconds: float
    status: int
    code: str | None  # the first error's code; None when answered without errors


@dataclass
class Timeline:
    stop_called: float = 0.0
    stopped: float = 0.0
    start_called: float = 0.0
    started: float = 0.0
    end: float = 0.0
    outcomes: list[Outcome] = field(default_factory=list)

    def phase(self, at: float) -> str | None:
        if at < self.stop_called:
            return "before"
        if self.stopped <= at < self.start_called:
            return "outage"
        if at >= self.started:
            return "after"
        return None  # while the server stops or starts


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.shard_outage", description=__doc__)
    parser.add_argument("--users", type=int, default=4000)
    parser.add_argument("--seconds", type=float, default=6.0, help="each phase's length")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--cache", choices=("on", "off"), default="off")
    return parser.parse_args()


def _moved(backend: BenchBackend, server: MariaDBServer, search_url: str) -> BenchBackend:
    """The backend with its last shard on `server` and search on the stand-in."""
    lost = server.url("lost_shard")
    shards = (*backend.settings.mysql_shard_urls[:-1], lost)
    settings = dataclasses.replace(backend.settings, mysql_shard_urls=shards, search_url=search_url)
    env = {
        **backend.env,
        "COURSEGATE_MYSQL_SHARD_URLS": ",".join(shards),
        "COURSEGATE_SEARCH_URL": search_url,
    }
    return BenchBackend(backend.name, settings, env)


async def _seed(settings: Settings, users: int) -> dict[int, list[int]]:
    """Users by the shard that holds them."""
    backends = await open_backends(settings)
    try:
        await backends.migrate()
        report = await seed_synthetic(backends, COURSES, users, 2, 1)
        print(f"seeded {report.subscriptions:,} subscriptions of {users:,} users")
        await SearchIndexer(backends).rebuild()
        bucket_map = backends.uncached_subscriptions.bucket_map
        by_shard: dict[int, list[int]] = {}
        for user in range(1, users + 1):
            by_shard.setdefault(bucket_map.shard_for(user), []).append(user)
        return by_shard
    finally:
        await backends.close()


def _requests(by_shard: dict[int, list[int]], lost: int, jwt_secret: str) -> list[Sent]:
    def body(query: str) -> bytes:
        return orjson.dumps({"query": query})

    sent: list[Sent] = []
    others = [user for shard, users in by_shard.items() if shard != lost for user in users]
    for lost_user, other_user in zip(by_shard[lost], others, strict=False):
        for kind, user in (("lost shard", lost_user), ("other shards", other_user)):
            token = f"Bearer {issue_token(jwt_secret, user)}"
            sent.append(Sent(kind, body(SUBSCRIPTIONS), token))
        sent.append(Sent("catalog", body(CATALOG), None))
        sent.append(Sent("search", body(SEARCH), None))
    return sent


async def _drive(
    url: str, requests: Sequence[Sent], connections: int, timeline: Timeline, stop: asyncio.Event
) -> None:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=30.0) as http:
        cursor = iter(range(10**12))

        async def worker() -> None:
            while not stop.is_set():
                sent = requests[next(cursor) % len(requests)]
                headers = {"content-type": "application/json"}
                if sent.authorization:
                    headers["authorization"] = sent.authorization
                began = time.monotonic()
                try:
                    response = await http.post(url, content=sent.body, headers=headers)
                    status, code = response.status_code, _first_code(response)
                except httpx.TransportError as error:
                    status, code = 0, type(error).__name__
                timeline.outcomes.append(
                    Outcome(sent.kind, began, time.monotonic() - began, status, code)
                )

        await asyncio.gather(*(worker() for _ in range(connections)))


def _first_code(response: httpx.Response) -> str | None:
    try:
        errors = response.json().get("errors")
    except ValueError:
        return "not JSON"
    if not errors:
        return None
    return str((errors[0].get("extensions") or {}).get("code", "no code"))


async def _run(
    url: str, requests: Sequence[Sent], server: MariaDBServer, args: argparse.Namespace
) -> Timeline:
    timeline = Timeline()
    stop = asyncio.Event()
    load = asyncio.create_task(_drive(url, requests, args.connections, timeline, stop))
    await asyncio.sleep(args.seconds)  # the phases are lengths of time: this is the bench clock
    timeline.stop_called = time.monotonic()
    await asyncio.to_thread(server.stop)
    timeline.stopped = time.monotonic()
    await asyncio.sleep(args.seconds)
    timeline.start_called = time.monotonic()
    await asyncio.to_thread(server.start)
    timeline.started = time.monotonic()
    await asyncio.sleep(args.seconds)
    stop.set()
    await load
    timeline.end = time.monotonic()
    return timeline


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _summary(timeline: Timeline) -> dict[str, object]:
    spans = {
        "before": timeline.stop_called - (timeline.outcomes[0].at if timeline.outcomes else 0.0),
        "outage": timeline.start_called - timeline.stopped,
        "after": timeline.end - timeline.started,
    }
    table: dict[str, dict[str, dict[str, object]]] = {}
    for phase in PHASES:
        for kind in ("lost shard", "other shards", "catalog", "search"):
            chosen = [
                o for o in timeline.outcomes if o.kind == kind and timeline.phase(o.at) == phase
            ]
            answered = [o for o in chosen if o.status == 200 and o.code is None]
            refused = [o for o in chosen if o.status == 200 and o.code == "SHARD_UNAVAILABLE"]
            seconds = [o.seconds * 1000 for o in chosen]
            failures = Counter(
                f"{o.status} {o.code}"
                for o in chosen
                if o.status != 200 or o.code not in (None, "SHARD_UNAVAILABLE")
            )
            table.setdefault(phase, {})[kind] = {
                "requests_per_second": round(len(chosen) / spans[phase], 1) if spans[phase] else 0,
                "answered": len(answered),
                "shard_unavailable": len(refused),
                "other_failures": len(chosen) - len(answered) - len(refused),
                "p50_ms": round(_percentile(seconds, 0.5), 1),
                "p99_ms": round(_percentile(seconds, 0.99), 1),
                "failures": dict(failures),
            }
    back = [
        o.at
        for o in timeline.outcomes
        if o.kind == "lost shard" and o.at >= timeline.started and o.code is None
    ]
    return {
        "phases": table,
        "stop_seconds": round(timeline.stopped - timeline.stop_called, 2),
        "start_seconds": round(timeline.started - timeline.start_called, 2),
        "answered_again_after_seconds": round(min(back) - timeline.started, 3) if back else None,
    }


def _print(summary: dict[str, object]) -> None:
    phases = summary["phases"]
    assert isinstance(phases, dict)
    print(
        f"{'phase':8} {'requests':13} {'req/s':>8} {'answered':>9} {'refused':>8}"
        f" {'other':>6} {'p50 ms':>7} {'p99 ms':>7}"
    )
    for phase, kinds in phases.items():
        for kind, row in kinds.items():
            print(
                f"{phase:8} {kind:13} {row['requests_per_second']:>8} {row['answered']:>9}"
                f" {row['shard_unavailable']:>8} {row['other_failures']:>6}"
                f" {row['p50_ms']:>7} {row['p99_ms']:>7} {row['failures'] or ''}"
            )
    print(
        f"server stop {summary['stop_seconds']} s, start {summary['start_seconds']} s;"
        f" its users answered again {summary['answered_again_after_seconds']} s after it started"
    )


def main() -> int:
    args = _arguments()
    if not mariadb_and_redis_reachable() or not mariadbd_installed():
        raise SystemExit("MariaDB at 127.0.0.1:3306, its mariadbd binaries and Redis are needed")
    os.sched_setaffinity(0, {LOAD_CORE})
    with tempfile.TemporaryDirectory(prefix="cgbench-outage-") as data_dir:
        server = MariaDBServer(Path(data_dir) / "lost-shard")
        server.start()
        stand_in = start_stand_in()
        try:
            server.execute("CREATE DATABASE lost_shard CHARACTER SET utf8mb4")
            with stand_in.cluster() as cluster, mariadb_backend(Path(data_dir)) as backend:
                moved = _moved(backend, server, cluster.url)
                by_shard = asyncio.run(_seed(moved.settings, args.users))
                lost = len(moved.settings.mysql_shard_urls) - 1
                requests = _requests(by_shard, lost, moved.settings.jwt_secret)
                env = {**moved.env, "COURSEGATE_CACHE": args.cache}
                with running_server("gateway:create_app", GATEWAY_PORT, env, "/healthz") as base:
                    timeline = asyncio.run(_run(base + "/graphql", requests, server, args))
        finally:
            stand_in.close()
            server.stop()
    summary = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "users": args.users,
        "connections": args.connections,
        "cache": args.cache,
        "load_average": os.getloadavg(),
        **_summary(timeline),
    }
    _print(summary)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
