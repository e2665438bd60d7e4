"""The event outboxes: every course change (on the catalog) and every subscription and order
change (on the user's shard) appends its event in the transaction that makes the change, so an
event exists exactly when its change committed.
The relay (jobs/relay.py) publishes the rows to the event log and then deletes them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from datasources.ids import IdGenerator
from datasources.sql.engine import Row, SqlEngine, SqlExecutor
from records.events import Event, EventKind
from records.orders import PaymentOrder
from records.subscriptions import Subscription

_INSERT = "INSERT INTO event_outbox (id, kind, user_id, payload, created_at) VALUES (?, ?, ?, ?, ?)"


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def subscription_event(
    ids: IdGenerator,
    kind: EventKind,
    after: Subscription,
    before: Subscription | None,
    now: datetime,
) -> Event:
    """A subscription's change: its state afterwards and the expiry and status it had before
    (None before it existed), which is what popularity and expiry analytics add up."""
    return Event(
        id=ids.next_id(),
        kind=kind,
        user_id=after.user_id,
        occurred_at=now,
        data={
            "subscription_id": after.id,
            "course_id": after.course_id,
            "status": after.status.value,
            "enrolled_at": _time(after.enrolled_at),
            "expires_at": _time(after.expires_at),
            "source": after.source,
            "previous_status": None if before is None else before.status.value,
            "previous_expires_at": None if before is None else _time(before.expires_at),
        },
    )


def course_event(ids: IdGenerator, course_id: int, now: datetime) -> Event:
    """A catalog write: followers re-read the course's current row."""
    return Event(ids.next_id(), EventKind.COURSE_CHANGED, 0, now, {"course_id": course_id})


def order_event(
    ids: IdGenerator,
    kind: EventKind,
    order: PaymentOrder,
    settled_payment_id: str | None,
    now: datetime,
) -> Event:
    """An order's move to a new state (`order` as it was before the move)."""
    return Event(
        id=ids.next_id(),
        kind=kind,
        user_id=order.user_id,
        occurred_at=now,
        data={
            "order_id": order.id,
            "course_id": order.course_id,
            "amount_paise": order.amount_paise,
            "currency": order.currency,
            "previous_state": order.state,
            "payment_id": settled_payment_id,
        },
    )


async def append(tx: SqlExecutor, events: Sequence[Event]) -> None:
    if events:
        await tx.execute_many(
            _INSERT,
            [(e.id, e.kind.value, e.user_id, e.payload(), e.occurred_at) for e in events],
        )


async def oldest(shard: SqlEngine, limit: int) -> list[Event]:
    """The shard's unpublished events, oldest id first. Read in a transaction so it goes to the
    primary: a replica may not have the newest rows yet, or still have deleted ones."""
    async with shard.transaction() as tx:
        rows = await tx.fetch_all("SELECT payload FROM event_outbox ORDER BY id LIMIT ?", (limit,))
    return [_event(row) for row in rows]


async def delete(shard: SqlEngine, events: Sequence[Event]) -> None:
    if events:
        marks = ", ".join("?" for _ in events)
        await shard.execute(
            f"DELETE FROM event_outbox WHERE id IN ({marks})", tuple(e.id for e in events)
        )


async def pending(shard: SqlEngine) -> int:
    row = await shard.fetch_one("SELECT COUNT(*) FROM event_outbox")
    return 0 if row is None else int(row[0])


def _event(row: Row) -> Event:
    return Event.from_payload(str(row[0]))
