"""What the embedded engine adds to the contract: its files on disk and its threading."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from datasources.search.contract import (
    SearchDocument,
    SearchFilters,
    SearchRequest,
    SearchUnavailable,
)
from datasources.search.tantivy_engine import TantivySearchEngine
from tests.search import corpus
from tests.search.conftest import in_batches


def index_directories(root: Path) -> list[str]:
    return sorted(path.name for path in root.glob("index-*"))


@pytest.fixture
async def built(tmp_path: Path) -> AsyncIterator[TantivySearchEngine]:
    engine = await TantivySearchEngine.open(tmp_path)
    await engine.rebuild(in_batches(corpus.catalog()))
    yield engine
    await engine.close()


async def test_an_index_survives_reopening(built: TantivySearchEngine, tmp_path: Path) -> None:
    before = await built.search(SearchRequest("touch typing"))
    await built.close()

    reopened = await TantivySearchEngine.open(tmp_path)
    try:
        assert await reopened.has_index()
        assert await reopened.search(SearchRequest("touch typing")) == before
    finally:
        await reopened.close()


async def test_rebuild_points_at_the_new_directory_and_removes_the_old(
    built: TantivySearchEngine, tmp_path: Path
) -> None:
    [first] = index_directories(tmp_path)

    await built.rebuild([corpus.hand_written_courses()])

    [second] = index_directories(tmp_path)
    assert second != first
    assert (tmp_path / "CURRENT").read_text() == second


async def test_a_failed_rebuild_leaves_no_partial_directory(
    built: TantivySearchEngine, tmp_path: Path
) -> None:
    before = index_directories(tmp_path)

    async def failing() -> AsyncIterator[Sequence[SearchDocument]]:
        yield corpus.hand_written_courses()
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        await built.rebuild(failing())

    assert index_directories(tmp_path) == before


async def test_an_index_of_another_schema_version_counts_as_missing(
    built: TantivySearchEngine, tmp_path: Path
) -> None:
    await built.close()
    [directory] = index_directories(tmp_path)
    (tmp_path / directory / "coursegate-schema-version").write_text("0")

    reopened = await TantivySearchEngine.open(tmp_path)
    try:
        assert not await reopened.has_index()
        await reopened.rebuild([corpus.hand_written_courses()])
        assert await reopened.has_index()
    finally:
        await reopened.close()


async def test_a_closed_engine_is_unavailable(built: TantivySearchEngine) -> None:
    await built.close()

    assert not await built.ping()
    assert not await built.has_index()
    with pytest.raises(SearchUnavailable):
        await built.search(SearchRequest())
    with pytest.raises(SearchUnavailable):
        await built.rebuild([corpus.hand_written_courses()])


async def test_a_course_repeated_in_a_rebuild_is_indexed_once(tmp_path: Path) -> None:
    engine = await TantivySearchEngine.open(tmp_path)
    first = corpus.hand_written_courses()[0]
    later = dataclasses.replace(first, title="Touch Typing Fundamentals Revised")
    try:
        await engine.rebuild([[first], [later]])
        result = await engine.search(SearchRequest("revised"))
        assert [hit.course_id for hit in result.hits] == [first.course_id]
        assert (await engine.search(SearchRequest())).total == 1
    finally:
        await engine.close()


async def test_searches_stay_consistent_while_writes_commit(built: TantivySearchEngine) -> None:
    courses = corpus.catalog()
    total = len(courses)
    coding = SearchRequest("typing", SearchFilters(categories=("coding",)), limit=100)
    expected = await built.search(coding)
    expected_ids = {hit.course_id for hit in expected.hits}
    assert 0 < expected.total < coding.limit

    async def keep_upserting() -> None:
        for batch in in_batches(courses, size=40):
            await built.upsert(batch)  # same documents: every answer must stay the same

    async def keep_searching() -> list[int]:
        totals = []
        for _ in range(30):
            totals.append((await built.search(SearchRequest(limit=1))).total)
            # Scores may drift (term statistics count deleted docs until merged); matches may not.
            result = await built.search(coding)
            assert {hit.course_id for hit in result.hits} == expected_ids
            assert result.facets == expected.facets
        return totals

    _, *search_totals = await asyncio.gather(keep_upserting(), keep_searching(), keep_searching())

    assert {t for totals in search_totals for t in totals} == {total}


def _tied_courses(course_ids: Sequence[int]) -> list[SearchDocument]:
    """Courses that every prefix of "typing" matches equally (same words, no subscribers)."""
    template = corpus.hand_written_courses()[0]
    return [
        dataclasses.replace(
            template, course_id=course_id, slug=f"tied-{course_id}", title="Typing Drills"
        )
        for course_id in course_ids
    ]


async def test_a_suggestion_tie_is_ordered_by_course_id(tmp_path: Path) -> None:
    engine = await TantivySearchEngine.open(tmp_path)
    ids = list(range(1, 201))
    try:
        # Highest ids first, over several commits: doc addresses run against course_id.
        await engine.rebuild([_tied_courses(ids[100:][::-1])])
        for batch in in_batches(_tied_courses(ids[:100][::-1]), size=25):
            await engine.upsert(batch)

        for prefix in ("t", "typ", "typing dr"):
            suggestions = await engine.autocomplete(prefix, 8)
            assert [s.course_id for s in suggestions] == ids[:8]
    finally:
        await engine.close()


async def test_a_tie_too_large_to_order_keeps_shorter_lists_a_start_of_longer_ones(
    tmp_path: Path,
) -> None:
    engine = await TantivySearchEngine.open(tmp_path)
    tied = _tied_courses(range(1, 1_501))
    popular = dataclasses.replace(tied[-1], popularity=50)
    try:
        await engine.rebuild(in_batches([*tied[:-1], popular], size=300))

        lists = [await engine.autocomplete("t", limit) for limit in range(1, 21)]

        longest = lists[-1]
        assert longest[0].course_id == popular.course_id
        assert len({s.course_id for s in longest}) == 20
        assert [s.score for s in longest] == sorted((s.score for s in longest), reverse=True)
        assert all(shorter == longest[: len(shorter)] for shorter in lists)
    finally:
        await engine.close()
