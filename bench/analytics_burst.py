"""A burst of mixed subscription changes on MariaDB (4 shards) + JetStream + InfluxDB, with the
relay and the analytics consumer killed in the middle; then every analytics answer is checked
against what was done and against a recount from the shards.

    python -m bench.analytics_burst [--changes 100000] [--writers 32]

The changes (each writer owns its users, so the writers' tallies are exact): free enrolments,
cancellations, purchases through the sandbox provider (a first purchase or a renewal) and
refunds of earlier purchases. While they run, the relay, the popularity consumer and the
analytics consumer run as in production. When the relay has published a third of the changes
it is killed after a publish and before deleting the rows it published (the next relay
publishes them again; JetStream drops the duplicates by message id); when the analytics
consumer has applied half of them it is killed after committing a batch and before acking it
(the batch comes again; its ledger adds nothing twice). Then the bench waits for the backlog
to drain, exports, and compares, for today and per course: enrolments, new subscriptions,
renewals, cancellations, purchases, refunds and revenue with the writers' tallies; active
subscriptions with the shards' rows; and runs the reconciliation, which must find nothing to
correct. Writes bench/results/analytics_burst.json. Needs MariaDB, Redis, NATS with JetStream
on 127.0.0.1 and Debian's influxd (started here on a free port).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson

from bench.backends_setup import mariadb_and_redis_reachable, mariadb_backend
from datasources.analytics.influx_series import InfluxSeriesStore
from datasources.backends import Backends, open_backends
from datasources.events.jetstream_log import JetStreamEventLog
from datasources.events.log import EventLog
from datasources.payments.sandbox import SandboxProvider
from datasources.sql import event_outbox, popularity_store
from domain.checkout.order_state import OrderEvent, OrderState
from domain.checkout.refunds import refund_order
from domain.checkout.settlement import settle
from jobs.analytics_export import export_counts
from jobs.analytics_reconcile import reconcile
from jobs.consumers.analytics import AnalyticsConsumer
from jobs.consumers.popularity import PopularityConsumer
from jobs.consumers.runner import consume
from jobs.relay import Relay
from records.analytics import Measurement, Scope, day_start
from records.catalog import Category, CourseDraft, Difficulty
from records.events import Event
from records.orders import NewPaymentOrder, PaymentOrder
from records.subscriptions import FREE_SOURCE, NewSubscription
from tests.influxdb_server import InfluxServer, influxd_installed

NATS_URL = "nats://127.0.0.1:4222"
FREE_COURSES = 30
PAID_COURSES = 20
PRICE_PAISE = 49_900
USERS_PER_WRITER = 400
RESULTS = Path(__file__).with_name("results") / "analytics_burst.json"
# (operation, weight): what a change is.
MIX = (("enrol", 45), ("cancel", 15), ("purchase", 30), ("refund", 10))
TALLIED = (
    Measurement.ENROLMENTS,
    Measurement.NEW_SUBSCRIPTIONS,
    Measurement.RENEWALS,
    Measurement.CANCELLATIONS,
    Measurement.PURCHASES,
    Measurement.REFUNDS,
    Measurement.REVENUE_PAISE,
)


class _StallingPublisher:
    """The event log, except that once `after` events are published the relay calling it
    stops dead after that publish returns: before it deletes the rows (a crash)."""

    def __init__(self, log: EventLog, after: int) -> None:
        self.name = log.name
        self._log = log
        self._after = after
        self.published = 0
        self.stalled = asyncio.Event()

    async def publish(self, events: Sequence[Event]) -> None:
        await self._log.publish(events)
        self.published += len(events)
        if self.published >= self._after and not self.stalled.is_set():
            self.stalled.set()
            await asyncio.Future()  # until the task is cancelled


class _DyingAnalytics(AnalyticsConsumer):
    """The analytics consumer, stopping dead after committing the batch that reaches `after`
    events, before its ack."""

    def __init__(self, backends: Backends, after: int) -> None:
        super().__init__(backends)
        self._after = after
        self.applied = 0
        self.died = asyncio.Event()

    async def apply(self, events: Sequence[Event]) -> None:
        await super().apply(events)
        self.applied += len(events)
        if self.applied >= self._after and not self.died.is_set():
            self.died.set()
            await asyncio.Future()


class _Writer:
    """Changes for its own users, tallying what each did, today, per course."""

    def __init__(self, backends: Backends, users: range, free: list[int], paid: list[int]) -> None:
        self._backends = backends
        self._users = users
        self._free = free
        self._paid = paid
        self._paid_orders: list[PaymentOrder] = []
        self.tally: Counter[tuple[int, Measurement]] = Counter()

    async def change(self, operation: str) -> None:
        user_id = random.choice(self._users)
        now = datetime.now(UTC)
        if operation == "enrol":
            await self._enrol(user_id, random.choice(self._free), now)
        elif operation == "cancel":
            course_id = random.choice(self._free + self._paid)
            if await self._backends.subscriptions.cancel(user_id, course_id, now):
                self.tally[(course_id, Measurement.CANCELLATIONS)] += 1
        elif operation == "purchase":
            await self._purchase(user_id, random.choice(self._paid), now)
        elif self._paid_orders:
            await self._refund(self._paid_orders.pop(random.randrange(len(self._paid_orders))))

    async def _enrol(self, user_id: int, course_id: int, now: datetime) -> None:
        enrolment = NewSubscription(user_id, course_id, now, now + timedelta(days=30), FREE_SOURCE)
        if await self._backends.subscriptions.enroll_unless_active(enrolment, now):
            self.tally[(course_id, Measurement.ENROLMENTS)] += 1
            self.tally[(course_id, Measurement.NEW_SUBSCRIPTIONS)] += 1

    async def _purchase(self, user_id: int, course_id: int, now: datetime) -> None:
        backends = self._backends
        sandbox = backends.payments
        assert isinstance(sandbox, SandboxProvider)
        before = await backends.uncached_subscriptions.get(user_id, course_id)
        running = before is not None and before.is_active_at(now)
        key = uuid.uuid4().hex
        provider_order = await sandbox.create_order(PRICE_PAISE, "INR", key, {})
        order = await backends.orders.create(
            NewPaymentOrder(user_id, course_id, provider_order.id, key, PRICE_PAISE, "INR", key),
            now,
        )
        payment_id, _ = sandbox.pay(provider_order.id)
        settled = await settle(backends, order, OrderEvent.client_confirmed(payment_id), now=now)
        assert settled.state is OrderState.PAID
        self.tally[(course_id, Measurement.PURCHASES)] += 1
        self.tally[(course_id, Measurement.REVENUE_PAISE)] += PRICE_PAISE
        measurement = Measurement.RENEWALS if running else Measurement.NEW_SUBSCRIPTIONS
        self.tally[(course_id, measurement)] += 1
        paid = await backends.orders.find_by_provider_id(user_id, provider_order.id)
        assert paid is not None
        self._paid_orders.append(paid)

    async def _refund(self, order: PaymentOrder) -> None:
        await refund_order(self._backends, order, "bench", 1, datetime.now(UTC))
        self.tally[(order.course_id, Measurement.REFUNDS)] += 1
        self.tally[(order.course_id, Measurement.REVENUE_PAISE)] -= order.amount_paise


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.analytics_burst", description=__doc__)
    parser.add_argument("--changes", type=int, default=100_000)
    parser.add_argument("--writers", type=int, default=32)
    return parser.parse_args()


async def _courses(backends: Backends) -> tuple[list[int], list[int]]:
    now = datetime.now(UTC)
    made: dict[bool, list[int]] = {True: [], False: []}
    for number in range(FREE_COURSES + PAID_COURSES):
        free = number < FREE_COURSES
        draft = CourseDraft(
            slug=f"bench-analytics-{number}",
            title=f"Bench analytics course {number}",
            description="Analytics burst.",
            category=Category.CODING if number % 2 else Category.TOUCH_TYPING,
            difficulty=Difficulty.BEGINNER,
            language="en",
            tags=(),
            price_paise=0 if free else PRICE_PAISE,
            currency="INR",
            validity_days=30,
        )
        made[free].append((await backends.catalog.create_course(draft, now)).id)
    return made[True], made[False]


async def _backlog(backends: Backends) -> int:
    waiting = [await event_outbox.pending(shard) for shard in backends.shard_engines]
    lags = [
        await backends.events.lag(consumer.name, consumer.kinds)
        for consumer in (AnalyticsConsumer, PopularityConsumer)
    ]
    return sum(waiting) + sum(lags)


async def _active_on_shards(backends: Backends, today: date) -> Counter[int]:
    """Active subscriptions per course counted on the shards' rows, to the end of their
    expiry day (the count a popularity rebuild makes, not the events)."""
    model = await popularity_store.count_from_shards(backends.shard_engines, today)
    counts: Counter[int] = Counter()
    for (course_id, day), n in model.items():
        if day >= today:
            counts[course_id] += n
    return counts


async def _run(args: argparse.Namespace, backends: Backends) -> dict[str, object]:
    await backends.migrate()
    backends.payments = SandboxProvider()
    free, paid = await _courses(backends)
    writers = [
        _Writer(
            backends,
            range(1 + w * USERS_PER_WRITER, 1 + (w + 1) * USERS_PER_WRITER),
            free,
            paid,
        )
        for w in range(args.writers)
    ]
    popularity = PopularityConsumer(backends)
    await popularity.start()  # its model built before the writes (a rebuild races with them)
    stop = asyncio.Event()
    publisher = _StallingPublisher(backends.events, after=args.changes // 3)
    dying = _DyingAnalytics(backends, after=args.changes // 2)
    relay_task = asyncio.create_task(Relay(backends.outbox_engines, publisher).run(stop))
    analytics_task = asyncio.create_task(consume(backends.events, dying, stop))
    loops = [asyncio.create_task(consume(backends.events, popularity, stop))]

    async def kill_the_relay() -> None:
        await publisher.stalled.wait()
        relay_task.cancel()
        loops.append(asyncio.create_task(Relay(backends.outbox_engines, backends.events).run(stop)))

    async def kill_the_consumer() -> None:
        await dying.died.wait()
        analytics_task.cancel()
        loops.append(
            asyncio.create_task(consume(backends.events, AnalyticsConsumer(backends), stop))
        )

    killers = [asyncio.create_task(kill_the_relay()), asyncio.create_task(kill_the_consumer())]
    operations = [op for op, weight in MIX for _ in range(weight)]
    remaining = iter(range(args.changes))

    async def write(writer: _Writer) -> None:
        for _ in remaining:
            await writer.change(random.choice(operations))

    started = time.perf_counter()
    await asyncio.gather(*(write(writer) for writer in writers))
    write_seconds = time.perf_counter() - started
    await asyncio.gather(*killers)
    drain_started = time.perf_counter()
    # The relay and the consumers catching up: the backlog lives in MariaDB and JetStream,
    # which signal nothing, so the bench polls it.
    while await _backlog(backends):  # noqa: ASYNC110
        await asyncio.sleep(0.2)
    drain_seconds = time.perf_counter() - drain_started
    stop.set()
    await asyncio.gather(*loops)
    for task in (relay_task, analytics_task):
        with contextlib.suppress(asyncio.CancelledError):
            await task

    await export_counts(backends)
    await AnalyticsConsumer(backends).snapshot()
    today = datetime.now(UTC).date()
    start = day_start(today)
    end = start + timedelta(days=1)
    tally: Counter[tuple[int, Measurement]] = Counter()
    for writer in writers:
        tally.update(writer.tally)
    mismatches: dict[str, object] = {}
    for measurement in TALLIED:
        answered = await backends.analytics.totals(measurement, Scope.COURSE, start, end)
        expected = {str(c): n for (c, m), n in tally.items() if m is measurement and n}
        if {k: v for k, v in answered.items() if v} != expected:
            mismatches[measurement.value] = {"answered": answered, "expected": expected}
        # No point at all when nothing of the kind happened (a small run may have no renewal).
        total = sum(
            (await backends.analytics.totals(measurement, Scope.TOTAL, start, end)).values()
        )
        if total != sum(expected.values()):
            mismatches[f"{measurement.value}.total"] = [total, sum(expected.values())]
    active = await backends.analytics.totals(
        Measurement.ACTIVE_SUBSCRIPTIONS, Scope.COURSE, start, end
    )
    on_shards = {str(c): n for c, n in (await _active_on_shards(backends, today)).items() if n}
    if {k: v for k, v in active.items() if v} != on_shards:
        mismatches["active_subscriptions"] = {"answered": active, "shards": on_shards}
    reconciliation = await reconcile(backends, today, today, today=today + timedelta(days=1))
    return {
        "log": backends.events.name,
        "series": backends.analytics.name,
        "shards": len(backends.shard_engines),
        "changes": args.changes,
        "writers": args.writers,
        "changes_per_second": round(args.changes / write_seconds),
        "events": sum(tally[(c, m)] for c, m in tally if m is not Measurement.REVENUE_PAISE),
        "relay_killed_after_published": publisher.published,
        "analytics_killed_after_applied": dying.applied,
        "drain_seconds_after_the_burst": round(drain_seconds, 1),
        "revenue_paise": sum(n for (_, m), n in tally.items() if m is Measurement.REVENUE_PAISE),
        "answers_equal_tallies_and_shards": not mismatches,
        "mismatches": mismatches,
        "reconciliation_rows_read": reconciliation.rows_read,
        "reconciliation_corrections": reconciliation.corrected,
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


async def _main(args: argparse.Namespace) -> dict[str, object]:
    with (
        tempfile.TemporaryDirectory() as data_dir,
        mariadb_backend(Path(data_dir)) as bench,
    ):
        influx = InfluxServer(Path(data_dir))
        influx.start()
        backends = await open_backends(bench.settings)
        tag = uuid.uuid4().hex[:10]
        stream = await JetStreamEventLog.connect(
            NATS_URL, stream=f"CGBENCH_{tag}", subject_prefix=f"cgbench{tag}", ack_wait_seconds=5
        )
        backends.events = stream
        backends.analytics = InfluxSeriesStore(influx.url, "coursegate_bench")
        try:
            return await _run(args, backends)
        finally:
            with contextlib.suppress(Exception):
                await stream.drop()
            await backends.close()
            influx.stop()


def main() -> int:
    args = _arguments()
    if not mariadb_and_redis_reachable() or not influxd_installed():
        print("MariaDB and Redis on 127.0.0.1, and Debian's influxd, are needed")
        return 2
    figures = asyncio.run(_main(args))
    for name, value in figures.items():
        if name != "mismatches":
            print(f"{name:>34}: {value}")
    if figures["mismatches"]:
        print(orjson.dumps(figures["mismatches"], option=orjson.OPT_INDENT_2).decode()[:4000])
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_bytes(orjson.dumps(figures, option=orjson.OPT_INDENT_2) + b"\n")
    return 0 if not figures["mismatches"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
