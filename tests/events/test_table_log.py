"""The table log's own guarantee beside the contract: a publish that is still committing when a
later one would commit cannot be skipped by a consumer acking the later one."""

from __future__ import annotations

import asyncio

from datasources.backends import Backends
from datasources.events.table_log import TableEventLog
from records.events import EventKind
from tests.events.test_event_log_contract import make_events

KINDS = frozenset({EventKind.SUBSCRIPTION_ENROLLED})


async def test_a_publish_committing_late_is_not_skipped(backends: Backends) -> None:
    slow, fast, reader = (TableEventLog(backends.catalog_engine) for _ in range(3))
    early, late = (
        make_events([EventKind.SUBSCRIPTION_ENROLLED] * 2),
        make_events([EventKind.SUBSCRIPTION_ENROLLED] * 2),
    )
    seen: list[int] = []
    async with backends.catalog_engine.transaction() as tx:
        await slow.append(tx, early)  # written, not committed yet
        later = asyncio.create_task(fast.publish(late))
        read_meanwhile = await reader.fetch("late", KINDS, 10, 0.3)
        seen += [d.event.id for d in read_meanwhile]
        await reader.ack("late", read_meanwhile)
        assert not later.done()  # it waits for the earlier publish to commit
    await later
    while deliveries := await reader.fetch("late", KINDS, 10, 0):
        seen += [d.event.id for d in deliveries]
        await reader.ack("late", deliveries)
    assert sorted(seen) == sorted(event.id for event in early + late)
