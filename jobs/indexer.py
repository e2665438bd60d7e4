"""Keeps the search index in step with the catalog: the `search` consumer of course.changed
events (every catalog write appends one in its transaction), and rebuilds on demand.

At least once and idempotent: a batch names courses, whose current rows are re-read; active ones
are upserted and the rest deleted, then the batch is acked. A run that dies before its ack gets
the batch again. If two runs overlap and one writes an older read of a course after the other
wrote a newer one, the check after the write sees the course changed and queues it again, so
the index converges on the current row.

Popularity (active subscriptions per course) is read from the model the popularity consumer
keeps from subscription events (jobs/consumers/popularity.py; built from the shards the first
time), on rebuild and every `popularity_interval`; courses whose count changed are re-indexed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime

from datasources.backends import Backends
from datasources.search.contract import SearchDocument
from jobs.consumers.popularity import PopularityConsumer, active_counts
from jobs.consumers.runner import consume, consume_available
from jobs.relay import Relay
from records.catalog import Course, CourseFilter
from records.events import Event, EventKind

log = logging.getLogger("coursegate.indexer")

NAME = "search"
KINDS = frozenset({EventKind.COURSE_CHANGED})
BATCH_SIZE = 500
POLL_SECONDS = 1.0  # the longest a fetch waits for the next event
POPULARITY_SECONDS = 300.0


class SearchIndexer:
    name = NAME
    kinds = KINDS

    def __init__(
        self,
        backends: Backends,
        batch_size: int = BATCH_SIZE,
        popularity_interval: float = POPULARITY_SECONDS,
    ) -> None:
        self._backends = backends
        self._batch_size = batch_size
        self._popularity_interval = popularity_interval
        self._popularity: dict[int, int] = {}
        self._popularity_read_at: float | None = None

    @property
    def popularity(self) -> dict[int, int]:
        """Active subscribers per course as last counted."""
        return dict(self._popularity)

    async def start(self) -> None:
        """Builds the whole index first when there is none yet."""
        if not await self._backends.search.has_index():
            await self.rebuild()
        if self._popularity_read_at is None:
            await self._count_popularity()

    async def apply(self, events: Sequence[Event]) -> None:
        course_ids = sorted({int(str(event.data["course_id"])) for event in events})
        for start in range(0, len(course_ids), self._batch_size):
            await self._index_current(course_ids[start : start + self._batch_size])

    async def drain_once(self) -> int:
        """Relays the catalog's outbox and indexes every course it names now; returns how many
        events were handled."""
        await self.start()
        relay = Relay([self._backends.catalog_engine], self._backends.events)
        handled = 0
        while True:
            relayed = await relay.relay_once()
            applied = await consume_available(self._backends.events, self, self._batch_size)
            handled += applied
            if not relayed and not applied:
                return handled

    async def rebuild(self) -> None:
        """Build a fresh index from every active course and swap it in."""
        await self._count_popularity()
        await self._backends.search.rebuild(self._active_documents())

    async def refresh_popularity(self) -> int:
        """Recount subscribers; re-index courses whose count changed. Returns how many."""
        before = self._popularity
        await self._count_popularity()
        changed = sorted(
            course_id
            for course_id in before.keys() | self._popularity.keys()
            if before.get(course_id, 0) != self._popularity.get(course_id, 0)
        )
        for start in range(0, len(changed), self._batch_size):
            await self._index_current(changed[start : start + self._batch_size])
        return len(changed)

    async def tick(self) -> None:
        if self._popularity_is_stale():
            await self.refresh_popularity()

    async def run(self, stop: asyncio.Event, poll_seconds: float = POLL_SECONDS) -> None:
        """Indexes what the log brings, and refreshes popularity every `popularity_interval`,
        until `stop` is set; errors are logged and retried after a pause."""
        await consume(self._backends.events, self, stop, self._batch_size, poll_seconds)

    async def _index_current(self, course_ids: Sequence[int]) -> None:
        store = self._backends.uncached_catalog
        read = await store.get_courses(course_ids)
        active = [course for course in read.values() if course.is_active]
        gone = [
            course_id
            for course_id in course_ids
            if course_id not in read or not read[course_id].is_active
        ]
        if active:
            await self._backends.search.upsert([self._document(course) for course in active])
        if gone:
            await self._backends.search.delete(gone)
        await self._requeue_changed_since(read)

    async def _requeue_changed_since(self, read: dict[int, Course]) -> None:
        """A course written after our read may have been indexed by another drain before our
        write landed; queue it again so the newest row wins."""
        if not read:
            return
        current = await self._backends.uncached_catalog.get_courses(list(read))
        changed = [
            course_id
            for course_id, course in read.items()
            if course_id not in current or current[course_id].updated_at != course.updated_at
        ]
        if changed:
            await self._backends.uncached_catalog.enqueue_for_indexing(changed, datetime.now(UTC))

    async def _active_documents(self) -> AsyncIterator[list[SearchDocument]]:
        store = self._backends.uncached_catalog
        after_id: int | None = None
        while True:
            courses = await store.list_courses(CourseFilter(), after_id, self._batch_size)
            if not courses:
                return
            yield [self._document(course) for course in courses]
            after_id = courses[-1].id

    async def _count_popularity(self) -> None:
        if self._popularity_read_at is None:
            await PopularityConsumer(self._backends).start()  # builds the model if none yet
        self._popularity = await active_counts(self._backends)
        self._popularity_read_at = time.monotonic()

    def _popularity_is_stale(self) -> bool:
        read_at = self._popularity_read_at
        return read_at is None or time.monotonic() - read_at >= self._popularity_interval

    def _document(self, course: Course) -> SearchDocument:
        return SearchDocument.from_course(course, self._popularity.get(course.id, 0))
