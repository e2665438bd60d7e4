"""Checkout orders on the buyer's shard, their payment events, and the catalog-side index that
leads a webhook (which names only the provider's order id) to that shard.

The store decides nothing: `locked` hands the caller one shard transaction holding the order row
lock, in which it records the event, moves the order and writes the subscription; the rules live
in `domain/checkout/`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime, timedelta

from datasources.ids import IdGenerator
from datasources.sql import event_outbox
from datasources.sql.engine import Row, SqlEngine, SqlExecutor
from datasources.sql.subscription_store import ShardedSubscriptionStore, locked_subscription
from datasources.sql.timestamps import from_db_required
from records.events import EventKind
from records.orders import NewPaymentOrder, OrderRefund, PaymentOrder
from records.subscriptions import Access, Subscription, SubscriptionStatus

CREATED_STATE = "created"
_ORDER_EVENTS = {
    "attempted": EventKind.ORDER_ATTEMPTED,
    "paid": EventKind.ORDER_PAID,
    "refunded": EventKind.ORDER_REFUNDED,
}
_ENDED_EVENTS = {
    SubscriptionStatus.REFUNDED: EventKind.SUBSCRIPTION_REFUNDED,
    SubscriptionStatus.CANCELLED: EventKind.SUBSCRIPTION_CANCELLED,
}
# Longer than a provider call may take (the Razorpay adapter's whole deadline is 15 s), so a live
# holder is never overtaken; a holder that crashed frees its key after this long.
RESERVATION_LEASE = timedelta(seconds=60)

_ORDER_COLUMNS = (
    "id, user_id, course_id, provider_order_id, idempotency_key, amount_paise, currency,"
    " receipt, state, settled_payment_id, created_at, updated_at"
)


def _order_from_row(row: Row) -> PaymentOrder:
    return PaymentOrder(
        id=int(row[0]),
        user_id=int(row[1]),
        course_id=int(row[2]),
        provider_order_id=str(row[3]),
        idempotency_key=str(row[4]),
        amount_paise=int(row[5]),
        currency=str(row[6]),
        receipt=str(row[7]),
        state=str(row[8]),
        settled_payment_id=None if row[9] is None else str(row[9]),
        created_at=from_db_required(row[10]),
        updated_at=from_db_required(row[11]),
    )


class LockedOrder:
    """One order inside a shard transaction that holds its row lock until the block ends."""

    def __init__(
        self, tx: SqlExecutor, engine: SqlEngine, ids: IdGenerator, order: PaymentOrder
    ) -> None:
        self._tx = tx
        self._engine = engine
        self._ids = ids
        self.order = order

    async def record_event(
        self, provider_event_id: str | None, payment_id: str, kind: str, source: str, now: datetime
    ) -> bool:
        """False when this event id, or this payment's event of this kind, was seen before."""
        inserted = await self._tx.execute(
            f"{self._engine.dialect.insert_ignore} INTO payment_events (id, user_id, order_id,"
            " provider_event_id, payment_id, kind, source, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self._ids.next_id(),
                self.order.user_id,
                self.order.id,
                provider_event_id,
                payment_id,
                kind,
                source,
                now,
            ),
        )
        return inserted == 1

    async def record_refund(self, refund: OrderRefund, now: datetime) -> None:
        """Keeps the refund once; a later report may add the reason an earlier one lacked."""
        await self._tx.execute(
            f"{self._engine.dialect.insert_ignore} INTO order_refunds (id, user_id, order_id,"
            " refund_id, payment_id, amount_paise, currency, reason, requested_by, source,"
            " refunded_at, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self._ids.next_id(),
                self.order.user_id,
                self.order.id,
                refund.refund_id,
                refund.payment_id,
                refund.amount_paise,
                refund.currency,
                refund.reason,
                refund.requested_by,
                refund.source,
                refund.refunded_at,
                now,
            ),
        )
        if refund.reason is not None:
            await self._tx.execute(
                "UPDATE order_refunds SET reason = ?, requested_by = ?"
                " WHERE refund_id = ? AND user_id = ? AND reason IS NULL",
                (refund.reason, refund.requested_by, refund.refund_id, self.order.user_id),
            )

    async def move(self, state: str, settled_payment_id: str | None, now: datetime) -> None:
        # Compare-and-set on the state read under the lock: a second guard, never expected to miss.
        changed = await self._tx.execute(
            "UPDATE payment_orders SET state = ?, settled_payment_id = ?, updated_at = ?"
            " WHERE user_id = ? AND id = ? AND state = ?",
            (state, settled_payment_id, now, self.order.user_id, self.order.id, self.order.state),
        )
        if changed != 1:
            raise RuntimeError(f"order {self.order.id} changed under its row lock")
        event = event_outbox.order_event(
            self._ids, _ORDER_EVENTS[state], self.order, settled_payment_id, now
        )
        await event_outbox.append(self._tx, [event])

    async def subscription(self) -> Subscription | None:
        """The buyer's subscription to the order's course, locked for this transaction."""
        return await locked_subscription(
            self._tx, self._engine.dialect, self.order.user_id, self.order.course_id
        )

    async def put_subscription(self, access: Access, source: str, now: datetime) -> None:
        """Makes the order's subscription active with this access, creating it if needed."""
        current = await self.subscription()
        running = current is not None and current.is_active_at(now)
        kind = EventKind.SUBSCRIPTION_RENEWED if running else EventKind.SUBSCRIPTION_PURCHASED
        if current is None:
            await self._tx.execute(
                "INSERT INTO user_typing_courses (id, user_id, typing_course_id, enrolled_at,"
                " expires_at, status, source, updated_at, kept_days)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    self._ids.next_id(),
                    self.order.user_id,
                    self.order.course_id,
                    access.enrolled_at,
                    access.expires_at,
                    SubscriptionStatus.ACTIVE.value,
                    source,
                    now,
                    access.kept_days,
                ),
            )
        else:
            await self._update_subscription(
                current.id, access, SubscriptionStatus.ACTIVE, source, now
            )
        await self._record(kind, current, now)

    async def end_subscription(
        self, current: Subscription, status: SubscriptionStatus, ended_at: datetime, now: datetime
    ) -> None:
        ended = Access(current.enrolled_at, ended_at, current.kept_days)
        await self._update_subscription(current.id, ended, status, current.source, now)
        await self._record(_ENDED_EVENTS[status], current, now)

    async def _record(self, kind: EventKind, before: Subscription | None, now: datetime) -> None:
        after = await self.subscription()
        if after is None:
            raise RuntimeError(f"order {self.order.id}: the subscription just written vanished")
        event = event_outbox.subscription_event(self._ids, kind, after, before, now)
        await event_outbox.append(self._tx, [event])

    async def _update_subscription(
        self,
        subscription_id: int,
        access: Access,
        status: SubscriptionStatus,
        source: str,
        now: datetime,
    ) -> None:
        await self._tx.execute(
            "UPDATE user_typing_courses SET enrolled_at = ?, expires_at = ?, kept_days = ?,"
            " status = ?, source = ?, updated_at = ? WHERE user_id = ? AND id = ?",
            (
                access.enrolled_at,
                access.expires_at,
                access.kept_days,
                status.value,
                source,
                now,
                self.order.user_id,
                subscription_id,
            ),
        )


class OrderStore:
    def __init__(
        self, catalog: SqlEngine, subscriptions: ShardedSubscriptionStore, ids: IdGenerator
    ) -> None:
        self._catalog = catalog
        self._subscriptions = subscriptions
        self._ids = ids

    def _shard(self, user_id: int) -> SqlEngine:
        return self._subscriptions.shard_for(user_id)

    def _writing(self, user_id: int) -> AbstractAsyncContextManager[tuple[SqlEngine, SqlExecutor]]:
        return self._subscriptions.router.writing(user_id)

    async def find_by_key(self, user_id: int, idempotency_key: str) -> PaymentOrder | None:
        row = await self._shard(user_id).fetch_one(
            f"SELECT {_ORDER_COLUMNS} FROM payment_orders"
            " WHERE user_id = ? AND idempotency_key = ?",
            (user_id, idempotency_key),
        )
        return None if row is None else _order_from_row(row)

    async def find_by_provider_id(
        self, user_id: int, provider_order_id: str
    ) -> PaymentOrder | None:
        row = await self._shard(user_id).fetch_one(
            f"SELECT {_ORDER_COLUMNS} FROM payment_orders"
            " WHERE user_id = ? AND provider_order_id = ?",
            (user_id, provider_order_id),
        )
        return None if row is None else _order_from_row(row)

    async def user_for_provider_order(self, provider_order_id: str) -> int | None:
        row = await self._catalog.fetch_one(
            "SELECT user_id FROM payment_order_index WHERE provider_order_id = ?",
            (provider_order_id,),
        )
        return None if row is None else int(row[0])

    async def reserve_key(self, user_id: int, idempotency_key: str, now: datetime) -> bool:
        """True when this caller may create the provider order for the key: it holds a fresh
        reservation, or took over one older than RESERVATION_LEASE (its holder crashed or
        gave up). False while another request is creating it."""
        async with self._writing(user_id) as (engine, tx):
            reserved = await tx.execute(
                f"{engine.dialect.insert_ignore} INTO checkout_reservations"
                " (user_id, idempotency_key, reserved_at) VALUES (?, ?, ?)",
                (user_id, idempotency_key, now),
            )
        if reserved:
            return True
        async with self._writing(user_id) as (_, tx):
            taken_over = await tx.execute(
                "UPDATE checkout_reservations SET reserved_at = ?"
                " WHERE user_id = ? AND idempotency_key = ? AND reserved_at < ?",
                (now, user_id, idempotency_key, now - RESERVATION_LEASE),
            )
        return taken_over == 1

    async def release_key(self, user_id: int, idempotency_key: str) -> None:
        async with self._writing(user_id) as (_, tx):
            await tx.execute(
                "DELETE FROM checkout_reservations WHERE user_id = ? AND idempotency_key = ?",
                (user_id, idempotency_key),
            )

    async def create(self, new: NewPaymentOrder, now: datetime) -> PaymentOrder:
        """Indexes the provider order, then stores it on the buyer's shard. A concurrent request
        with the same idempotency key that got there first wins: its order is returned, and this
        one's index row points at the same user, so it stays harmless."""
        await self._catalog.execute(
            f"{self._catalog.dialect.insert_ignore} INTO payment_order_index"
            " (provider_order_id, user_id, created_at) VALUES (?, ?, ?)",
            (new.provider_order_id, new.user_id, now),
        )
        async with self._writing(new.user_id) as (engine, tx):
            await tx.execute(
                f"{engine.dialect.insert_ignore} INTO payment_orders ({_ORDER_COLUMNS})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    self._ids.next_id(),
                    new.user_id,
                    new.course_id,
                    new.provider_order_id,
                    new.idempotency_key,
                    new.amount_paise,
                    new.currency,
                    new.receipt,
                    CREATED_STATE,
                    None,
                    now,
                    now,
                ),
            )
            # In the writing transaction, so on the primary, right after the write.
            row = await tx.fetch_one(
                f"SELECT {_ORDER_COLUMNS} FROM payment_orders"
                " WHERE user_id = ? AND idempotency_key = ?",
                (new.user_id, new.idempotency_key),
            )
        if row is None:
            raise RuntimeError("an inserted order could not be read back")
        await self.release_key(new.user_id, new.idempotency_key)  # the order row guards it now
        return _order_from_row(row)

    @asynccontextmanager
    async def locked(
        self, user_id: int, provider_order_id: str
    ) -> AsyncIterator[LockedOrder | None]:
        """The user's order in one shard transaction holding its row lock; None when the user has
        no such order. Commits when the block ends, rolls back on error."""
        async with self._writing(user_id) as (engine, tx):
            row = await tx.fetch_one(
                f"SELECT {_ORDER_COLUMNS} FROM payment_orders"
                f" WHERE user_id = ? AND provider_order_id = ?{engine.dialect.for_update}",
                (user_id, provider_order_id),
            )
            yield None if row is None else LockedOrder(tx, engine, self._ids, _order_from_row(row))

    async def refunds(self, user_id: int, order_id: int) -> list[OrderRefund]:
        rows = await self._shard(user_id).fetch_all(
            "SELECT refund_id, payment_id, amount_paise, currency, refunded_at, source, reason,"
            " requested_by FROM order_refunds WHERE user_id = ? AND order_id = ?"
            " ORDER BY refunded_at, id",
            (user_id, order_id),
        )
        return [
            OrderRefund(
                refund_id=str(row[0]),
                payment_id=str(row[1]),
                amount_paise=int(row[2]),
                currency=str(row[3]),
                refunded_at=from_db_required(row[4]),
                source=str(row[5]),
                reason=None if row[6] is None else str(row[6]),
                requested_by=None if row[7] is None else int(row[7]),
            )
            for row in rows
        ]

    async def payments_with_events(self, payment_ids: Sequence[str]) -> set[str]:
        """Those of `payment_ids` some shard has recorded an event of: payments of our orders."""
        return await self._found_on_shards("payment_events", "payment_id", payment_ids)

    async def recorded_refunds(self, refund_ids: Sequence[str]) -> set[str]:
        """Those of `refund_ids` some order on some shard has kept."""
        return await self._found_on_shards("order_refunds", "refund_id", refund_ids)

    async def _found_on_shards(self, table: str, column: str, values: Sequence[str]) -> set[str]:
        if not values:
            return set()
        marks = ", ".join("?" for _ in values)
        found: set[str] = set()
        for shard in self.shards:
            rows = await shard.fetch_all(
                f"SELECT DISTINCT {column} FROM {table} WHERE {column} IN ({marks})", tuple(values)
            )
            found.update(str(row[0]) for row in rows)
        return found

    async def open_orders(
        self,
        shard: SqlEngine,
        states: tuple[str, ...],
        created_from: datetime,
        created_until: datetime,
        after: PaymentOrder | None,
        limit: int,
    ) -> list[PaymentOrder]:
        """One page of a shard's orders in one of `states` created in [from, until), oldest
        first, strictly after the order `after`."""
        marks = ", ".join("?" for _ in states)
        keyset, params = "", [*states, created_from, created_until]
        if after is not None:
            keyset = " AND (created_at > ? OR (created_at = ? AND id > ?))"
            params += [after.created_at, after.created_at, after.id]
        rows = await shard.fetch_all(
            f"SELECT {_ORDER_COLUMNS} FROM payment_orders WHERE state IN ({marks})"
            f" AND created_at >= ? AND created_at < ?{keyset} ORDER BY created_at, id LIMIT ?",
            (*params, limit),
        )
        return [_order_from_row(row) for row in rows]

    @property
    def shards(self) -> tuple[SqlEngine, ...]:
        return self._subscriptions.shards
