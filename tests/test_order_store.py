"""The order store on each backend: placement on the buyer's shard, the webhook index, keys."""

from __future__ import annotations

from datetime import UTC, datetime

from datasources.backends import Backends
from records.orders import NewPaymentOrder


def _new_order(user_id: int, provider_order_id: str, key: str) -> NewPaymentOrder:
    return NewPaymentOrder(
        user_id=user_id,
        course_id=5,
        provider_order_id=provider_order_id,
        idempotency_key=key,
        amount_paise=49_900,
        currency="INR",
        receipt="cg_receipt",
    )


async def test_an_order_lives_on_its_buyers_shard_and_the_index_finds_it(
    backends: Backends,
) -> None:
    orders = backends.orders
    now = datetime.now(UTC)

    stored = await orders.create(_new_order(41, "order_A1", "key-1"), now)

    assert (stored.user_id, stored.state, stored.settled_payment_id) == (41, "created", None)
    assert await orders.user_for_provider_order("order_A1") == 41
    assert await orders.user_for_provider_order("order_missing") is None
    assert await orders.find_by_key(41, "key-1") == stored
    assert await orders.find_by_provider_id(41, "order_A1") == stored
    assert await orders.find_by_provider_id(42, "order_A1") is None
    home = backends.uncached_subscriptions.shard_for(41)
    for engine in backends.shard_engines:
        row = await engine.fetch_one("SELECT COUNT(*) FROM payment_orders")
        assert row is not None and int(row[0]) == (1 if engine is home else 0)


async def test_the_same_idempotency_key_keeps_the_first_order(backends: Backends) -> None:
    orders = backends.orders
    now = datetime.now(UTC)

    first = await orders.create(_new_order(43, "order_B1", "same"), now)
    second = await orders.create(_new_order(43, "order_B2", "same"), now)
    other_user = await orders.create(_new_order(44, "order_B3", "same"), now)

    assert second == first
    assert other_user.provider_order_id == "order_B3"


async def test_events_are_recorded_once_by_event_id_and_by_payment_and_kind(
    backends: Backends,
) -> None:
    orders = backends.orders
    now = datetime.now(UTC)
    await orders.create(_new_order(45, "order_C1", "k"), now)

    async with orders.locked(45, "order_C1") as locked:
        assert locked is not None
        assert await locked.record_event("evt_1", "pay_1", "payment.captured", "webhook", now)
        assert not await locked.record_event("evt_1", "pay_1", "order.paid", "webhook", now)
        assert not await locked.record_event("evt_2", "pay_1", "payment.captured", "webhook", now)
        assert await locked.record_event(None, "pay_1", "client.confirmed", "client", now)
        assert not await locked.record_event(None, "pay_1", "client.confirmed", "client", now)
        await locked.move("paid", "pay_1", now)

    async with orders.locked(46, "order_C1") as not_theirs:
        assert not_theirs is None
    order = await orders.find_by_provider_id(45, "order_C1")
    assert order is not None and (order.state, order.settled_payment_id) == ("paid", "pay_1")


async def test_a_failed_block_rolls_back_the_event_and_the_move(backends: Backends) -> None:
    orders = backends.orders
    now = datetime.now(UTC)
    await orders.create(_new_order(47, "order_D1", "k"), now)

    try:
        async with orders.locked(47, "order_D1") as locked:
            assert locked is not None
            await locked.record_event("evt_9", "pay_9", "payment.captured", "webhook", now)
            await locked.move("paid", "pay_9", now)
            raise RuntimeError("crash before commit")
    except RuntimeError:
        pass

    async with orders.locked(47, "order_D1") as locked:
        assert locked is not None and locked.order.state == "created"
        assert await locked.record_event("evt_9", "pay_9", "payment.captured", "webhook", now)
