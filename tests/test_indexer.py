"""The search indexer, a consumer of course.changed events, on each backend: idempotent, safe
when drains overlap, popularity from the model kept from subscription events, and a course
changed mid-drain is queued again."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from datasources.backends import Backends
from datasources.search.contract import SearchRequest
from datasources.sql import event_outbox
from jobs.consumers.popularity import PopularityConsumer
from jobs.consumers.runner import consume_available
from jobs.indexer import SearchIndexer
from jobs.relay import Relay
from records.catalog import Category, Course, CourseDraft, Difficulty
from records.subscriptions import NewSubscription


def _draft(slug: str, title: str) -> CourseDraft:
    return CourseDraft(
        slug, title, "drills", Category.ACCURACY, Difficulty.BEGINNER, "en", (), 0, "INR", None
    )


async def _create(backends: Backends, slug: str, title: str) -> Course:
    return await backends.catalog.create_course(_draft(slug, title), datetime.now(UTC))


async def _found_ids(backends: Backends, query: str = "") -> list[int]:
    result = await backends.search.search(SearchRequest(query, limit=100))
    return sorted(hit.course_id for hit in result.hits)


async def test_draining_twice_is_idempotent(backends: Backends) -> None:
    a = await _create(backends, "alpha", "Alpha Accuracy")
    b = await _create(backends, "beta", "Beta Accuracy")
    indexer = SearchIndexer(backends)
    await indexer.drain_once()
    await backends.uncached_catalog.enqueue_for_indexing([a.id, b.id, a.id], datetime.now(UTC))
    assert await indexer.drain_once() == 2
    assert await indexer.drain_once() == 0
    assert await _found_ids(backends) == sorted([a.id, b.id])
    await _assert_all_indexed(backends)


async def _assert_all_indexed(backends: Backends) -> None:
    assert await event_outbox.pending(backends.catalog_engine) == 0
    assert await backends.events.lag(SearchIndexer.name, SearchIndexer.kinds) == 0


async def test_concurrent_drains_share_the_work(backends: Backends) -> None:
    indexer = SearchIndexer(backends, batch_size=3)
    await indexer.rebuild()
    courses = [await _create(backends, f"c{i}", f"Course {i}") for i in range(10)]
    handled = await asyncio.gather(
        SearchIndexer(backends, batch_size=3).drain_once(),
        SearchIndexer(backends, batch_size=3).drain_once(),
    )
    assert sum(handled) >= 10  # overlapping drains may both index a course: it is idempotent
    assert await _found_ids(backends) == sorted(c.id for c in courses)
    await _assert_all_indexed(backends)


async def test_deactivated_and_missing_courses_are_deleted(backends: Backends) -> None:
    kept = await _create(backends, "kept", "Kept Course")
    gone = await _create(backends, "gone", "Gone Course")
    indexer = SearchIndexer(backends)
    await indexer.drain_once()
    await backends.catalog.update_course(gone.id, {"is_active": False}, datetime.now(UTC))
    await backends.uncached_catalog.enqueue_for_indexing([987_654], datetime.now(UTC))
    await indexer.drain_once()
    assert await _found_ids(backends) == [kept.id]


async def test_a_batch_not_acked_is_indexed_on_the_next_run(backends: Backends) -> None:
    await SearchIndexer(backends).rebuild()
    course = await _create(backends, "late", "Late Course")
    await Relay(backends.outbox_engines, backends.events).relay_once()
    taken = await backends.events.fetch(SearchIndexer.name, SearchIndexer.kinds, 10, 0)
    assert [d.event.data["course_id"] for d in taken] == [course.id]  # and the run dies here
    assert await _found_ids(backends) == []
    assert await SearchIndexer(backends).drain_once() == 1
    assert await _found_ids(backends) == [course.id]
    await _assert_all_indexed(backends)


async def test_a_course_changed_after_the_read_is_queued_again(backends: Backends) -> None:
    course = await _create(backends, "race", "Race Course")
    indexer = SearchIndexer(backends)
    await indexer.drain_once()
    store = backends.uncached_catalog
    real_get = store.get_courses
    reads = 0

    async def read_then_rename(ids: Sequence[int]) -> dict[int, Course]:
        nonlocal reads
        reads += 1
        found = await real_get(ids)
        if reads == 1:  # right after our read: a rename, indexed at once by another drain
            await backends.catalog.update_course(
                course.id, {"title": "Renamed"}, datetime.now(UTC) + timedelta(seconds=1)
            )
            await SearchIndexer(backends).drain_once()
        return found

    await store.enqueue_for_indexing([course.id], datetime.now(UTC))
    store.get_courses = read_then_rename  # type: ignore[method-assign]
    try:
        await indexer.drain_once()
    finally:
        store.get_courses = real_get  # type: ignore[method-assign]
    assert await _found_ids(backends, "renamed") == [course.id]


async def test_popularity_counts_active_subscriptions_on_every_shard_then_follows_events(
    backends: Backends,
) -> None:
    popular = await _create(backends, "popular", "Popular Course")
    quiet = await _create(backends, "quiet", "Quiet Course")
    now = datetime.now(UTC)
    users = range(1, 41)
    for user_id in users:
        await backends.subscriptions.enroll_unless_active(
            NewSubscription(user_id, popular.id, now, None, "free"), now
        )
    expired = NewSubscription(99, quiet.id, now - timedelta(days=9), now - timedelta(days=1), "x")
    await backends.subscriptions.enroll_unless_active(expired, now - timedelta(days=9))
    shards_used = {backends.uncached_subscriptions.shard_for(u) for u in users}
    assert len(shards_used) == len(backends.shard_engines) > 1

    indexer = SearchIndexer(backends)
    await indexer.rebuild()
    assert indexer.popularity == {popular.id: 40}
    browse = await backends.search.search(SearchRequest())
    assert [hit.course_id for hit in browse.hits] == [popular.id, quiet.id]

    # The model follows subscription events: nothing changes until they are relayed and applied.
    await backends.subscriptions.enroll_unless_active(
        NewSubscription(500, quiet.id, now, None, "free"), now
    )
    assert await indexer.refresh_popularity() == 0
    await Relay(backends.outbox_engines, backends.events).relay_once()
    await consume_available(backends.events, PopularityConsumer(backends))
    assert await indexer.refresh_popularity() == 1
    assert indexer.popularity == {popular.id: 40, quiet.id: 1}
