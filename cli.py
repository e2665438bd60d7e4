"""The `coursegate` command: serve, migrate, seed, indexer, reindex, reconcile, jobs, relay,
consume, analytics backfill, persisted-queries register, recommend, shards, token."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from tqdm import tqdm

from datasources.backends import open_backends
from datasources.objects.factory import check_object_store_settings
from datasources.payments.factory import check_payment_settings
from http_api.metrics_registry import shared_between_workers
from jobs import analytics_reconcile, persisted_queries, shard_commands
from jobs.consumers.registry import CONSUMERS
from jobs.consumers.runner import consume, consume_available
from jobs.indexer import SearchIndexer
from jobs.lifecycle import LifecycleRunner
from jobs.recommend import Stopped, build_model, evaluate_methods
from jobs.recommend_report import evaluation_table
from jobs.reconcile import reconcile
from jobs.relay import Relay
from jobs.seed_command import SeedRequest, run_seed
from resolvers.auth import issue_token, token_verifier
from schema import build_schema
from settings import ConfigurationError, Settings


async def _migrate(settings: Settings) -> None:
    backends = await open_backends(settings)
    try:
        for database, versions in (await backends.migrate()).items():
            done = ", ".join(map(str, versions)) if versions else "up to date"
            print(f"{database}: {done}")
    finally:
        await backends.close()


async def _register_persisted_queries(settings: Settings, files: list[Path]) -> int:
    try:
        documents = persisted_queries.documents_in(files, build_schema()._schema)
    except persisted_queries.RegistrationRefused as refused:
        print(f"coursegate: nothing registered: {refused}", file=sys.stderr)
        return 1
    backends = await open_backends(settings)
    try:
        await backends.migrate()
        registered = await persisted_queries.register(backends, documents)
    finally:
        await backends.close()
    plural = "" if registered.documents == 1 else "s"
    print(f"{registered.documents} document{plural} registered ({registered.new} new)")
    return 0


async def _reindex(settings: Settings) -> None:
    """Embedded default: run it while the gateway is stopped (one writer per tantivy index)."""
    backends = await open_backends(settings)
    try:
        await backends.migrate()
        await SearchIndexer(backends).rebuild()
        print("search index rebuilt from the catalog")
    finally:
        await backends.close()


def _stop_on_signals() -> asyncio.Event:
    """Set by SIGINT or SIGTERM, so a long-running command finishes its batch and stops."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop


async def _run_indexer(settings: Settings) -> None:
    backends = await open_backends(settings)
    stop = _stop_on_signals()
    try:
        await backends.migrate()
        await SearchIndexer(backends).run(stop)
    finally:
        await backends.close()


async def _run_relay(settings: Settings, once: bool) -> None:
    backends = await open_backends(settings)
    stop = _stop_on_signals()
    try:
        await backends.migrate()
        relay = Relay(backends.outbox_engines, backends.events)
        if once:
            print(f"relayed {await relay.relay_once()} events to the {backends.events.name} log")
        else:
            await relay.run(stop)
    finally:
        await backends.close()


async def _run_consumer(settings: Settings, args: argparse.Namespace) -> None:
    backends = await open_backends(settings)
    stop = _stop_on_signals()
    try:
        await backends.migrate()
        consumer = CONSUMERS[args.name](backends)
        if args.rebuild:
            await consumer.rebuild()
            print(f"{args.name}: rebuilt from the shards")
        if args.once:
            await consumer.start()
            handled = await consume_available(backends.events, consumer)
            await consumer.tick()
            print(f"{args.name}: applied {handled} events")
        else:
            await consume(backends.events, consumer, stop)
    finally:
        await backends.close()


async def _backfill_analytics(settings: Settings, first: date, last: date | None) -> int:
    backends = await open_backends(settings)
    try:
        await backends.migrate()
        last = last or datetime.now(UTC).date() - timedelta(days=1)
        try:
            report = await analytics_reconcile.reconcile(backends, first, last, progress=print)
        except ValueError as refused:
            print(f"coursegate analytics backfill: {refused}", file=sys.stderr)
            return 2
        export = "exported" if report.exported else "kept for export (series store down)"
        print(
            f"reconciled {report.first}..{report.last}: {report.rows_read:,} shard rows read,"
            f" {report.corrected:,} day counts corrected, {export}"
        )
        return 0
    finally:
        await backends.close()


async def _run_lifecycle_jobs(settings: Settings, once: bool) -> None:
    backends = await open_backends(settings)
    stop = _stop_on_signals()
    try:
        await backends.migrate()
        runner = LifecycleRunner(backends, stop=stop)
        if once:
            print(f"ran lifecycle jobs: {await runner.resume_all() or 'none waiting'}")
        else:
            await runner.run()
    finally:
        await backends.close()


async def _reconcile(settings: Settings) -> None:
    backends = await open_backends(settings)
    try:
        await backends.migrate()
        report = await reconcile(backends, datetime.now(UTC))
        print(
            f"checked {report.orders_checked} open orders: {report.granted} granted,"
            f" {report.revoked_or_refunded} refunded ({report.refunds_settled} refunds no webhook"
            f" reported), {report.provider_errors} provider errors"
        )
    finally:
        await backends.close()


async def _recommend(settings: Settings, evaluate: bool) -> int:
    backends = await open_backends(settings)
    stop = _stop_on_signals()
    try:
        await backends.migrate()
        with tqdm(desc="subscriptions read", unit=" rows", unit_scale=True, disable=None) as bar:
            try:
                if evaluate:
                    print(evaluation_table(await evaluate_methods(backends, bar.update, stop)))
                    return 0
                report = await build_model(backends, bar.update, stop)
            except Stopped:
                print("stopped: the current model is unchanged", file=sys.stderr)
                return 1
        print(
            f"model {report.version}: {report.subscriptions:,} subscriptions of"
            f" {report.users:,} users read in {report.read_seconds:.1f}s"
            f" ({report.rows_per_second:,.0f} rows/s), {report.courses:,} courses,"
            f" built and published in {report.seconds:.1f}s; peak memory"
            f" {report.peak_memory_mib:,.0f} MiB"
        )
        return 0
    finally:
        await backends.close()


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    # Refused here, before uvicorn starts, so the operator reads one line and not a traceback.
    check_payment_settings(settings)
    check_object_store_settings(settings)
    token_verifier(settings)  # reads the key files: a bad one is named here
    if args.workers > 1 and (unshared := _kept_per_process(settings)):
        raise ConfigurationError(
            f"--workers {args.workers} would give each worker its own {' and '.join(unshared)};"
            " run one worker, or configure what the workers can share"
        )

    # Several workers: /metrics shows every worker's figures, written to a shared directory.
    with shared_between_workers() if args.workers > 1 else contextlib.nullcontext():
        uvicorn.run(
            "gateway:create_app",
            factory=True,
            host=args.host or settings.host,
            port=args.port or settings.port,
            workers=args.workers,
            timeout_graceful_shutdown=settings.shutdown_grace_seconds,
            access_log=False,
            log_level="info",
        )


def _kept_per_process(settings: Settings) -> list[str]:
    """What this configuration keeps inside one process, which several workers would split."""
    unshared = []
    if settings.cache_enabled and settings.redis_url is None:
        unshared.append("cache and catalog generation (set COURSEGATE_REDIS_URL)")
    if settings.search_url is None:
        unshared.append("writer of the one tantivy index (set COURSEGATE_SEARCH_URL)")
    return unshared


async def _shards(settings: Settings, args: argparse.Namespace) -> int:
    if args.shards_command == "status":
        return await shard_commands.status(settings)
    if args.shards_command == "plan":
        return await shard_commands.plan(settings, args.shards)
    try:
        return await shard_commands.move(settings, args.buckets, args.to, args.batch_rows)
    except ValueError as error:
        print(f"coursegate shards move: {error}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coursegate", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the gateway")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, default=1)
    commands.add_parser("migrate", help="create or upgrade the schema on every database")
    seed = commands.add_parser("seed", help="load demo data, or a synthetic set with --users")
    seed.add_argument("--users", type=int, default=0, help="synthetic users to add")
    seed.add_argument("--subscriptions-per-user", type=int, default=2)
    seed.add_argument("--courses", type=int, default=10_000, help="synthetic catalog size")
    seed.add_argument("--first-user", type=int, default=1_000_000)
    seed.add_argument(
        "--workers", type=int, help="processes writing rows for MariaDB (default: cores - 1)"
    )
    seed.add_argument(
        "--buffer-pool-gib",
        type=float,
        default=8.0,
        help="InnoDB buffer pool during a MariaDB load (restored afterwards; never shrunk)",
    )
    seed.add_argument(
        "--redo-log-gib",
        type=float,
        default=2.0,
        help="InnoDB redo log during a MariaDB load (restored afterwards; never shrunk)",
    )
    commands.add_parser("indexer", help="keep the search index in step with the catalog")
    commands.add_parser("reindex", help="rebuild the whole search index from the database")
    commands.add_parser(
        "reconcile",
        help="ask the payment provider about orders left unpaid and refunds not yet applied",
    )
    jobs = commands.add_parser("jobs", help="run admin lifecycle jobs (validity, extend, grant)")
    jobs.add_argument("--once", action="store_true", help="run what is waiting, then exit")
    relay = commands.add_parser("relay", help="publish the shards' event outboxes to the event log")
    relay.add_argument("--once", action="store_true", help="publish what is waiting, then exit")
    consumer = commands.add_parser("consume", help="run one consumer of the event log")
    consumer.add_argument("name", choices=sorted(CONSUMERS))
    consumer.add_argument("--once", action="store_true", help="apply what is waiting, then exit")
    consumer.add_argument(
        "--rebuild", action="store_true", help="first rebuild its model from the shards"
    )
    analytics = commands.add_parser("analytics", help="analytics maintenance")
    analytics_commands = analytics.add_subparsers(dest="analytics_command", required=True)
    backfill = analytics_commands.add_parser(
        "backfill", help="recount past days from the shards and correct the series"
    )
    backfill.add_argument("--from", dest="first", type=date.fromisoformat, required=True)
    backfill.add_argument(
        "--to", dest="last", type=date.fromisoformat, help="last day (default: yesterday)"
    )
    persisted = commands.add_parser(
        "persisted-queries", help="the documents the safelist (COURSEGATE_PERSISTED_ONLY) runs"
    )
    persisted_commands = persisted.add_subparsers(dest="persisted_command", required=True)
    register = persisted_commands.add_parser(
        "register", help="register .graphql documents, Apollo manifests or query maps"
    )
    register.add_argument("files", nargs="+", type=Path)
    recommend = commands.add_parser(
        "recommend", help="build and publish a recommendation model from every shard"
    )
    recommend.add_argument(
        "--evaluate",
        action="store_true",
        help="instead, hold out users' newest course and grade each method (nothing published)",
    )
    shards = commands.add_parser("shards", help="where the buckets are, and moving them")
    shards_commands = shards.add_subparsers(dest="shards_command", required=True)
    shards_commands.add_parser("status", help="the bucket map and any unfinished move")
    plan = shards_commands.add_parser(
        "plan", help="print the moves that spread the buckets evenly over N shards"
    )
    plan.add_argument("--shards", type=int, required=True, help="the shard count to spread over")
    move = shards_commands.add_parser(
        "move", help="move a range of buckets to another shard online (run again to resume)"
    )
    move.add_argument("--buckets", required=True, help="A-B, inclusive, of 0-1023")
    move.add_argument("--to", required=True, help="the target shard's URL, or shard-N")
    move.add_argument("--batch-rows", type=int, default=2_000, help="rows per copy statement")
    token = commands.add_parser("token", help="print a bearer token for a user")
    token.add_argument("--user", type=int, required=True)
    token.add_argument("--admin", action="store_true")
    token.add_argument("--days", type=int, default=7, help="validity in days")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        return _run(args)
    except ConfigurationError as error:
        print(f"coursegate: {error}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if args.command == "token":
        if args.user < 1:
            print("--user must be a positive id", file=sys.stderr)
            return 2
        if not settings.jwt_secret:
            raise ConfigurationError(
                "`coursegate token` signs with COURSEGATE_JWT_SECRET, which is not set: this"
                " configuration takes tokens from an identity provider"
            )
        ttl = timedelta(days=args.days)
        print(
            issue_token(
                settings.jwt_secret,
                args.user,
                admin=args.admin,
                ttl=ttl,
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
            )
        )
    elif args.command == "migrate":
        asyncio.run(_migrate(settings))
    elif args.command == "seed":
        request = SeedRequest(
            args.users,
            args.subscriptions_per_user,
            args.courses,
            args.first_user,
            args.workers,
            args.buffer_pool_gib,
            args.redo_log_gib,
        )
        return asyncio.run(run_seed(settings, request))
    elif args.command == "indexer":
        asyncio.run(_run_indexer(settings))
    elif args.command == "reindex":
        asyncio.run(_reindex(settings))
    elif args.command == "reconcile":
        asyncio.run(_reconcile(settings))
    elif args.command == "jobs":
        asyncio.run(_run_lifecycle_jobs(settings, args.once))
    elif args.command == "consume":
        asyncio.run(_run_consumer(settings, args))
    elif args.command == "analytics":
        return asyncio.run(_backfill_analytics(settings, args.first, args.last))
    elif args.command == "persisted-queries":
        return asyncio.run(_register_persisted_queries(settings, args.files))
    elif args.command == "recommend":
        return asyncio.run(_recommend(settings, args.evaluate))
    elif args.command == "shards":
        return asyncio.run(_shards(settings, args))
    elif args.command == "relay":
        asyncio.run(_run_relay(settings, args.once))
    elif args.command == "serve":
        _serve(settings, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
