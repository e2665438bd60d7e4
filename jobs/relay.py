"""Publishes every event outbox (the catalog's and each shard's) to the event log, oldest first,
then deletes what the log has taken.

A relay that dies after publishing and before deleting publishes those rows again on its next
pass; the log keeps one copy per event id, so nothing is lost and nothing is doubled. The
outboxes are relayed concurrently, each in id order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from datasources.events.log import EventPublisher
from datasources.sql import event_outbox
from datasources.sql.engine import SqlEngine

log = logging.getLogger("coursegate.relay")

BATCH_SIZE = 500
POLL_SECONDS = 0.05  # an empty outbox costs one indexed SELECT per outbox per poll
ERROR_BACKOFF_SECONDS = 2.0


class Relay:
    def __init__(
        self, outboxes: Sequence[SqlEngine], events: EventPublisher, batch_size: int = BATCH_SIZE
    ) -> None:
        self._outboxes = tuple(outboxes)
        self._events = events
        self._batch_size = batch_size
        self.published = 0  # events handed to the log by this relay (replays included)

    async def relay_once(self) -> int:
        """Publishes everything in the outboxes now; returns how many events. Every outbox is
        attempted to the end before the first failure (if any) is raised."""
        outcomes = await asyncio.gather(
            *(self._drain(outbox) for outbox in self._outboxes), return_exceptions=True
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        return sum(outcome for outcome in outcomes if isinstance(outcome, int))

    async def pending(self) -> dict[str, int]:
        """Unpublished events per outbox database."""
        counts = await asyncio.gather(*(event_outbox.pending(outbox) for outbox in self._outboxes))
        return {outbox.name: n for outbox, n in zip(self._outboxes, counts, strict=True)}

    async def run(self, stop: asyncio.Event, poll_seconds: float = POLL_SECONDS) -> None:
        """Relays until `stop` is set; a failure (log or database down) is retried after a pause."""
        while not stop.is_set():
            pause = poll_seconds
            try:
                await self.relay_once()
            except Exception:
                log.exception("event relay failed; retrying in %.0fs", ERROR_BACKOFF_SECONDS)
                pause = ERROR_BACKOFF_SECONDS
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), pause)

    async def _drain(self, outbox: SqlEngine) -> int:
        relayed = 0
        while True:
            batch = await event_outbox.oldest(outbox, self._batch_size)
            if not batch:
                return relayed
            await self._events.publish(batch)
            self.published += len(batch)
            await event_outbox.delete(outbox, batch)
            relayed += len(batch)
