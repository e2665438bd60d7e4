"""Keeps popularity (active subscriptions per course) from subscription events, instead of a
count over every shard (domain/subscriptions/popularity.py has the rule).

The first start builds the model from the shards, marked with an event id taken just before
the count; events with smaller ids (ids are time-ordered) are in that count and are skipped.
A change committing while the count runs can be counted twice or not at all (the window is
one transaction long, plus clock skew between nodes); `coursegate consume popularity
--rebuild` corrects any drift.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from datasources.backends import Backends
from datasources.sql import consumer_ledger, popularity_store
from domain.subscriptions.popularity import Contributions, contributions
from records.events import Event, EventKind

NAME = popularity_store.MODEL_CONSUMER
KINDS = frozenset(kind for kind in EventKind if kind.value.startswith("subscription."))
# Longer than any redelivery: an event is acked seconds after it is applied.
LEDGER_DAYS = 2
TIDY_SECONDS = 3600.0


class PopularityConsumer:
    name = NAME
    kinds = KINDS

    def __init__(self, backends: Backends) -> None:
        self._backends = backends
        self._tidied_at = time.monotonic()

    async def start(self) -> None:
        engine = self._backends.catalog_engine
        async with engine.transaction() as tx:
            built = await consumer_ledger.counted_before(tx, engine.dialect, NAME)
        if built is None:
            await self.rebuild()

    async def rebuild(self) -> None:
        """Replaces the model with a count from the shards."""
        engine = self._backends.catalog_engine
        counted_before = self._backends.ids.next_id()
        counted_at = datetime.now(UTC)
        model = await popularity_store.count_from_shards(
            self._backends.shard_engines, counted_at.date()
        )
        async with engine.transaction() as tx:
            await popularity_store.replace(tx, engine.dialect, model)
            await consumer_ledger.mark_rebuilt(tx, NAME, counted_before, counted_at)

    async def apply(self, events: Sequence[Event]) -> None:
        engine = self._backends.catalog_engine
        now = datetime.now(UTC)
        async with engine.transaction() as tx:
            built = await consumer_ledger.counted_before(tx, engine.dialect, NAME)
            newer = [e for e in events if built is None or e.id >= built]
            fresh = await consumer_ledger.first_seen(tx, engine.dialect, NAME, newer, now)
            change = Contributions()
            for event in fresh:
                change.update(contributions(event))
            await popularity_store.add(tx, engine.dialect, change)

    async def tick(self) -> None:
        if time.monotonic() - self._tidied_at >= TIDY_SECONDS:
            await self.tidy(datetime.now(UTC))

    async def tidy(self, now: datetime) -> None:
        """Forgets expiry days gone by and ledger records older than any redelivery."""
        self._tidied_at = time.monotonic()
        engine = self._backends.catalog_engine
        await popularity_store.prune(engine, now.date() - timedelta(days=1))
        await consumer_ledger.forget_before(engine, NAME, now - timedelta(days=LEDGER_DAYS))


async def active_counts(backends: Backends) -> dict[int, int]:
    """Popularity as the model holds it today."""
    return await popularity_store.active_counts(backends.catalog_engine, datetime.now(UTC).date())
