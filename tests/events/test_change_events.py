"""Every subscription and order change leaves one event in its shard's outbox, committed with the
change; the relay moves the outboxes to the event log, and a relay that dies after publishing
and before deleting publishes again without a duplicate reaching a consumer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from datasources.backends import Backends
from datasources.events.jetstream_log import JetStreamEventLog
from datasources.events.log import Delivery, EventLog
from datasources.payments.sandbox import SandboxProvider
from datasources.sql import event_outbox
from jobs.lifecycle import LifecycleRunner
from jobs.relay import Relay
from records.events import Event, EventKind
from records.lifecycle_jobs import JobState
from records.orders import NewPaymentOrder
from records.subscriptions import Access, NewSubscription
from tests import servers
from tests.conftest import graphql, token_for
from tests.factories import add_course
from tests.graphql_flows import CANCEL, ENROLL, REFUND, buy

ADMIN = token_for(1, admin=True)
ALL_KINDS = frozenset(EventKind)

_JOB = "... on LifecycleJobPayload { job { id } }"
_EXTEND = f"""mutation ($c: ID!) {{ extendSubscriptions(courseId: $c, days: 10) {{ {_JOB} }} }}"""
_VALIDITY = f"""mutation ($c: ID!) {{
    changeCourseValidity(courseId: $c, validityDays: 90) {{ {_JOB} }} }}"""
_GRANT = f"""mutation ($c: ID!, $u: [ID!]!) {{
    grantCourse(courseId: $c, userIds: $u) {{ {_JOB} }} }}"""


async def _run_job(
    client: httpx.AsyncClient, backends: Backends, mutation: str, **variables: Any
) -> None:
    body = await graphql(client, mutation, variables, ADMIN)
    job = next(iter(body["data"].values()))["job"]
    finished = await LifecycleRunner(backends).run_once(int(job["id"]))
    assert finished is not None and finished.state is JobState.DONE


async def _everything(log: EventLog, consumer: str) -> list[Delivery]:
    deliveries: list[Delivery] = []
    while batch := await log.fetch(consumer, ALL_KINDS, 100, wait_seconds=0.5):
        deliveries += batch
        await log.ack(consumer, batch)
    return deliveries


async def _outbox_sizes(backends: Backends) -> list[int]:
    return [await event_outbox.pending(shard) for shard in backends.shard_engines]


def _kinds_of(events: Sequence[Event], user_id: int) -> list[EventKind]:
    return [event.kind for event in events if event.user_id == user_id]


async def test_every_change_leaves_its_event_and_the_relay_publishes_them_all(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    backends.payments = sandbox = SandboxProvider()
    free = await add_course(backends, price_paise=0, validity_days=30)
    paid = await add_course(backends, price_paise=49_900, validity_days=30)
    enrolled, buyer, granted = 41, 42, 43

    await graphql(client, ENROLL, {"c": str(free.id)}, token_for(enrolled))
    await graphql(client, CANCEL, {"c": str(free.id)}, token_for(enrolled))
    await buy(client, sandbox, buyer, paid.id, "first")
    renewal = await buy(client, sandbox, buyer, paid.id, "renewal")
    await _run_job(client, backends, _EXTEND, c=str(paid.id))
    await _run_job(client, backends, _VALIDITY, c=str(paid.id))
    await _run_job(client, backends, _GRANT, c=str(paid.id), u=[str(granted), str(buyer)])
    refunded = await graphql(client, REFUND, {"o": renewal}, ADMIN)
    assert refunded["data"]["refundOrder"]["__typename"] == "RefundOrderSuccess"

    assert sum(await _outbox_sizes(backends)) > 0
    relayed = await Relay(backends.shard_engines, backends.events).relay_once()
    assert await _outbox_sizes(backends) == [0] * len(backends.shard_engines)
    events = [delivery.event for delivery in await _everything(backends.events, "test")]
    assert len(events) == relayed

    assert _kinds_of(events, enrolled) == [
        EventKind.SUBSCRIPTION_ENROLLED,
        EventKind.SUBSCRIPTION_CANCELLED,
    ]
    assert _kinds_of(events, buyer) == [
        EventKind.ORDER_PAID,
        EventKind.SUBSCRIPTION_PURCHASED,
        EventKind.ORDER_PAID,
        EventKind.SUBSCRIPTION_RENEWED,
        EventKind.SUBSCRIPTION_EXTENDED,
        EventKind.SUBSCRIPTION_REVALIDATED,
        EventKind.SUBSCRIPTION_RENEWED,  # the grant, on top of running access
        EventKind.ORDER_REFUNDED,
        EventKind.SUBSCRIPTION_REFUNDED,
    ]
    assert _kinds_of(events, granted) == [EventKind.SUBSCRIPTION_GRANTED]

    # The last event of a subscription describes the row as it is now.
    for user_id, course_id in ((enrolled, free.id), (buyer, paid.id), (granted, paid.id)):
        row = await backends.uncached_subscriptions.get(user_id, course_id)
        assert row is not None
        last = [e for e in events if e.user_id == user_id and "subscription_id" in e.data][-1]
        assert last.data["subscription_id"] == row.id
        assert last.data["status"] == row.status.value
        expires_at = None if row.expires_at is None else row.expires_at.isoformat()
        assert last.data["expires_at"] == expires_at
    paid_events = [e for e in events if e.kind is EventKind.ORDER_PAID]
    assert {e.data["amount_paise"] for e in paid_events} == {49_900}


async def test_a_change_that_rolls_back_leaves_no_event(backends: Backends) -> None:
    course = await add_course(backends, price_paise=0)
    now = datetime.now(UTC)

    class Abort(Exception):
        pass

    order = await backends.orders.create(_new_order(7, course.id), now)
    with pytest.raises(Abort):
        async with backends.orders.locked(7, order.provider_order_id) as locked:
            assert locked is not None
            await locked.put_subscription(Access(now, None), "order:1", now)
            await locked.move("paid", "pay_1", now)
            raise Abort
    assert await backends.uncached_subscriptions.get(7, course.id) is None
    assert await _outbox_sizes(backends) == [0] * len(backends.shard_engines)

    # An enrolment refused because access is running writes nothing either.
    enrolment = _new_enrolment(8, course.id, now)
    assert await backends.subscriptions.enroll_unless_active(enrolment, now) is not None
    assert await backends.subscriptions.enroll_unless_active(enrolment, now) is None
    assert sum(await _outbox_sizes(backends)) == 1


class _DiesAfterPublishing:
    """The log, reached by a relay process that dies right after the log took a batch."""

    def __init__(self, log: EventLog) -> None:
        self.name = log.name
        self._log = log
        self.taken = 0

    async def publish(self, events: Sequence[Event]) -> None:
        await self._log.publish(events)
        self.taken += len(events)
        raise ConnectionResetError("relay died before deleting its outbox rows")


@pytest.fixture(params=["table", "jetstream"])
async def event_log(request: pytest.FixtureRequest, backends: Backends) -> AsyncIterator[EventLog]:
    if request.param == "table":
        yield backends.events
        return
    servers.require(servers.nats_reachable(), "NATS JetStream at 127.0.0.1:4222")
    suffix = f"{backends.ids.next_id()}"
    log = await JetStreamEventLog.connect(
        servers.NATS_URL, stream=f"CGTEST_RELAY_{suffix}", subject_prefix=f"cgtest{suffix}"
    )
    try:
        yield log
    finally:
        await log.drop()
        await log.close()


async def test_a_relay_that_dies_after_publishing_publishes_again_without_duplicates(
    backends: Backends, event_log: EventLog
) -> None:
    course = await add_course(backends, price_paise=0)
    now = datetime.now(UTC)
    users = list(range(100, 130))
    for user_id in users:
        await backends.subscriptions.enroll_unless_active(
            _new_enrolment(user_id, course.id, now), now
        )

    dying_log = _DiesAfterPublishing(event_log)
    with pytest.raises(ConnectionResetError):
        await Relay(backends.shard_engines, dying_log).relay_once()
    # The log has every event, and the outboxes still hold every row.
    assert dying_log.taken == len(users)
    assert sum(await _outbox_sizes(backends)) == len(users)

    assert await Relay(backends.shard_engines, event_log).relay_once() == len(users)
    delivered = await _everything(event_log, "after-crash")
    assert sorted(d.event.user_id for d in delivered) == users
    assert len({d.event.id for d in delivered}) == len(users)
    assert await event_log.lag("after-crash", ALL_KINDS) == 0


def _new_order(user_id: int, course_id: int) -> NewPaymentOrder:
    return NewPaymentOrder(
        user_id=user_id,
        course_id=course_id,
        provider_order_id=f"order_test_{user_id}",
        idempotency_key=f"key-{user_id}",
        amount_paise=100,
        currency="INR",
        receipt=f"r-{user_id}",
    )


def _new_enrolment(user_id: int, course_id: int, now: datetime) -> NewSubscription:
    return NewSubscription(
        user_id=user_id, course_id=course_id, enrolled_at=now, expires_at=None, source="free"
    )
