"""Keeps the search index in step with the catalog: drains the course outbox, rebuilds on demand.

At-least-once and idempotent: each batch claims outbox rows with a lease, re-reads the current
course rows, upserts the active ones and deletes the rest, then deletes the claimed rows. A run
that dies leaves its claims to expire and be taken again. Two drains (two tasks or processes)
never claim the same row; if one writes an older read of a course after the other wrote a newer
one, the check after the write sees the course changed and queues it again, so the index
converges on the current row.

Popularity (active subscriptions per course) is read from the model the popularity consumer
keeps from subscription events (jobs/consumers/popularity.py; built from the shards the first
time), on rebuild and every `popularity_interval`; courses whose count changed are re-indexed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

from datasources.backends import Backends
from datasources.search.contract import SearchDocument
from jobs.consumers.popularity import PopularityConsumer, active_counts
from records.catalog import Course, CourseFilter

log = logging.getLogger("coursegate.indexer")

BATCH_SIZE = 500
CLAIM_LEASE = timedelta(seconds=60)
POLL_SECONDS = 0.5
POPULARITY_SECONDS = 300.0
ERROR_BACKOFF_SECONDS = 5.0


class SearchIndexer:
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

    async def drain_once(self) -> int:
        """Index every course queued in the outbox now; returns how many courses were handled.

        Builds the whole index first when there is none yet.
        """
        if not await self._backends.search.has_index():
            await self.rebuild()
        if self._popularity_read_at is None:
            await self._count_popularity()
        handled = 0
        while True:
            token = uuid.uuid4().hex
            now = datetime.now(UTC)
            store = self._backends.uncached_catalog
            course_ids = await store.claim_outbox(token, now, now + CLAIM_LEASE, self._batch_size)
            if not course_ids:
                return handled
            await self._index_current(course_ids)
            await store.delete_claimed_outbox(token)
            handled += len(course_ids)

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

    async def run(self, stop: asyncio.Event, poll_seconds: float = POLL_SECONDS) -> None:
        """Drain and refresh until `stop` is set; errors are logged and retried after a pause."""
        while not stop.is_set():
            pause = poll_seconds
            try:
                await self.drain_once()
                if self._popularity_is_stale():
                    await self.refresh_popularity()
            except Exception:
                log.exception("search indexing failed; retrying in %.0fs", ERROR_BACKOFF_SECONDS)
                pause = ERROR_BACKOFF_SECONDS
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), pause)

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
