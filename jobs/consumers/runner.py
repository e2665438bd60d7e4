"""Runs one durable consumer of the event log: fetch a batch, apply it, ack it.

At least once: a consumer that fails or dies before the ack gets the batch again, so `apply`
must be idempotent (each consumer keeps what it applied in the transaction of its effect).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Protocol

from datasources.events.log import EventLog
from records.events import Event, EventKind

log = logging.getLogger("coursegate.consumers")

BATCH_SIZE = 500
WAIT_SECONDS = 1.0
ERROR_BACKOFF_SECONDS = 2.0


class Consumer(Protocol):
    name: str
    kinds: frozenset[EventKind]

    async def start(self) -> None:
        """Before the first batch: e.g. build the model the events change, if there is none."""
        ...

    async def apply(self, events: Sequence[Event]) -> None:
        """The batch's effect, once per event however often an event is delivered."""
        ...

    async def rebuild(self) -> None:
        """Recomputes the consumer's model from the databases (corrects any drift)."""
        ...

    async def tick(self) -> None:
        """Work on the consumer's own schedule (tidying, snapshots): `consume` calls it after
        every batch and every empty wait, so at least every `wait_seconds`; it does what is due."""
        ...


async def consume_available(
    events: EventLog, consumer: Consumer, batch_size: int = BATCH_SIZE
) -> int:
    """Applies and acks every event waiting now; returns how many were handed over."""
    handled = 0
    while deliveries := await events.fetch(consumer.name, consumer.kinds, batch_size, 0):
        await consumer.apply([delivery.event for delivery in deliveries])
        await events.ack(consumer.name, deliveries)
        handled += len(deliveries)
    return handled


async def consume(
    events: EventLog,
    consumer: Consumer,
    stop: asyncio.Event,
    batch_size: int = BATCH_SIZE,
    wait_seconds: float = WAIT_SECONDS,
) -> None:
    """Until `stop` is set; a failure is logged and the unacked batch comes again after a pause."""
    started = False
    while not stop.is_set():
        try:
            if not started:
                await consumer.start()
                started = True
            deliveries = await events.fetch(consumer.name, consumer.kinds, batch_size, wait_seconds)
            if deliveries:
                await consumer.apply([delivery.event for delivery in deliveries])
                await events.ack(consumer.name, deliveries)
            await consumer.tick()
            continue
        except Exception:
            log.exception(
                "consumer %s failed; retrying in %.0fs", consumer.name, ERROR_BACKOFF_SECONDS
            )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), ERROR_BACKOFF_SECONDS)
