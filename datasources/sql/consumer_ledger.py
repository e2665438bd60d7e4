"""What a consumer has applied, kept in the transaction that applies it: the events a consumer
has seen (so a redelivery, or a relay replay past the log's duplicate window, changes nothing)
and where its model was last rebuilt from the shards: events with a smaller id (ids are
time-ordered, datasources/ids.py) were in that count."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from datasources.sql.engine import Dialect, SqlEngine, SqlExecutor
from records.events import Event


async def first_seen(
    tx: SqlExecutor, dialect: Dialect, consumer: str, events: Sequence[Event], now: datetime
) -> list[Event]:
    """Records `events` as applied by `consumer`; returns those it had not applied before, in
    order (an event twice in `events` counts once). Holds their rows until `tx` ends, so a
    concurrent run of the same consumer waits instead of applying them too."""
    unique = list({event.id: event for event in events}.values())
    if not unique:
        return []
    marks = ", ".join("?" for _ in unique)
    seen_rows = await tx.fetch_all(
        f"SELECT event_id FROM consumer_applied_events WHERE consumer = ?"
        f" AND event_id IN ({marks}){dialect.for_update}",
        (consumer, *(event.id for event in unique)),
    )
    seen = {int(row[0]) for row in seen_rows}
    fresh = [event for event in unique if event.id not in seen]
    if fresh:
        await tx.execute_many(
            "INSERT INTO consumer_applied_events (consumer, event_id, applied_at) VALUES (?, ?, ?)",
            [(consumer, event.id, now) for event in fresh],
        )
    return fresh


async def forget_before(engine: SqlEngine, consumer: str, before: datetime) -> int:
    """Drops records older than any redelivery can be (acks are seconds after applying)."""
    return await engine.execute(
        "DELETE FROM consumer_applied_events WHERE consumer = ? AND applied_at < ?",
        (consumer, before),
    )


async def counted_before(tx: SqlExecutor, dialect: Dialect, consumer: str) -> int | None:
    """Events with an id below this were in the last rebuild; None: never built."""
    row = await tx.fetch_one(
        f"SELECT counted_before FROM consumer_marks WHERE consumer = ?{dialect.for_update}",
        (consumer,),
    )
    return None if row is None else int(row[0])


async def mark_rebuilt(tx: SqlExecutor, consumer: str, counted_before: int, now: datetime) -> None:
    await tx.execute("DELETE FROM consumer_marks WHERE consumer = ?", (consumer,))
    await tx.execute(
        "INSERT INTO consumer_marks (consumer, counted_before, rebuilt_at) VALUES (?, ?, ?)",
        (consumer, counted_before, now),
    )
