"""Every worker follows the catalog's changes on the event log (`EventLog.follow`), so its
response caches read the catalog generation again as soon as any process changes a course,
instead of at their next periodic recheck, which stays as the fallback for an event this
worker missed (it was disconnected, or the event overtook the generation's bump)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from datasources.events.log import EventLog
from http_api.response_caches.generation import CatalogGeneration
from records.events import EventKind

log = logging.getLogger("coursegate.response_caches")

FOLLOWED = frozenset({EventKind.COURSE_CHANGED})
RETRY_SECONDS = 2.0


async def follow_catalog_changes(events: EventLog, generation: CatalogGeneration) -> None:
    """Until cancelled; a lost connection is followed again after a pause."""
    while True:
        try:
            followed = await events.follow(FOLLOWED)
            try:
                async for _ in followed:
                    generation.recheck()
            finally:
                await followed.aclose()
        except Exception as error:
            log.warning("not following catalog changes (%s); retrying", type(error).__name__)
        await asyncio.sleep(RETRY_SECONDS)


@asynccontextmanager
async def following(events: EventLog, generation: CatalogGeneration | None) -> AsyncIterator[None]:
    """Follows while the block runs (nothing to follow when the caches are off)."""
    if generation is None:
        yield
        return
    task = asyncio.create_task(follow_catalog_changes(events, generation))
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
