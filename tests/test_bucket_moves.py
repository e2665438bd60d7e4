"""Moving a range of buckets to a new MariaDB shard while two gateways serve enrolments,
cancellations, purchases and extensions of the range's users: no subscription lost or doubled,
every read right, and a move stopped at any step finishes when run again.

Each test has its own catalog and three shard databases: the stored map spreads the buckets over
two, the third is the new shard. The caches are off, so every read is the shards' answer."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pymysql
import pytest

from datasources.backends import Backends, open_backends
from datasources.payments.sandbox import SandboxProvider, SandboxSettings
from datasources.sharding import BucketMap, PlannedMove, bucket_of, moves_to_even
from datasources.sql.bucket_copy import MOVED_TABLES, SHARD_OWN_TABLES
from datasources.sql.bucket_move_store import MoveStep
from datasources.sql.migrations import SHARD_MIGRATIONS
from datasources.sql.shard_router import BucketState
from gateway import create_app
from jobs.bucket_move import MOVE_LOCK, BucketMove, MoveRefused, bucket_states
from records.catalog import Course
from records.subscriptions import NewSubscription
from settings import Settings
from tests import servers
from tests.conftest import graphql, production_env, token_for
from tests.factories import add_course
from tests.graphql_flows import CANCEL, CONFIRM, ENROLL, START

MINE = """{ me { subscriptions(first: 50) {
  edges { node { courseId isActive expiresAt } } } } }"""
RANGE_USERS = 24  # users of the moving range, each written and read throughout
OTHER_USERS = 6  # users of buckets that stay
BULK_USERS = 12_000  # rows to copy besides the workload's, so the copy takes many batches
BATCH_ROWS = 250
VALIDITY_DAYS = 30
CHECKPOINTS = (
    "states-set",
    "copied-batch",
    "caught-up",
    "source-fenced",
    "final-catch-up",
    "published",
    "target-opened",
    "source-deleted",
)

MARIADB = pytest.mark.parametrize("settings", ["mariadb"], indirect=True)


class Crash(Exception):
    """Stands for the move's process dying at a checkpoint."""


@dataclass
class Gateway:
    backends: Backends
    http: httpx.AsyncClient


@dataclass
class Deployment:
    settings: Settings  # three shards configured
    gateways: list[Gateway]
    mover: Backends  # the `coursegate shards move` process
    move: PlannedMove
    free: list[Course]
    paid: list[Course]
    range_users: list[int]
    other_users: list[int]
    bulk_rows: int
    sandbox: SandboxProvider


def _users_where(test: Callable[[int], bool], count: int, start: int) -> list[int]:
    found: list[int] = []
    user = start
    while len(found) < count:
        if test(user):
            found.append(user)
        user += 1
    return found


@contextlib.asynccontextmanager
async def _gateway(settings: Settings, sandbox: SandboxProvider) -> AsyncIterator[Gateway]:
    backends = await open_backends(settings)
    backends.payments = sandbox
    transport = httpx.ASGITransport(app=create_app(settings, backends))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
            yield Gateway(backends, http)
    finally:
        await backends.close()


@pytest.fixture
async def deployment(settings: Settings) -> AsyncIterator[Deployment]:
    run = f"cgmv{uuid.uuid4().hex[:10]}"
    names = [f"{run}_catalog", *(f"{run}_shard_{i}" for i in range(3))]
    servers.recreate_databases(names)
    urls = [servers.mysql_url(name) for name in names]
    two = dataclasses.replace(
        settings, mysql_catalog_url=urls[0], mysql_shard_urls=tuple(urls[1:3]), cache_enabled=False
    )
    three = dataclasses.replace(two, mysql_shard_urls=tuple(urls[1:]))
    first = await open_backends(two)  # stores the map over two shards as version 1
    await first.migrate()
    await first.close()
    sandbox = SandboxProvider(SandboxSettings(key_secret="k" * 24, webhook_secret="w" * 24))
    mover = await open_backends(three)
    try:
        await mover.migrate()  # creates the new shard's tables; the stored map stays
        assert mover.router.bucket_map == BucketMap.even(2)
        move = moves_to_even(mover.router.bucket_map, 3)[0]

        def in_range(user: int) -> bool:
            return move.first <= bucket_of(user) <= move.last

        free = [await add_course(mover, price_paise=0) for _ in range(3)]
        paid = [
            await add_course(mover, price_paise=19_900, validity_days=VALIDITY_DAYS)
            for _ in range(2)
        ]
        now = datetime.now(UTC)
        bulk = [
            NewSubscription(user, free[user % 3].id, now, None, "free")
            for user in range(5_000_000, 5_000_000 + BULK_USERS)
        ]
        bulk_rows = await mover.uncached_subscriptions.bulk_insert(bulk)
        async with _gateway(three, sandbox) as one, _gateway(three, sandbox) as other:
            yield Deployment(
                three,
                [one, other],
                mover,
                move,
                free,
                paid,
                _users_where(in_range, RANGE_USERS, 1_000),
                _users_where(lambda u: not in_range(u), OTHER_USERS, 1_000),
                bulk_rows,
                sandbox,
            )
    finally:
        await mover.close()
        servers.drop_databases(names)


@dataclass
class Workload:
    """One task per user, each doing one thing at a time: a write through one gateway, then
    a read through the other that must show it and nothing else changed."""

    deployment: Deployment
    moving: asyncio.Event = field(default_factory=asyncio.Event)  # set when the move is over
    writes: int = 0
    longest_write_seconds: float = 0.0
    orders: dict[int, int] = field(default_factory=dict)  # user -> orders started
    seen: dict[int, dict[str, tuple[bool, str | None]]] = field(default_factory=dict)

    async def run_user(self, user: int) -> None:
        rng = random.Random(user)
        self.seen[user] = {}
        self.orders[user] = 0
        rounds_after = 0
        step = 0
        while rounds_after < 2:
            if self.moving.is_set():
                rounds_after += 1
            step += 1
            writer = self.deployment.gateways[step % 2]
            reader = self.deployment.gateways[(step + 1) % 2]
            await self._one_write(user, rng, writer, reader)

    async def _one_write(
        self, user: int, rng: random.Random, writer: Gateway, reader: Gateway
    ) -> None:
        d = self.deployment
        token = token_for(user)
        before = self.seen[user]
        choice = rng.random()
        started = time.monotonic()
        if choice < 0.4:
            course = rng.choice(d.free)
            answer = await graphql(writer.http, ENROLL, {"c": str(course.id)}, token)
            assert answer.get("data"), answer
            assert answer["data"]["enroll"]["__typename"] in {
                "EnrollSuccess",
                "AlreadySubscribed",
            }, answer
            expect_active = True
        elif choice < 0.6:
            course = rng.choice(d.free)
            answer = await graphql(writer.http, CANCEL, {"c": str(course.id)}, token)
            kind = answer["data"]["cancelSubscription"]["__typename"]
            assert kind in {"CancelSuccess", "NotFound"}, answer
            expect_active = False
        else:
            course = rng.choice(d.paid)
            answer = await self._buy(writer, user, course)
            expect_active = True
        self.longest_write_seconds = max(self.longest_write_seconds, time.monotonic() - started)
        self.writes += 1
        after = await self._read(reader, user)
        changed = str(course.id)
        assert {k: v for k, v in after.items() if k != changed} == {
            k: v for k, v in before.items() if k != changed
        }, f"user {user}: another course changed, or a write was lost"
        if expect_active:
            assert after.get(changed, (False,))[0], (user, changed, before, after, answer)
        else:  # a cancelled subscription leaves the list
            assert changed not in after, (user, changed, before, after, answer)
        if course in d.paid and changed in before and before[changed][0]:
            old, new = before[changed][1], after[changed][1]
            assert old is not None and new is not None
            extended = datetime.fromisoformat(new) - datetime.fromisoformat(old)
            assert extended == timedelta(days=VALIDITY_DAYS), "one extension per purchase"
        self.seen[user] = after

    async def _buy(self, gateway: Gateway, user: int, course: Course) -> dict[str, Any]:
        token = token_for(user)
        key = f"mv-{user}-{self.orders[user]}"
        started = await graphql(gateway.http, START, {"c": str(course.id), "k": key}, token)
        assert started.get("data") and started["data"]["startCheckout"], started
        order_id = str(started["data"]["startCheckout"]["order"]["orderId"])
        self.orders[user] += 1
        payment_id, signature = self.deployment.sandbox.pay(order_id)
        confirmed = await graphql(
            gateway.http, CONFIRM, {"o": order_id, "p": payment_id, "s": signature}, token
        )
        assert confirmed.get("data"), confirmed
        assert confirmed["data"]["confirmPayment"]["__typename"] == "ConfirmPaymentSuccess"
        return confirmed

    @staticmethod
    async def _read(gateway: Gateway, user: int) -> dict[str, tuple[bool, str | None]]:
        answer = await graphql(gateway.http, MINE, token=token_for(user))
        assert "errors" not in answer, answer
        return {
            edge["node"]["courseId"]: (edge["node"]["isActive"], edge["node"]["expiresAt"])
            for edge in answer["data"]["me"]["subscriptions"]["edges"]
        }


async def _during(workload: Workload, move: Callable[[], Awaitable[object]]) -> None:
    d = workload.deployment

    async def moving() -> None:
        try:
            await move()
        finally:
            workload.moving.set()

    async with asyncio.TaskGroup() as group:
        for user in [*d.range_users, *d.other_users]:
            group.create_task(workload.run_user(user))
        group.create_task(moving())


async def _no_crash(_: str) -> None:
    return None


def _move(d: Deployment, checkpoint: Callable[[str], Awaitable[None]] = _no_crash) -> BucketMove:
    return BucketMove(d.mover, d.move.first, d.move.last, d.move.target, BATCH_ROWS, checkpoint)


async def _check_everything_moved_once(d: Deployment, workload: Workload) -> None:
    source, target = (d.mover.shard_engines[i] for i in (d.move.source, d.move.target))
    shards_of: dict[tuple[int, int], list[int]] = {}
    for shard, engine in enumerate(d.mover.shard_engines):
        for user, course in await engine.fetch_all(
            "SELECT user_id, typing_course_id FROM user_typing_courses"
        ):
            shards_of.setdefault((int(user), int(course)), []).append(shard)
    for (user, course), shards in shards_of.items():
        expected = [d.mover.router.shard_index(user)]
        assert shards == expected, f"user {user}'s course {course} is on shards {shards}"
    bulk = [pair for pair in shards_of if pair[0] >= 5_000_000]
    assert len(bulk) == d.bulk_rows, "a copied subscription was lost"
    for table in MOVED_TABLES:
        left = await source.fetch_one(
            f"SELECT COUNT(*) FROM {table} WHERE CRC32(user_id) % 1024 BETWEEN ? AND ?",
            (d.move.first, d.move.last),
        )
        assert left is not None and int(left[0]) == 0, f"{table} rows left on the source"
    moved_bulk = sum(1 for user, _ in bulk if d.move.first <= bucket_of(user) <= d.move.last)
    on_target = await target.fetch_one(
        "SELECT COUNT(*) FROM user_typing_courses WHERE user_id >= 5000000"
    )
    assert on_target is not None and int(on_target[0]) == moved_bulk
    for user, started in workload.orders.items():
        engine = d.mover.shard_engines[d.mover.router.shard_index(user)]
        orders = await engine.fetch_one(
            "SELECT COUNT(*) FROM payment_orders WHERE user_id = ?", (user,)
        )
        assert orders is not None and int(orders[0]) == started, f"user {user}'s orders"
    async with _gateway(d.settings, d.sandbox) as fresh:  # a process started after the move
        assert fresh.backends.router.version == 2
        for user, seen in workload.seen.items():
            assert await Workload._read(fresh, user) == seen


@MARIADB
async def test_a_move_under_writes_loses_and_doubles_nothing(deployment: Deployment) -> None:
    d = deployment
    workload = Workload(d)
    mover = _move(d)
    report: list[Any] = []

    async def move() -> None:
        report.append(await mover.run())

    await _during(workload, move)

    (record,) = report
    assert mover.caught_up_users > 0, "no write landed while the rows were being copied"
    assert record.step is MoveStep.DONE
    assert record.rows_copied >= d.bulk_rows // 10
    assert record.fence_seconds is not None and record.fence_seconds > 0
    for gateway in d.gateways:
        assert gateway.backends.router.bucket_map.shard_of_bucket[d.move.first] == d.move.target
        assert gateway.backends.router.version == 2
    states = await bucket_states(d.mover, d.move.first, d.move.last)
    assert states[d.move.source] == {BucketState.LEFT}
    assert states[d.move.target] == {BucketState.OWNED}
    assert workload.writes > RANGE_USERS * 2
    await _check_everything_moved_once(d, workload)


@MARIADB
@pytest.mark.parametrize("crash_at", CHECKPOINTS)
async def test_a_move_stopped_at_any_step_finishes_when_run_again(
    deployment: Deployment, crash_at: str
) -> None:
    d = deployment
    workload = Workload(d)

    async def crash(reached: str) -> None:
        if reached == crash_at:
            raise Crash(reached)

    async def move_crash_then_resume() -> None:
        with pytest.raises(Crash):
            await _move(d, crash).run()
        with pytest.raises(MoveRefused, match="unfinished"):
            await BucketMove(d.mover, 0, 10, d.move.target).run()
        record = await _move(d).run()
        assert record.step is MoveStep.DONE

    await _during(workload, move_crash_then_resume)
    await _check_everything_moved_once(d, workload)


@MARIADB
async def test_a_stale_gateway_writes_where_the_bucket_went(deployment: Deployment) -> None:
    """A process whose map is old (it has not polled yet) is bounced by the source's bucket
    state and writes on the target."""
    d = deployment
    stale = d.gateways[0].backends
    assert stale.map_watch is not None
    stale.map_watch.cancel()
    await asyncio.gather(stale.map_watch, return_exceptions=True)
    stale.map_watch = None
    stale.router.hold_lease(3600.0)  # not watching: only the write path's bounce updates it
    await _move(d).run()
    assert stale.router.version == 1
    user = d.range_users[0]
    answer = await graphql(d.gateways[0].http, ENROLL, {"c": str(d.free[0].id)}, token_for(user))
    assert answer["data"]["enroll"]["__typename"] == "EnrollSuccess"
    assert stale.router.version == 2
    target = d.mover.shard_engines[d.move.target]
    row = await target.fetch_one(
        "SELECT COUNT(*) FROM user_typing_courses WHERE user_id = ?", (user,)
    )
    assert row is not None and int(row[0]) == 1


@MARIADB
async def test_refusals_say_what_to_do(deployment: Deployment) -> None:
    d = deployment
    with pytest.raises(MoveRefused, match="lie on shards"):
        await BucketMove(d.mover, 500, 520, 2).run()
    with pytest.raises(MoveRefused, match="already"):
        await BucketMove(d.mover, 0, 10, 0).run()
    with pytest.raises(MoveRefused, match="not configured"):
        await BucketMove(d.mover, 0, 10, 7).run()
    catalog = d.settings.mysql_catalog_url
    assert catalog is not None
    other = pymysql.connect(host="127.0.0.1", user="root", database=urlsplit(catalog).path[1:])
    try:
        with other.cursor() as cursor:
            cursor.execute(f"SELECT GET_LOCK({MOVE_LOCK}, 0)")
            assert cursor.fetchone() == (1,)
        with pytest.raises(MoveRefused, match="another"):
            await _move(d).run()
    finally:
        other.close()
    # The server frees a closed connection's lock once it has seen the close: wait for that
    # (at most 10 s; 0 is a lock still held), then the move takes it.
    waiter = pymysql.connect(host="127.0.0.1", user="root", database=urlsplit(catalog).path[1:])
    try:
        with waiter.cursor() as cursor:
            cursor.execute(f"SELECT GET_LOCK({MOVE_LOCK}, 10)")
            assert cursor.fetchone() == (1,)  # the lock went with its connection
            cursor.execute(f"SELECT RELEASE_LOCK({MOVE_LOCK})")
    finally:
        waiter.close()
    assert (await _move(d).run()).step is MoveStep.DONE


def test_every_shard_table_with_users_moves_or_is_the_shards_own() -> None:
    created = {
        statement.split("EXISTS ")[1].split()[0]
        for migration in SHARD_MIGRATIONS
        for statement in migration.mysql
        if statement.lstrip().startswith("CREATE TABLE")
    }
    assert created == set(MOVED_TABLES) | (set(SHARD_OWN_TABLES) - {"schema_migrations"})


@MARIADB
async def test_the_shards_commands_plan_move_and_report(
    deployment: Deployment, tmp_path: Path
) -> None:
    d = deployment
    env = production_env(d.settings, tmp_path)
    planned = _coursegate(env, "shards", "plan", "--shards", "3")
    assert planned.returncode == 0, planned.stderr
    commands = planned.stdout.splitlines()
    new_shard = _place(d.settings.mysql_shard_urls[2])
    assert commands[0] == (
        f"coursegate shards move --buckets {d.move.first}-{d.move.last} --to {new_shard}"
    )
    assert len(commands) == 2  # one move from each of the two shards

    async def crash(reached: str) -> None:
        if reached == "source-fenced":
            raise Crash(reached)

    with pytest.raises(Crash):
        await _move(d, crash).run()
    stopped = _coursegate(env, "shards", "status")
    assert "unfinished: move" in stopped.stdout and ", copying:" in stopped.stdout
    assert f"  shard-{d.move.source}: moved" in stopped.stdout
    assert f"  shard-{d.move.target}: incoming" in stopped.stdout
    moved = _coursegate(
        env, "shards", "move", "--buckets", f"{d.move.first}-{d.move.last}", "--to", new_shard
    )
    assert moved.returncode == 0, moved.stderr
    assert "rows/s" in moved.stdout and "write fence" in moved.stdout
    status = _coursegate(env, "shards", "status")
    assert f"{d.move.first}-{d.move.last}: shard-2" in status.stdout
    assert "unfinished" not in status.stdout
    await d.gateways[0].backends.router.refresh()
    assert d.gateways[0].backends.router.version == 2
    unknown = _coursegate(env, "shards", "move", "--buckets", "0-9", "--to", "mysql://elsewhere/x")
    assert unknown.returncode == 2
    assert "not a configured shard" in unknown.stderr


def _place(url: str) -> str:
    parts = urlsplit(url)
    return f"mysql://{parts.hostname}:{parts.port or 3306}{parts.path}"


def _coursegate(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("COURSEGATE_", "RAZORPAY_"))}
    return subprocess.run(
        [sys.executable, "cli.py", *args],
        cwd=Path(__file__).resolve().parent.parent,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
