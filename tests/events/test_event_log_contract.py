"""One contract for every event log: the catalog table on SQLite and on MariaDB, and JetStream.

Each test opens log objects on one storage as separate processes would (a new engine, a new
NATS connection) and checks what a follower relies on: order, once per event id, at least once
until acked, resume after ack, per-consumer kinds, lag.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from datasources.events.jetstream_log import JetStreamEventLog
from datasources.events.log import Delivery, EventLog
from datasources.events.table_log import TableEventLog
from datasources.sql.engine import SqlEngine
from datasources.sql.migrations import Role, migrate
from datasources.sql.mysql_engine import MysqlEngine
from datasources.sql.sqlite_engine import SqliteEngine
from records.events import Event, EventKind
from tests import servers

ENROLLED = EventKind.SUBSCRIPTION_ENROLLED
CANCELLED = EventKind.SUBSCRIPTION_CANCELLED
PAID = EventKind.ORDER_PAID
EVERY_KIND = frozenset(EventKind)
SUBSCRIPTIONS = frozenset({ENROLLED, CANCELLED})
ORDERS = frozenset({PAID})
# MariaDB notes each row INSERT IGNORE skips (a replayed event, a known consumer) as a warning.
pytestmark = pytest.mark.filterwarnings("ignore:Duplicate entry")
# Long enough for any fetch that has something to read to return it.
GENEROUS_WAIT = 5.0


class Logs:
    """Opens log objects on one storage; closes whatever is still open at the end."""

    # How long a fetch may wait for an un-acked event to be delivered again (it returns as soon
    # as it is), and how long one waits to see that an acked event is not.
    redelivery_wait = 0.5
    beyond_redelivery = 0.3

    def __init__(self) -> None:
        self._open: dict[int, EventLog] = {}

    async def open(self, quick_redelivery: bool = False) -> EventLog:
        log = await self._open_log(quick_redelivery)
        self._open[id(log)] = log
        return log

    async def close(self, log: EventLog) -> None:
        """Like a process that stops: nothing is acked on the way out."""
        del self._open[id(log)]
        await self._close_log(log)

    async def close_all(self) -> None:
        for log in list(self._open.values()):
            await self.close(log)

    async def _open_log(self, quick_redelivery: bool) -> EventLog:
        raise NotImplementedError

    async def _close_log(self, log: EventLog) -> None:
        await log.close()


class TableLogs(Logs):
    def __init__(self, engine_factory: type[SqliteEngine] | type[MysqlEngine], where: str) -> None:
        super().__init__()
        self._engine_factory = engine_factory
        self._where = where
        self._engines: dict[int, SqlEngine] = {}

    def _engine(self) -> SqliteEngine | MysqlEngine:
        if self._engine_factory is SqliteEngine:
            return SqliteEngine(Path(self._where), "catalog")
        return MysqlEngine(self._where, "catalog", pool_size=2)

    async def migrate(self) -> None:
        engine = self._engine()
        await engine.open()
        try:
            await migrate(engine, Role.CATALOG)
        finally:
            await engine.close()

    async def _open_log(self, quick_redelivery: bool) -> EventLog:
        engine = self._engine()
        await engine.open()
        log = TableEventLog(engine)
        self._engines[id(log)] = engine
        return log

    async def _close_log(self, log: EventLog) -> None:
        await log.close()
        await self._engines.pop(id(log)).close()


class JetStreamLogs(Logs):
    redelivery_wait = 5.0
    beyond_redelivery = 2.0  # twice the quick ack wait

    def __init__(self) -> None:
        super().__init__()
        run = uuid.uuid4().hex[:12]
        # NATS refuses streams with overlapping subjects: each test has its own prefix.
        self._stream = f"CGTEST_{run}"
        self._prefix = f"cgtest_{run}"

    async def _open_log(self, quick_redelivery: bool) -> EventLog:
        return await JetStreamEventLog.connect(
            servers.NATS_URL,
            stream=self._stream,
            subject_prefix=self._prefix,
            duplicate_window_seconds=60,
            ack_wait_seconds=1 if quick_redelivery else 30,
        )

    async def drop(self) -> None:
        log = await JetStreamEventLog.connect(
            servers.NATS_URL, stream=self._stream, subject_prefix=self._prefix
        )
        try:
            await log.drop()
        finally:
            await log.close()


@pytest.fixture(params=["table-sqlite", "table-mariadb", "jetstream"])
async def logs(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Logs]:
    if request.param == "table-sqlite":
        sqlite_logs = TableLogs(SqliteEngine, str(tmp_path / "catalog.db"))
        await sqlite_logs.migrate()
        yield sqlite_logs
        await sqlite_logs.close_all()
    elif request.param == "table-mariadb":
        servers.require(servers.mariadb_reachable(), "MariaDB at 127.0.0.1:3306")
        database = f"cgt{os.getpid()}_events_{uuid.uuid4().hex[:8]}"
        servers.recreate_databases([database])
        try:
            mariadb_logs = TableLogs(MysqlEngine, servers.mysql_url(database))
            await mariadb_logs.migrate()
            yield mariadb_logs
            await mariadb_logs.close_all()
        finally:
            servers.drop_databases([database])
    else:
        servers.require(servers.nats_reachable(), "NATS with JetStream at 127.0.0.1:4222")
        jetstream_logs = JetStreamLogs()
        try:
            yield jetstream_logs
            await jetstream_logs.close_all()
        finally:
            await jetstream_logs.drop()


_ids = iter(range(7_300_000_000_000_000, 7_400_000_000_000_000, 4099))


def make_events(kinds: Sequence[EventKind]) -> list[Event]:
    """Ids like the outbox's (large, increasing, not consecutive); data of every JSON type the
    events carry, including non-ASCII text and None."""
    start = datetime(2024, 5, 1, 10, 30, 15, 123456, tzinfo=UTC)
    events = []
    for index, kind in enumerate(kinds):
        event_id = next(_ids)
        events.append(
            Event(
                id=event_id,
                kind=kind,
                user_id=9_000 + index,
                occurred_at=start + timedelta(minutes=index, microseconds=index),
                data={
                    "course_id": 40 + index,
                    "title": f"Touch typing — Hindi ✓ {index}",
                    "valid_until": None if index % 2 else "2025-05-01T00:00:00+00:00",
                    "amount_paise": 49_900 * index,
                },
            )
        )
    return events


def events_of(deliveries: Sequence[Delivery]) -> list[Event]:
    return [delivery.event for delivery in deliveries]


def assert_same_events(deliveries: Sequence[Delivery], expected: Sequence[Event]) -> None:
    def fields(event: Event) -> tuple[object, ...]:
        return (event.id, event.kind, event.user_id, event.occurred_at, dict(event.data))

    assert [fields(event) for event in events_of(deliveries)] == [
        fields(event) for event in expected
    ]
    positions = [delivery.position for delivery in deliveries]
    assert positions == sorted(set(positions)), "positions increase with log order"


async def test_publish_then_fetch_returns_the_events_in_order_with_their_data(
    logs: Logs,
) -> None:
    log = await logs.open()
    events = make_events([ENROLLED, PAID, CANCELLED, ENROLLED, PAID])
    await log.publish(events)

    first = await log.fetch("analytics", EVERY_KIND, 2, GENEROUS_WAIT)
    assert_same_events(first, events[:2])
    assert all(event.occurred_at.tzinfo is not None for event in events_of(first))
    await log.ack("analytics", first)

    rest = await log.fetch("analytics", EVERY_KIND, 10, GENEROUS_WAIT)
    assert_same_events(rest, events[2:])
    assert rest[0].position > first[-1].position


async def test_a_replayed_publish_is_delivered_once(logs: Logs) -> None:
    relay = await logs.open()
    events = make_events([ENROLLED, PAID, CANCELLED, PAID])
    await relay.publish(events[:3])
    # The relay crashed after publishing and before deleting its outbox rows; a second relay
    # publishes them again, overlapping with the next batch.
    await relay.publish(events[:3])
    second_relay = await logs.open()
    await second_relay.publish(events[1:])

    follower = await logs.open()
    deliveries = await follower.fetch("analytics", EVERY_KIND, 20, GENEROUS_WAIT)
    assert_same_events(deliveries, events)
    await follower.ack("analytics", deliveries)
    assert await follower.lag("analytics", EVERY_KIND) == 0
    assert await follower.fetch("analytics", EVERY_KIND, 20, 0.2) == []


async def test_unacked_events_come_again_and_acked_ones_do_not(logs: Logs) -> None:
    events = make_events([ENROLLED, PAID, CANCELLED, PAID, ENROLLED])
    crashed = await logs.open(quick_redelivery=True)
    await crashed.publish(events[:3])
    fetched = await crashed.fetch("search", EVERY_KIND, 10, GENEROUS_WAIT)
    assert_same_events(fetched, events[:3])
    await logs.close(crashed)  # dies before acking

    restarted = await logs.open(quick_redelivery=True)
    again = await restarted.fetch("search", EVERY_KIND, 10, logs.redelivery_wait)
    assert_same_events(again, events[:3])
    await restarted.ack("search", again)
    await logs.close(restarted)

    resumed = await logs.open(quick_redelivery=True)
    await resumed.publish(events[3:])
    rest = await resumed.fetch("search", EVERY_KIND, 10, GENEROUS_WAIT)
    assert_same_events(rest, events[3:])
    await resumed.ack("search", rest)
    assert await resumed.fetch("search", EVERY_KIND, 10, logs.beyond_redelivery) == []
    assert await resumed.lag("search", EVERY_KIND) == 0


async def test_each_consumer_gets_every_event_of_its_own_kinds(logs: Logs) -> None:
    log = await logs.open()
    events = make_events([ENROLLED, PAID, CANCELLED, PAID, ENROLLED, CANCELLED])
    await log.publish(events)

    search = await log.fetch("search", SUBSCRIPTIONS, 10, GENEROUS_WAIT)
    assert_same_events(search, [event for event in events if event.kind in SUBSCRIPTIONS])
    await log.ack("search", search)

    other_process = await logs.open()
    analytics = await other_process.fetch("analytics", EVERY_KIND, 10, GENEROUS_WAIT)
    assert_same_events(analytics, events)
    await other_process.ack("analytics", analytics)

    orders = await other_process.fetch("orders", ORDERS, 10, GENEROUS_WAIT)
    assert_same_events(orders, [event for event in events if event.kind in ORDERS])
    await other_process.ack("orders", orders)

    assert await log.fetch("search", SUBSCRIPTIONS, 10, 0.2) == []


async def test_a_consumer_with_nothing_of_its_kinds_gets_nothing(logs: Logs) -> None:
    log = await logs.open()
    await log.publish(make_events([PAID, PAID, ENROLLED]))
    only_cancellations = frozenset({CANCELLED})
    async with asyncio.timeout(0.5 + GENEROUS_WAIT):
        assert await log.fetch("refunds", only_cancellations, 10, 0.3) == []
        assert (
            await log.fetch("refunds", frozenset({CANCELLED, EventKind.ORDER_REFUNDED}), 10, 0.3)
            == []
        )
    assert await log.lag("refunds", only_cancellations) == 0


async def test_fetch_with_nothing_to_read_returns_empty_after_its_wait(logs: Logs) -> None:
    log = await logs.open()
    async with asyncio.timeout(0.5 + GENEROUS_WAIT):  # it returns, about when it said
        assert await log.fetch("search", SUBSCRIPTIONS, 10, 0.5) == []
    assert await log.lag("search", SUBSCRIPTIONS) == 0


async def test_a_waiting_fetch_returns_an_event_published_meanwhile(logs: Logs) -> None:
    log = await logs.open()
    await log.fetch("search", SUBSCRIPTIONS, 10, 0.1)  # the consumer exists before the wait
    waiting = asyncio.create_task(log.fetch("search", SUBSCRIPTIONS, 10, 4 * GENEROUS_WAIT))
    events = make_events([ENROLLED])
    await log.publish(events)
    # Well before the fetch's own deadline: it returns once it has an event.
    async with asyncio.timeout(GENEROUS_WAIT):
        deliveries = await waiting
    assert_same_events(deliveries, events)


async def test_lag_counts_unacked_events_of_the_consumers_kinds(logs: Logs) -> None:
    log = await logs.open()
    events = make_events([ENROLLED, PAID, CANCELLED, ENROLLED, PAID, CANCELLED])
    await log.publish(events)
    # Before the consumer ever fetched: everything of its kinds.
    assert await log.lag("search", SUBSCRIPTIONS) == 4
    assert await log.lag("orders", ORDERS) == 2

    deliveries = await log.fetch("search", SUBSCRIPTIONS, 10, GENEROUS_WAIT)
    assert len(deliveries) == 4
    assert await log.lag("search", SUBSCRIPTIONS) == 4  # fetched is not done
    await log.ack("search", deliveries[:2])
    assert await log.lag("search", SUBSCRIPTIONS) == 2
    await log.ack("search", deliveries[2:])
    assert await log.lag("search", SUBSCRIPTIONS) == 0
    assert await log.lag("orders", ORDERS) == 2

    await log.publish(make_events([PAID]))
    assert await log.lag("search", SUBSCRIPTIONS) == 0
    assert await log.lag("orders", ORDERS) == 3
    await log.publish(make_events([CANCELLED]))
    assert await log.lag("search", SUBSCRIPTIONS) == 1


async def test_a_consumer_given_more_kinds_keeps_its_position(logs: Logs) -> None:
    """Events of the added kind older than the consumer's position are not delivered to it."""
    log = await logs.open()
    events = make_events([ENROLLED, PAID, ENROLLED])
    await log.publish(events)
    first = await log.fetch("search", frozenset({ENROLLED}), 10, GENEROUS_WAIT)
    assert_same_events(first, [events[0], events[2]])
    await log.ack("search", first)

    later = make_events([PAID, ENROLLED])
    await log.publish(later)
    widened = await log.fetch("search", frozenset({ENROLLED, PAID}), 10, GENEROUS_WAIT)
    assert_same_events(widened, later)
    await log.ack("search", widened)
    assert await log.lag("search", frozenset({ENROLLED, PAID})) == 0

    latest = make_events([CANCELLED, PAID])
    await log.publish(latest)
    again = await log.fetch("search", frozenset({ENROLLED, PAID, CANCELLED}), 10, GENEROUS_WAIT)
    assert_same_events(again, latest)


async def test_a_follower_gets_what_is_published_after_it_started_of_its_kinds(
    logs: Logs,
) -> None:
    publisher, other_process = await logs.open(), await logs.open()
    before = make_events([ENROLLED])
    await publisher.publish(before)
    followed = await other_process.follow(frozenset({ENROLLED}))
    after = make_events([ENROLLED, CANCELLED, ENROLLED])
    await publisher.publish(after)

    async with asyncio.timeout(GENEROUS_WAIT):
        seen = [await anext(followed), await anext(followed)]

    assert [event.id for event in seen] == [after[0].id, after[2].id]
    assert seen[0].data == after[0].data
    await followed.aclose()


async def test_every_follower_gets_every_event(logs: Logs) -> None:
    publisher = await logs.open()
    first = await (await logs.open()).follow(frozenset({ENROLLED}))
    second = await (await logs.open()).follow(frozenset({ENROLLED}))
    events = make_events([ENROLLED])
    await publisher.publish(events)

    async with asyncio.timeout(GENEROUS_WAIT):
        assert (await anext(first)).id == (await anext(second)).id == events[0].id
