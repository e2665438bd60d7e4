"""The embedded default's event log: an append-only table in the catalog database.

`position` is the log's order; the unique `event_id` makes a second publish of an event a
no-op. A durable consumer is a row holding the last position it acked, so it resumes where it
stopped; one process runs each consumer (the embedded gateway runs them all). An event fetched
and not acked is fetched again.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, Sequence
from datetime import UTC, datetime

from datasources.events.log import Delivery
from datasources.sql.engine import SqlEngine, SqlExecutor
from records.events import Event, EventKind

# Another process (a CLI `relay` beside the gateway) may append; this bounds how late it is seen.
_REPOLL_SECONDS = 0.2
_FOLLOW_BATCH = 500


class TableEventLog:
    name = "table"

    def __init__(self, engine: SqlEngine) -> None:
        self._engine = engine
        self._appended = asyncio.Event()

    async def publish(self, events: Sequence[Event]) -> None:
        if not events:
            return
        async with self._engine.transaction() as tx:
            await self.append(tx, events)
        self._appended.set()

    async def append(self, tx: SqlExecutor, events: Sequence[Event]) -> None:
        """`publish` inside the caller's transaction, visible when it commits."""
        # One publisher at a time: positions are taken when rows are inserted, so two
        # overlapping publishes could commit out of position order, and a consumer that acked
        # the later one would never read the earlier. (SQLite has one writer anyway.)
        await tx.fetch_one(
            f"SELECT id FROM event_log_lock WHERE id = 1{self._engine.dialect.for_update}"
        )
        now = datetime.now(UTC)
        await tx.execute_many(
            f"{self._engine.dialect.insert_ignore} INTO event_log"
            " (event_id, kind, payload, appended_at) VALUES (?, ?, ?, ?)",
            [(event.id, event.kind.value, event.payload(), now) for event in events],
        )

    async def fetch(
        self, consumer: str, kinds: frozenset[EventKind], limit: int, wait_seconds: float
    ) -> list[Delivery]:
        deadline = time.monotonic() + wait_seconds
        while True:
            self._appended.clear()
            deliveries = await self._read(consumer, kinds, limit)
            remaining = deadline - time.monotonic()
            if deliveries or remaining <= 0:
                return deliveries
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._appended.wait(), min(remaining, _REPOLL_SECONDS))

    async def ack(self, consumer: str, deliveries: Sequence[Delivery]) -> None:
        if not deliveries:
            return
        last = max(delivery.position for delivery in deliveries)
        now = datetime.now(UTC)
        async with self._engine.transaction() as tx:
            await tx.execute(
                f"{self._engine.dialect.insert_ignore} INTO event_consumers"
                " (name, acked_position, updated_at) VALUES (?, 0, ?)",
                (consumer, now),
            )
            await tx.execute(
                "UPDATE event_consumers SET acked_position = ?, updated_at = ?"
                " WHERE name = ? AND acked_position < ?",
                (last, now, consumer, last),
            )

    async def lag(self, consumer: str, kinds: frozenset[EventKind]) -> int:
        marks = ", ".join("?" for _ in kinds)
        row = await self._engine.fetch_one(
            f"SELECT COUNT(*) FROM event_log WHERE kind IN ({marks}) AND position > ?",
            (*sorted(kind.value for kind in kinds), await self._acked(consumer)),
        )
        return 0 if row is None else int(row[0])

    async def follow(self, kinds: frozenset[EventKind]) -> AsyncGenerator[Event, None]:
        row = await self._engine.fetch_one("SELECT MAX(position) FROM event_log")
        after = 0 if row is None or row[0] is None else int(row[0])
        return self._followed(kinds, after)

    async def _followed(
        self, kinds: frozenset[EventKind], after: int
    ) -> AsyncGenerator[Event, None]:
        marks = ", ".join("?" for _ in kinds)
        names = sorted(kind.value for kind in kinds)
        while True:
            self._appended.clear()
            rows = await self._engine.fetch_all(
                f"SELECT position, payload FROM event_log WHERE kind IN ({marks})"
                " AND position > ? ORDER BY position LIMIT ?",
                (*names, after, _FOLLOW_BATCH),
            )
            for position, payload in rows:
                after = int(position)
                yield Event.from_payload(str(payload))
            if not rows:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._appended.wait(), _REPOLL_SECONDS)

    async def close(self) -> None:
        """The catalog engine belongs to the backends, which close it."""

    async def _read(self, consumer: str, kinds: frozenset[EventKind], limit: int) -> list[Delivery]:
        marks = ", ".join("?" for _ in kinds)
        rows = await self._engine.fetch_all(
            f"SELECT position, payload FROM event_log WHERE kind IN ({marks}) AND position > ?"
            " ORDER BY position LIMIT ?",
            (*sorted(kind.value for kind in kinds), await self._acked(consumer), limit),
        )
        return [Delivery(Event.from_payload(str(row[1])), int(row[0])) for row in rows]

    async def _acked(self, consumer: str) -> int:
        row = await self._engine.fetch_one(
            "SELECT acked_position FROM event_consumers WHERE name = ?", (consumer,)
        )
        return 0 if row is None else int(row[0])
