"""Popularity kept from subscription events equals a recount from the shards, and stays equal
when events are delivered twice, a consumer dies before its ack, or a rebuild overlaps them."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx

from datasources.backends import Backends
from datasources.ids import IdGenerator
from datasources.sql import event_outbox
from domain.subscriptions.popularity import LIFETIME, contributions
from jobs.consumers.popularity import KINDS, NAME, PopularityConsumer, active_counts
from jobs.consumers.runner import consume_available
from jobs.relay import Relay
from records.events import Event, EventKind
from records.subscriptions import NewSubscription, Subscription, SubscriptionStatus
from tests.factories import add_course

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def _row(status: SubscriptionStatus, expires_at: datetime | None) -> Subscription:
    return Subscription(7, 3, 11, NOW - timedelta(days=5), expires_at, status, "free", NOW)


def _event(after: Subscription, before: Subscription | None) -> Event:
    kind = EventKind.SUBSCRIPTION_RENEWED
    return event_outbox.subscription_event(IdGenerator(1), kind, after, before, NOW)


def test_an_event_moves_one_contribution_from_the_old_expiry_day_to_the_new() -> None:
    in_a_week = NOW + timedelta(days=7)
    in_a_month = NOW + timedelta(days=30)
    active_week = _row(SubscriptionStatus.ACTIVE, in_a_week)
    assert contributions(_event(active_week, None)) == {(11, in_a_week.date()): 1}
    renewed = _row(SubscriptionStatus.ACTIVE, in_a_month)
    assert contributions(_event(renewed, active_week)) == {
        (11, in_a_week.date()): -1,
        (11, in_a_month.date()): 1,
    }
    refunded = _row(SubscriptionStatus.REFUNDED, NOW)
    assert contributions(_event(refunded, renewed)) == {(11, in_a_month.date()): -1}
    lifetime = _row(SubscriptionStatus.ACTIVE, None)
    assert contributions(_event(lifetime, refunded)) == {(11, LIFETIME): 1}
    order_event = Event(1, EventKind.ORDER_PAID, 3, NOW, {"order_id": 1, "course_id": 11})
    assert contributions(order_event) == {}


async def _recount(backends: Backends) -> dict[int, int]:
    """Active subscriptions per course straight from the shards, counted to the end of the
    expiry day as the model does."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    totals: Counter[int] = Counter()
    for shard in backends.shard_engines:
        rows = await shard.fetch_all(
            "SELECT typing_course_id, COUNT(*) FROM user_typing_courses WHERE status = 'active'"
            " AND (expires_at IS NULL OR expires_at >= ?) GROUP BY typing_course_id",
            (today,),
        )
        totals.update({int(course): int(count) for course, count in rows})
    return {course: count for course, count in totals.items() if count}


async def _relay_and_apply(backends: Backends) -> int:
    await Relay(backends.shard_engines, backends.events).relay_once()
    return await consume_available(backends.events, PopularityConsumer(backends))


async def _changes(backends: Backends, course_ids: list[int], users: range, now: datetime) -> None:
    store = backends.subscriptions
    for user_id in users:
        course_id = course_ids[user_id % len(course_ids)]
        expires = None if user_id % 3 == 0 else now + timedelta(days=user_id % 40 + 1)
        await store.enroll_unless_active(
            NewSubscription(user_id, course_id, now, expires, "free"), now
        )
        if user_id % 4 == 0:
            await store.cancel(user_id, course_id, now)
        if user_id % 5 == 0:  # expired before today: enrolled again, counts once
            past = now - timedelta(days=60)
            other = course_ids[(user_id + 1) % len(course_ids)]
            await store.enroll_unless_active(
                NewSubscription(user_id, other, past, past + timedelta(days=30), "free"), past
            )
            await store.enroll_unless_active(
                NewSubscription(user_id, other, now, now + timedelta(days=9), "free"), now
            )


async def test_the_model_follows_every_change_and_equals_a_recount(backends: Backends) -> None:
    courses = [(await add_course(backends, price_paise=0)).id for _ in range(4)]
    consumer = PopularityConsumer(backends)
    await consumer.start()  # an empty model, built before any change
    assert await active_counts(backends) == {}

    now = datetime.now(UTC)
    await _changes(backends, courses, range(1, 61), now)
    assert await _relay_and_apply(backends) > 0
    recount = await _recount(backends)
    assert recount and await active_counts(backends) == recount


async def test_events_delivered_twice_or_left_unacked_count_once(backends: Backends) -> None:
    courses = [(await add_course(backends, price_paise=0)).id for _ in range(3)]
    consumer = PopularityConsumer(backends)
    await consumer.start()
    await _changes(backends, courses, range(1, 31), datetime.now(UTC))
    await Relay(backends.shard_engines, backends.events).relay_once()

    # A consumer that applied a batch and died before its ack: the batch comes again.
    first = await backends.events.fetch(NAME, KINDS, 1000, 0)
    await consumer.apply([delivery.event for delivery in first])
    again = await backends.events.fetch(NAME, KINDS, 1000, 0)
    assert [d.event.id for d in again] == [d.event.id for d in first]
    await consumer.apply([delivery.event for delivery in again])
    await consumer.apply([delivery.event for delivery in again[:5]] * 2)  # a replayed publish
    await backends.events.ack(NAME, again)

    assert await active_counts(backends) == await _recount(backends)
    assert await backends.events.lag(NAME, KINDS) == 0


async def test_a_rebuild_counts_what_came_before_it_once(backends: Backends) -> None:
    courses = [(await add_course(backends, price_paise=0)).id for _ in range(3)]
    now = datetime.now(UTC)
    await _changes(backends, courses, range(1, 21), now)
    consumer = PopularityConsumer(backends)
    await consumer.start()  # first start: counted from the shards, events so far included
    assert await active_counts(backends) == await _recount(backends)

    await _changes(backends, courses, range(21, 41), now)
    await _relay_and_apply(backends)  # old and new events: only the new ones apply
    assert await active_counts(backends) == await _recount(backends)

    await consumer.rebuild()
    assert await active_counts(backends) == await _recount(backends)


def _yesterday() -> str:
    return (datetime.now(UTC).date() - timedelta(days=1)).isoformat()


async def test_days_gone_by_are_pruned_without_changing_the_count(backends: Backends) -> None:
    course = await add_course(backends, price_paise=0)
    consumer = PopularityConsumer(backends)
    await consumer.start()
    now = datetime.now(UTC)
    for user_id in range(1, 11):
        enrolled = now - timedelta(days=40 if user_id % 2 else 1)
        enrolment = NewSubscription(user_id, course.id, enrolled, enrolled + timedelta(30), "free")
        await backends.subscriptions.enroll_unless_active(enrolment, enrolled)
    await _relay_and_apply(backends)
    past_rows = await backends.catalog_engine.fetch_all(
        "SELECT COUNT(*) FROM course_activity WHERE expires_day < ?",
        (_yesterday(),),
    )
    assert int(past_rows[0][0]) > 0  # the runs that ended 10 days ago
    before = await active_counts(backends)
    assert before == {course.id: 5}
    await consumer.tidy(datetime.now(UTC))
    past_after = await backends.catalog_engine.fetch_all(
        "SELECT COUNT(*) FROM course_activity WHERE expires_day < ?",
        (_yesterday(),),
    )
    assert int(past_after[0][0]) == 0
    assert await active_counts(backends) == before


async def test_readiness_and_metrics_show_each_backlog(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends, price_paise=0)
    await PopularityConsumer(backends).start()
    now = datetime.now(UTC)
    for user_id in (1, 2, 3):
        await backends.subscriptions.enroll_unless_active(
            NewSubscription(user_id, course.id, now, None, "free"), now
        )

    async def backlog() -> dict[str, object]:
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        events: dict[str, object] = ready.json()["events"]
        return events

    outboxes = [f"outbox:{shard.name}" for shard in backends.shard_engines]
    waiting = await backlog()
    assert sum(int(str(waiting[name])) for name in outboxes) == 3
    assert waiting["consumer:popularity"] == 0

    await Relay(backends.shard_engines, backends.events).relay_once()
    relayed = await backlog()
    assert [relayed[name] for name in outboxes] == [0] * len(outboxes)
    assert relayed["consumer:popularity"] == 3
    metrics = (await client.get("/metrics")).text
    assert 'coursegate_event_backlog{queue="consumer:popularity"} 3.0' in metrics

    await consume_available(backends.events, PopularityConsumer(backends))
    assert (await backlog())["consumer:popularity"] == 0
