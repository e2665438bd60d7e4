"""The cold path per core, side by side with a peer: Coursegate against PostGraphile 5.

    python -m bench.cold [--users 20000] [--subscriptions-per-user 10] [--rounds 3]
                         [--duration 10]

One core for the whole stack: the server under test on core 0 with the databases it reads
(MariaDB and Redis for Coursegate, PostgreSQL for the peer) pinned there too for the run
(bench/pinning.py), wrk on core 1 at 32 connections. The data: 10,000 courses and `--users`
users with `--subscriptions-per-user` subscriptions each, bulk-seeded into fresh MariaDB shard
databases and copied into a fresh PostgreSQL database for the peer (bench/peer_server.py).

Cases, each warmed up for 3 s, then measured; the rounds alternate the servers:
- catalog: a page of 20 courses, 7 fields;
- subscriptions: one user's subscriptions with each one's course title, rotated over every
  user (each request's user is signed in with a token on Coursegate; the peer is given the
  user's id as a variable: no token check, no per-request transaction, which favours it);
- Coursegate with the cache on, each request a user not read before (a fresh cache prefix
  per round; the warm-up's users are not measured); the hit rate shows how cold it was;
- Coursegate only: a home screen's one document (HOME_QUERY: the catalog page, my
  subscriptions, the categories and search suggestions, with a fragment, aliases, variables
  and @include) and each of its parts alone, with the cache off (every user) and on (1,000
  users, each read before), on the embedded search index. Its cost on the core (1 / req/s)
  over the sum of its parts' is the figure to keep at or under 1.5.

Before measuring, both servers' answers for the catalog page and for a sample of users are
compared field by field: the bench refuses to measure servers that answer different data.
Writes the `cold` and `peer` sections of bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench import cache_metrics, operations
from bench.backends_setup import (
    BenchBackend,
    mariadb_and_redis_reachable,
    mariadb_backend,
)
from bench.dataset import COURSES
from bench.peer_server import (
    create_peer_database,
    drop_peer_database,
    ensure_installed,
    running_postgraphile,
)
from bench.pinning import pinned
from bench.report import write_sections
from bench.server_process import running_server
from bench.wrk_driver import LoadRequest, LoadResult, ensure_wrk, run_wrk
from datasources.backends import open_backends
from jobs.bulk_seed import BulkOptions
from jobs.indexer import SearchIndexer
from jobs.seed import seed_synthetic
from resolvers.auth import issue_token

GATEWAY_PORT = 18483
PEER_PORT = 18484
PREFIX = "cgcold"
PEER_DATABASE = "cgcold_peer"
WARMUP_SECONDS = 3
WARMUP_USERS = 1_000
COMPARED_USERS = 20
NO_SEARCH_URL = "http://127.0.0.1:9"

# All of a user's subscriptions (the peer has no filter on a computed state), so each of the
# two servers answers a user's 10 rows.
SUBSCRIPTIONS_QUERY = (
    "query MySubscriptions { me { subscriptions(first: 20, status: ALL) { edges { node "
    "{ id courseId enrolledAt expiresAt state daysLeft course { title } } } } } }"
)
# A frontend's home screen in one document: fragments, aliases, variables and @include.
HOME_QUERY = (
    "query Home($first: Int!, $prefix: String!, $withSuggestions: Boolean!) {"
    " catalog: courses(first: $first) { edges { node { ...CourseCard } } }"
    " me { subscriptions(first: 20, status: ALL) { edges { node { id courseId enrolledAt"
    " expiresAt state daysLeft course { title } } } } }"
    " categories { category courseCount }"
    " suggestions: autocomplete(prefix: $prefix, first: 8) @include(if: $withSuggestions)"
    " { id title score } }"
    " fragment CourseCard on Course { id title category difficulty price validityDays isFree }"
)
# Its parts, each alone, selecting the same fields.
HOME_PARTS = {
    "catalog": (
        "query CatalogPage($first: Int!) { courses(first: $first) { edges { node"
        " { id title category difficulty price validityDays isFree } } } }"
    ),
    "subscriptions": SUBSCRIPTIONS_QUERY,
    "categories": "query Categories { categories { category courseCount } }",
    "suggestions": (
        "query Suggestions($prefix: String!) { autocomplete(prefix: $prefix, first: 8)"
        " { id title score } }"
    ),
}
PREFIXES = ("typ", "spe", "hin", "acc", "exa", "dat", "pyt", "key")
PEER_CATALOG_QUERY = (
    "query CatalogPage { allTypingCourses(first: 20, condition: {isActive: true},"
    " orderBy: PRIMARY_KEY_ASC) { edges { node"
    " { rowId title category difficulty pricePaise validityDays isFree } } } }"
)
PEER_SUBSCRIPTIONS_QUERY = (
    "query MySubscriptions($user: BigInt!) { allUserTypingCourses(first: 20,"
    " condition: {userId: $user}, orderBy: [ENROLLED_AT_DESC, PRIMARY_KEY_DESC]) { edges"
    " { node { rowId typingCourseId enrolledAt expiresAt state daysLeft"
    " typingCourseByTypingCourseId { title } } } } }"
)


@dataclass(frozen=True)
class ColdPoint:
    server: str  # "coursegate" or "postgraphile"
    case: str
    cache: str  # "off", "on (users not read before)" or "none" (the peer has none)
    round: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    cache_hit_rate: float | None = None


@dataclass(frozen=True)
class Workload:
    """The requests of each case, for each server."""

    catalog: tuple[LoadRequest, ...]
    subscriptions: tuple[LoadRequest, ...]
    # Coursegate's cache-on case: the warm-up's users, then the measured ones (disjoint).
    warmup_users: tuple[LoadRequest, ...] = ()
    unread_users: tuple[LoadRequest, ...] = ()


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.cold", description=__doc__)
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--subscriptions-per-user", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    return parser.parse_args()


def _body(query: str, variables: dict[str, Any] | None = None) -> bytes:
    return orjson.dumps({"query": query, "variables": variables or {}})


def _workloads(backend: BenchBackend, users: list[int]) -> tuple[Workload, Workload]:
    """(Coursegate's, the peer's), over the same users in the same order."""

    def signed_in(chosen: list[int]) -> tuple[LoadRequest, ...]:
        secret = backend.settings.jwt_secret
        body = _body(SUBSCRIPTIONS_QUERY)
        return tuple(LoadRequest(body, f"Bearer {issue_token(secret, user)}") for user in chosen)

    coursegate = Workload(
        operations.catalog_page().requests,
        signed_in(users),
        signed_in(users[:WARMUP_USERS]),
        signed_in(users[WARMUP_USERS:]),
    )
    peer = Workload(
        (LoadRequest(_body(PEER_CATALOG_QUERY)),),
        tuple(LoadRequest(_body(PEER_SUBSCRIPTIONS_QUERY, {"user": str(user)})) for user in users),
    )
    return coursegate, peer


async def _seed(backend: BenchBackend, users: int, per_user: int) -> int:
    backends = await open_backends(backend.settings)
    try:
        await backends.migrate()
        options = BulkOptions(backend.settings.mysql_shard_urls)
        report = await seed_synthetic(backends, COURSES, users, per_user, 1, options)
        # The home query's suggestions read the embedded index (the gateway's own, unindexed
        # until rebuilt: it follows the event log from now on).
        await SearchIndexer(backends).rebuild()
    finally:
        await backends.close()
    return report.subscriptions


def _post(url: str, request: LoadRequest) -> dict[str, Any]:
    headers = {"content-type": "application/json", "accept-encoding": "identity"}
    if request.authorization:
        headers["authorization"] = request.authorization
    response = httpx.post(url, content=request.body, headers=headers, timeout=10)
    answer: dict[str, Any] = response.json()
    if not response.is_success or answer.get("errors"):
        raise SystemExit(f"{url} answered {response.status_code}: {response.text[:500]}")
    return answer


def _catalog_rows(answer: dict[str, Any], peer: bool) -> list[tuple[object, ...]]:
    data = answer["data"]
    edges = (data["allTypingCourses"] if peer else data["courses"])["edges"]
    return [
        (
            str(node["rowId" if peer else "id"]),
            node["title"],
            str(node["category"]).upper(),
            str(node["difficulty"]).upper(),
            int(node["pricePaise" if peer else "price"]),
            node["validityDays"],
            node["isFree"],
        )
        for node in (edge["node"] for edge in edges)
    ]


def _subscription_rows(answer: dict[str, Any], peer: bool) -> list[tuple[object, ...]]:
    data = answer["data"]
    edges = data["allUserTypingCourses"]["edges"] if peer else data["me"]["subscriptions"]["edges"]

    def moment(value: str | None) -> datetime | None:
        return None if value is None else datetime.fromisoformat(value)

    rows: list[tuple[object, ...]] = []
    for node in (edge["node"] for edge in edges):
        course = node["typingCourseByTypingCourseId" if peer else "course"]
        rows.append(
            (
                str(node["rowId" if peer else "id"]),
                str(node["typingCourseId" if peer else "courseId"]),
                moment(node["enrolledAt"]),
                moment(node["expiresAt"]),
                node["state"],
                node["daysLeft"],
                course["title"],
            )
        )
    return rows


def _compare(coursegate_url: str, peer_url: str, ours: Workload, theirs: Workload) -> int:
    """Refuses to go on unless both servers answer the same rows; returns the rows compared."""
    compared = 0
    pairs: list[tuple[LoadRequest, LoadRequest, Callable[..., list[tuple[object, ...]]]]] = [
        (ours.catalog[0], theirs.catalog[0], _catalog_rows)
    ]
    pairs += [
        (mine, peer, _subscription_rows)
        for mine, peer in zip(
            ours.subscriptions[:COMPARED_USERS], theirs.subscriptions, strict=False
        )
    ]
    for mine, peer, rows_of in pairs:
        expected = rows_of(_post(peer_url, peer), True)
        got = rows_of(_post(coursegate_url, mine), False)
        if got != expected or not got:
            raise SystemExit(f"the servers answer differently:\n{got}\n{expected}")
        compared += len(got)
    return compared


def _load(url: str, requests: tuple[LoadRequest, ...], seconds: int) -> LoadResult:
    run_wrk(url, requests, WARMUP_SECONDS)
    return run_wrk(url, requests, seconds)


def _point(
    server: str, case: str, cache: str, number: int, result: LoadResult, hit: float | None = None
) -> ColdPoint:
    point = ColdPoint(
        server,
        case,
        cache,
        number,
        round(result.rps, 1),
        result.p50_ms,
        result.p95_ms,
        result.p99_ms,
        result.non_2xx + result.socket_errors,
        None if hit is None else round(hit, 4),
    )
    print(point)
    return point


@contextmanager
def _gateway(
    backend: BenchBackend, cache: str, prefix_suffix: str = "", search: bool = False
) -> Iterator[str]:
    """`search`: on the embedded index; otherwise pointed at a closed port, so that no
    indexer runs beside the measured requests."""
    env = {**backend.env, "COURSEGATE_CACHE": cache}
    if not search:
        env["COURSEGATE_SEARCH_URL"] = NO_SEARCH_URL
    # A cache prefix of the run's own (under the backend's, which is cleaned up afterwards).
    env["COURSEGATE_CACHE_PREFIX"] = backend.env["COURSEGATE_CACHE_PREFIX"] + prefix_suffix
    with running_server("gateway:create_app", GATEWAY_PORT, env, "/healthz") as base:
        yield base


def _round(
    number: int, backend: BenchBackend, ours: Workload, theirs: Workload, seconds: int
) -> list[ColdPoint]:
    points: list[ColdPoint] = []
    servers = ("coursegate", "postgraphile")
    for server in servers if number % 2 else tuple(reversed(servers)):
        if server == "coursegate":
            with _gateway(backend, "off") as base:
                url = base + "/graphql"
                for case, requests in (
                    ("catalog", ours.catalog),
                    ("subscriptions", ours.subscriptions),
                ):
                    points.append(
                        _point(server, case, "off", number, _load(url, requests, seconds))
                    )
        else:
            with running_postgraphile(PEER_DATABASE, PEER_PORT) as url:
                for case, requests in (
                    ("catalog", theirs.catalog),
                    ("subscriptions", theirs.subscriptions),
                ):
                    points.append(
                        _point(server, case, "none", number, _load(url, requests, seconds))
                    )
    with _gateway(backend, "on", f"round{number}:") as base:
        url = base + "/graphql"
        run_wrk(url, ours.warmup_users, WARMUP_SECONDS)
        before = cache_metrics.scrape(base)
        result = run_wrk(url, ours.unread_users, seconds)
        hit = cache_metrics.hit_rate(before, cache_metrics.scrape(base))
        cache = "on (users not read before)"
        points.append(_point("coursegate", "subscriptions", cache, number, result, hit))
    return points


def _home_requests(backend: BenchBackend, users: list[int]) -> dict[str, tuple[LoadRequest, ...]]:
    """The home query and each of its parts alone, over the same users and prefixes."""
    secret = backend.settings.jwt_secret

    def variables(number: int) -> dict[str, Any]:
        return {"first": 20, "prefix": PREFIXES[number % len(PREFIXES)], "withSuggestions": True}

    def token(user: int) -> str:
        return f"Bearer {issue_token(secret, user)}"

    home = tuple(
        LoadRequest(_body(HOME_QUERY, variables(n)), token(user)) for n, user in enumerate(users)
    )
    parts = {
        "catalog": (LoadRequest(_body(HOME_PARTS["catalog"], {"first": 20})),),
        "subscriptions": tuple(
            LoadRequest(_body(HOME_PARTS["subscriptions"]), token(user)) for user in users
        ),
        "categories": (LoadRequest(_body(HOME_PARTS["categories"])),),
        "suggestions": tuple(
            LoadRequest(_body(HOME_PARTS["suggestions"], {"prefix": prefix})) for prefix in PREFIXES
        ),
    }
    return {"home": home, **{f"home part: {name}": r for name, r in parts.items()}}


def _home_round(
    number: int, backend: BenchBackend, users: list[int], seconds: int
) -> list[ColdPoint]:
    """Cold: cache off, over every user. Warm: cache on, over WARMUP_USERS users, each read
    before (the warm-up reads them all)."""
    points: list[ColdPoint] = []
    for cache, chosen, label in (
        ("off", users, "off"),
        ("on", users[:WARMUP_USERS], "on (users read before)"),
    ):
        cases = _home_requests(backend, chosen)
        with _gateway(backend, cache, f"home{number}:", search=True) as base:
            url = base + "/graphql"
            for request in (r[0] for r in cases.values()):
                _post(url, request)  # each answers without errors
            if not _post(url, cases["home"][0])["data"]["suggestions"]:
                raise SystemExit("the home query's suggestions are empty: no search index")
            for case, requests in cases.items():
                result = _load(url, requests, seconds)
                points.append(_point("coursegate", case, label, number, result))
    return points


def _home_ratios(points: list[ColdPoint]) -> dict[str, float]:
    """Per cache setting: the home query's cost on the core (1 / its req/s) over the sum of its
    parts' costs, each from the medians of the rounds. Goal: at most 1.5."""
    ratios: dict[str, float] = {}
    for cache in sorted({p.cache for p in points if p.case == "home"}):

        def cost(case: str, cache: str = cache) -> float:
            rps = [p.rps for p in points if p.case == case and p.cache == cache]
            return 1 / statistics.median(rps) if rps and min(rps) > 0 else 0.0

        parts = sum(cost(f"home part: {name}") for name in HOME_PARTS)
        if parts:
            ratios[f"home / sum of its parts, cache {cache}"] = round(cost("home") / parts, 3)
    return ratios


def _medians(points: list[ColdPoint]) -> dict[str, dict[str, float | None]]:
    keys = sorted({(p.server, p.case, p.cache) for p in points})
    medians: dict[str, dict[str, float | None]] = {}
    for server, case, cache in keys:
        chosen = [p for p in points if (p.server, p.case, p.cache) == (server, case, cache)]
        hits = [p.cache_hit_rate for p in chosen if p.cache_hit_rate is not None]
        medians[f"{server} {case} (cache {cache})"] = {
            "rps": round(statistics.median(p.rps for p in chosen), 1),
            "p50_ms": round(statistics.median(p.p50_ms for p in chosen), 2),
            "p99_ms": round(statistics.median(p.p99_ms for p in chosen), 2),
            "errors": sum(p.errors for p in chosen),
            "cache_hit_rate": round(statistics.median(hits), 4) if hits else None,
        }
    return medians


def _ratios(points: list[ColdPoint]) -> dict[str, float]:
    """Coursegate's req/s over the peer's, per case, from the medians of the rounds."""

    def rps(server: str, case: str, cache: str) -> float:
        chosen = [p.rps for p in points if (p.server, p.case, p.cache) == (server, case, cache)]
        return statistics.median(chosen) if chosen else 0.0

    ratios: dict[str, float] = {}
    for case in ("catalog", "subscriptions"):
        peer = rps("postgraphile", case, "none")
        if peer:
            ratios[f"{case}, cache off"] = round(rps("coursegate", case, "off") / peer, 3)
    peer = rps("postgraphile", "subscriptions", "none")
    cold_on = rps("coursegate", "subscriptions", "on (users not read before)")
    if peer and cold_on:
        ratios["subscriptions, cache on, users not read before"] = round(cold_on / peer, 3)
    return ratios


def main() -> int:
    args = _arguments()
    if not mariadb_and_redis_reachable():
        raise SystemExit("MariaDB at 127.0.0.1:3306 (and Redis) must be up")
    ensure_wrk()
    ensure_installed()
    users = list(range(1, args.users + 1))
    random.Random(11).shuffle(users)
    with (
        tempfile.TemporaryDirectory(prefix="cgbench-cold-") as data_dir,
        mariadb_backend(Path(data_dir), PREFIX) as backend,
    ):
        seeded = asyncio.run(_seed(backend, args.users, args.subscriptions_per_user))
        settings = backend.settings
        catalog = str(settings.mysql_catalog_url).rsplit("/", 1)[1]
        shards = [url.rsplit("/", 1)[1] for url in settings.mysql_shard_urls]
        copied = create_peer_database(PEER_DATABASE, catalog, shards)
        print(f"seeded {seeded:,} subscriptions; the peer holds a copy of {copied:,}")
        ours, theirs = _workloads(backend, users)
        try:
            with pinned(0):
                with (
                    _gateway(backend, "off") as base,
                    running_postgraphile(PEER_DATABASE, PEER_PORT) as peer_url,
                ):
                    compared = _compare(base + "/graphql", peer_url, ours, theirs)
                print(f"both servers answered the same {compared} rows")
                points = [
                    point
                    for number in range(1, args.rounds + 1)
                    for point in (
                        *_round(number, backend, ours, theirs, args.duration),
                        *_home_round(number, backend, users, args.duration),
                    )
                ]
        finally:
            drop_peer_database(PEER_DATABASE)
    _report(args, seeded, compared, points)
    return 0


def _report(args: argparse.Namespace, seeded: int, compared: int, points: list[ColdPoint]) -> None:
    medians = _medians(points)
    ratios = _ratios(points)
    print("| server, case (cache) | req/s | p50 ms | p99 ms | errors | cache hit |")
    print("|---|---|---|---|---|---|")
    for name, m in medians.items():
        hit = "-" if m["cache_hit_rate"] is None else f"{m['cache_hit_rate']:.1%}"
        print(
            f"| {name} | {m['rps']:,.0f} | {m['p50_ms']} | {m['p99_ms']} | {m['errors']} | {hit} |"
        )
    for name, ratio in ratios.items():
        print(f"Coursegate / PostGraphile req/s, {name}: {ratio:.2f}")
    home = _home_ratios(points)
    for name, ratio in home.items():
        print(f"{name}: {ratio:.2f}")
    machine = {
        "cores": os.cpu_count(),
        "load_average_at_end": os.getloadavg(),
        "stack": "server and its databases pinned to core 0; wrk -t1 -c32 on core 1",
    }
    cold = {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python -m bench.cold "
        + " ".join(f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items()),
        "machine": machine,
        "subscriptions": seeded,
        "rows_compared_between_servers": compared,
        "medians": {k: v for k, v in medians.items() if k.startswith("coursegate")},
        "home_query": HOME_QUERY,
        "home_cost_over_parts": home,
        "points": [asdict(p) for p in points if p.server == "coursegate"],
    }
    peer = {
        "server": "PostGraphile 5.1.5 (Amber preset) on Node 22.23.3 over PostgreSQL 15",
        "medians": {k: v for k, v in medians.items() if k.startswith("postgraphile")},
        "points": [asdict(p) for p in points if p.server == "postgraphile"],
        "coursegate_over_peer_rps": ratios,
    }
    print(f"wrote {write_sections({'cold': cold, 'peer': peer})}")


if __name__ == "__main__":
    raise SystemExit(main())
