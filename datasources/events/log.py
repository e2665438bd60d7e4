"""The event log between writers and followers, small enough that each backend is one file:
JetStream (production), a table in the catalog database (embedded default), and Kafka would be
a third (aiokafka: publish keyed by user id, a consumer group per consumer, commit as ack).

Delivery is at least once: a consumer that dies before `ack` gets the events again, so every
consumer's effect is idempotent. Publishing is idempotent per event id (JetStream's
Nats-Msg-Id, the table's unique key), so a relay that crashed after publishing and before
deleting its outbox rows publishes them again harmlessly. `follow` is the other way to read:
every process gets every event from now on, nothing durable (Kafka: a consumer outside any
group, at the end of each partition), for what each process keeps in memory.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from typing import Protocol

from records.events import Event, EventKind


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event handed to a consumer; `position` is the log's own order (stream sequence)."""

    event: Event
    position: int


class EventPublisher(Protocol):
    """What the relay needs of the log."""

    name: str

    async def publish(self, events: Sequence[Event]) -> None:
        """Appends every event, in order, once per event id; returns after the log has them."""
        ...


class EventLog(EventPublisher, Protocol):
    async def fetch(
        self, consumer: str, kinds: frozenset[EventKind], limit: int, wait_seconds: float
    ) -> list[Delivery]:
        """The next events of `kinds` the durable consumer `consumer` has not acked, oldest
        first; waits up to `wait_seconds` for the first one, then returns what it has."""
        ...

    async def ack(self, consumer: str, deliveries: Sequence[Delivery]) -> None:
        """The consumer is done with these; they are not handed to it again."""
        ...

    async def lag(self, consumer: str, kinds: frozenset[EventKind]) -> int:
        """Events of `kinds` in the log that `consumer` has not acked yet."""
        ...

    async def follow(self, kinds: frozenset[EventKind]) -> AsyncGenerator[Event, None]:
        """Every event of `kinds` published after this returns, to this process alone: not
        durable (nothing published while it is not following is replayed), possibly twice.
        Closing the iterator stops following."""
        ...

    async def close(self) -> None: ...
