"""Event flow on MariaDB (4 shards) and JetStream: relay and consumer throughput, and the lag from
a change's commit to its effect in the popularity model.

    python -m bench.events_bench [--events 20000] [--rate 400] [--seconds 15] [--log jetstream]

1. writes `--events` enrolments (32 at a time; each also writes its outbox row) and prints
   writes/s; 2. relays them all once (events/s); 3. the popularity consumer applies them all
   (events/s); 4. with the relay and the consumer running as in production (their own polling
   loops), writes at `--rate` enrolments/s for `--seconds` and takes, per event, the time from
   its id (minted in the writing transaction) to the commit of its effect: p50/p95/p99;
   5. checks the model against a recount from the shards. Fresh cgbench_* databases and a
   bench stream (its own subjects) are removed afterwards. Writes bench/results/events.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from bench.backends_setup import mariadb_and_redis_reachable, mariadb_backend
from datasources.backends import Backends, open_backends
from datasources.events.jetstream_log import JetStreamEventLog
from datasources.ids import minted_at_ms
from datasources.sql import popularity_store
from jobs.consumers.popularity import PopularityConsumer, active_counts
from jobs.consumers.runner import consume, consume_available
from jobs.relay import Relay
from records.catalog import Category, CourseDraft, Difficulty
from records.events import Event
from records.subscriptions import NewSubscription

NATS_URL = "nats://127.0.0.1:4222"
COURSES = 100
WRITERS = 32
RESULTS = Path(__file__).with_name("results") / "events.json"


class _TimedPopularity(PopularityConsumer):
    """The popularity consumer, noting for each event how long after its id it was applied."""

    def __init__(self, backends: Backends) -> None:
        super().__init__(backends)
        self.lags_ms: list[float] = []
        self.expected: int | None = None  # set when all events of the run have been written
        self.all_applied = asyncio.Event()

    async def apply(self, events: Sequence[Event]) -> None:
        await super().apply(events)
        applied_ms = time.time() * 1000
        self.lags_ms += [applied_ms - minted_at_ms(event.id) for event in events]
        self._check_done()

    def expect(self, count: int) -> None:
        self.expected = count
        self._check_done()

    def _check_done(self) -> None:
        if self.expected is not None and len(self.lags_ms) >= self.expected:
            self.all_applied.set()


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.events_bench", description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rate", type=int, default=400, help="enrolments/s in the lag run")
    parser.add_argument("--seconds", type=int, default=15, help="length of the lag run")
    parser.add_argument("--log", choices=("jetstream", "table"), default="jetstream")
    return parser.parse_args()


async def _courses(backends: Backends) -> list[int]:
    now = datetime.now(UTC)
    ids = []
    for number in range(COURSES):
        draft = CourseDraft(
            slug=f"bench-events-{number}",
            title=f"Bench course {number}",
            description="Events bench.",
            category=Category.TOUCH_TYPING,
            difficulty=Difficulty.BEGINNER,
            language="en",
            tags=(),
            price_paise=0,
            currency="INR",
            validity_days=30,
        )
        ids.append((await backends.catalog.create_course(draft, now)).id)
    return ids


async def _enrol(backends: Backends, user_id: int, course_ids: list[int]) -> None:
    now = datetime.now(UTC)
    expires = now + timedelta(days=random.randint(1, 90))
    course_id = random.choice(course_ids)
    await backends.uncached_subscriptions.enroll_unless_active(
        NewSubscription(user_id, course_id, now, expires, "free"), now
    )


async def _write_burst(backends: Backends, users: range, course_ids: list[int]) -> float:
    queue = iter(users)

    async def writer() -> None:
        for user_id in queue:
            await _enrol(backends, user_id, course_ids)

    started = time.perf_counter()
    await asyncio.gather(*(writer() for _ in range(WRITERS)))
    return time.perf_counter() - started


async def _write_steadily(
    backends: Backends, first_user: int, rate: int, seconds: int, course_ids: list[int]
) -> int:
    written = 0
    started = time.perf_counter()
    pending: set[asyncio.Task[None]] = set()
    while (elapsed := time.perf_counter() - started) < seconds:
        due = int(elapsed * rate)
        while written < due:
            task = asyncio.create_task(_enrol(backends, first_user + written, course_ids))
            pending.add(task)
            task.add_done_callback(pending.discard)
            written += 1
        await asyncio.sleep(0.005)  # pacing the load generator, not synchronising a test
    await asyncio.gather(*pending)
    return written


async def _recount(backends: Backends) -> dict[int, int]:
    """Active subscriptions per course counted on the shards (not from events)."""
    today = datetime.now(UTC).date()
    model = await popularity_store.count_from_shards(backends.shard_engines, today)
    totals: Counter[int] = Counter()
    for (course_id, day), count in model.items():
        if day >= today:
            totals[course_id] += count
    return {course_id: count for course_id, count in totals.items() if count}


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _run(args: argparse.Namespace, backends: Backends) -> dict[str, object]:
    await backends.migrate()
    course_ids = await _courses(backends)
    timed = _TimedPopularity(backends)
    await timed.start()

    write_seconds = await _write_burst(backends, range(1, args.events + 1), course_ids)
    relay = Relay(backends.outbox_engines, backends.events)
    started = time.perf_counter()
    relayed = await relay.relay_once()
    relay_seconds = time.perf_counter() - started
    started = time.perf_counter()
    applied = await consume_available(backends.events, timed)
    consume_seconds = time.perf_counter() - started

    timed.lags_ms.clear()
    stop = asyncio.Event()
    loops = [
        asyncio.create_task(relay.run(stop)),
        asyncio.create_task(consume(backends.events, timed, stop)),
    ]
    steady = await _write_steadily(backends, args.events + 1, args.rate, args.seconds, course_ids)
    timed.expect(steady)
    with contextlib.suppress(TimeoutError):  # the loops catching up with the last writes
        await asyncio.wait_for(timed.all_applied.wait(), 60)
    stop.set()
    await asyncio.gather(*loops)
    lags = timed.lags_ms
    matches = await active_counts(backends) == await _recount(backends)
    return {
        "log": backends.events.name,
        "shards": len(backends.shard_engines),
        "burst_events": args.events,
        "writes_per_second": round(args.events / write_seconds),
        "relayed": relayed,
        "relay_events_per_second": round(relayed / relay_seconds),
        "applied": applied,
        "consumer_events_per_second": round(applied / consume_seconds),
        "steady_rate": args.rate,
        "steady_events": steady,
        "steady_applied": len(lags),
        "lag_p50_ms": round(statistics.median(lags), 1),
        "lag_p95_ms": round(_percentile(lags, 0.95), 1),
        "lag_p99_ms": round(_percentile(lags, 0.99), 1),
        "model_equals_recount": matches,
    }


async def _main(args: argparse.Namespace) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as data_dir, mariadb_backend(Path(data_dir)) as bench:
        backends = await open_backends(bench.settings)
        stream: JetStreamEventLog | None = None
        if args.log == "jetstream":
            tag = uuid.uuid4().hex[:10]
            stream = await JetStreamEventLog.connect(
                NATS_URL, stream=f"CGBENCH_{tag}", subject_prefix=f"cgbench{tag}"
            )
            backends.events = stream
        try:
            return await _run(args, backends)
        finally:
            if stream is not None:
                with contextlib.suppress(Exception):
                    await stream.drop()
            await backends.close()


def main() -> int:
    args = _arguments()
    if not mariadb_and_redis_reachable():
        print("MariaDB and Redis on 127.0.0.1 are needed")
        return 2
    figures = asyncio.run(_main(args))
    for name, value in figures.items():
        print(f"{name:>28}: {value}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_bytes(orjson.dumps(figures, option=orjson.OPT_INDENT_2) + b"\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
