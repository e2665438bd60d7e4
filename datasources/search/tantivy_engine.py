"""The embedded search engine: a tantivy index in a local directory.

Writes, rebuilds and searches run in a worker thread. Suggestions run on the event loop: over
10,000 courses a prefix takes 0.2-1.5 ms, about what the hop to a thread and back costs under
load, and a repeat is a cache hit. (A one- to three-letter prefix matching thousands of equally
scored courses took up to ~20 ms while every tied match was read to order the tie by course_id;
tantivy_reader now caps that, see _SUGGESTION_FULL_TIE_CAP.)

One process writes an index directory at a time (tantivy allows one writer): writes are
serialised by an asyncio lock, and searches use the searcher of the last commit. Another process
opening the same root sees the index current at its open; it does not follow later swaps.

Every commit and swap bumps `index_version`; answers are cached under the version they were
computed from (ResultCache), so a change is visible as soon as it is indexed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from datasources.search.contract import (
    MAX_SUGGESTIONS,
    DocumentBatches,
    SearchDocument,
    SearchRequest,
    SearchResult,
    SearchUnavailable,
    Suggestion,
)
from datasources.search.metrics import SEARCH_DURATION
from datasources.search.rebuild import WriteJournal, document_batches
from datasources.search.result_cache import ResultCache
from datasources.search.tantivy_directory import IndexDirectory
from datasources.search.tantivy_index import IncompatibleIndex, TantivyIndex
from datasources.search.tantivy_reader import run_autocomplete, run_search


class TantivySearchEngine:
    def __init__(self, directory: IndexDirectory, live: TantivyIndex | None) -> None:
        self._directory = directory
        self._live = live
        self._closed = False
        self._write_lock = asyncio.Lock()
        self._rebuild_lock = asyncio.Lock()
        self._journal: WriteJournal | None = None
        self._version = 0  # bumped after every commit and swap
        self._searches: ResultCache[SearchResult] = ResultCache()
        self._suggestions: ResultCache[tuple[Suggestion, ...]] = ResultCache()
        self._search_duration = SEARCH_DURATION.labels("tantivy", "search")
        self._autocomplete_duration = SEARCH_DURATION.labels("tantivy", "autocomplete")

    @classmethod
    async def open(cls, root: Path | str) -> TantivySearchEngine:
        """Open the current index under root, if there is one; rebuild() creates it."""
        directory = IndexDirectory(Path(root))
        return cls(directory, await asyncio.to_thread(_open_current, directory))

    def index_version(self) -> int | None:
        return None if self._closed or self._live is None else self._version

    async def search(self, request: SearchRequest) -> SearchResult:
        live = self._require_index()
        version = self._version  # read before the searcher: an answer is never newer than it
        result = self._searches.get(version, request)
        if result is None:
            with self._search_duration.time():
                result = await asyncio.to_thread(run_search, live.searcher, live.queries, request)
            self._searches.put(version, request, result)
        return result

    async def autocomplete(self, prefix: str, limit: int) -> list[Suggestion]:
        if not 1 <= limit <= MAX_SUGGESTIONS:
            raise ValueError(f"limit must be between 1 and {MAX_SUGGESTIONS}")
        live = self._require_index()
        version = self._version
        suggestions = self._suggestions.get(version, (prefix, limit))
        if suggestions is None:
            with self._autocomplete_duration.time():
                found = run_autocomplete(live.searcher, live.queries, prefix, limit)
            suggestions = tuple(found)
            self._suggestions.put(version, (prefix, limit), suggestions)
        return list(suggestions)

    async def upsert(self, docs: Sequence[SearchDocument]) -> None:
        await self._write(tuple(docs), ())

    async def delete(self, course_ids: Sequence[int]) -> None:
        await self._write((), tuple(course_ids))

    async def rebuild(self, docs: DocumentBatches) -> None:
        async with self._rebuild_lock:
            self._require_open()
            fresh = await asyncio.to_thread(TantivyIndex.create, self._directory.new_index_path())
            try:
                previous = await self._fill_and_swap(fresh, docs)
            except BaseException:
                self._journal = None
                await asyncio.to_thread(fresh.close_and_delete)
                raise
            await asyncio.to_thread(_retire, previous, self._directory)

    async def has_index(self) -> bool:
        return not self._closed and self._live is not None

    async def ping(self) -> bool:
        return not self._closed

    async def close(self) -> None:
        self._closed = True
        async with self._write_lock:
            live, self._live = self._live, None
            if live is not None:
                await asyncio.to_thread(live.close)

    async def _write(self, upserts: Sequence[SearchDocument], deletes: Sequence[int]) -> None:
        async with self._write_lock:
            live = self._require_index()
            if not upserts and not deletes:
                return
            try:
                await asyncio.to_thread(_write_and_commit, live, upserts, deletes)
            finally:
                self._version += 1
            if self._journal is not None:
                self._journal.record(upserts, deletes)

    async def _fill_and_swap(
        self, fresh: TantivyIndex, docs: DocumentBatches
    ) -> TantivyIndex | None:
        """Stream docs into fresh, then make it current; returns the index it replaced."""
        self._journal = WriteJournal()
        seen_ids: set[int] = set()
        async for batch in document_batches(docs):
            await asyncio.to_thread(fresh.add_new, batch, seen_ids)
        async with self._write_lock:
            self._require_open()
            journal, self._journal = self._journal, None
            await asyncio.to_thread(_replay_and_point, fresh, journal, self._directory)
            previous, self._live = self._live, fresh
            self._version += 1
        return previous

    def _require_open(self) -> None:
        if self._closed:
            raise SearchUnavailable("search engine is closed")

    def _require_index(self) -> TantivyIndex:
        self._require_open()
        if self._live is None:
            raise SearchUnavailable("no search index has been built yet")
        return self._live


def _open_current(directory: IndexDirectory) -> TantivyIndex | None:
    path = directory.current()
    if path is None:
        return None
    try:
        return TantivyIndex.open(path)
    except IncompatibleIndex:
        return None  # treated as no index: the caller rebuilds


def _write_and_commit(
    live: TantivyIndex, upserts: Sequence[SearchDocument], deletes: Sequence[int]
) -> None:
    live.write(upserts, deletes)
    live.commit()


def _replay_and_point(
    fresh: TantivyIndex, journal: WriteJournal | None, directory: IndexDirectory
) -> None:
    for upserts, deletes in journal.entries if journal else ():
        fresh.write(upserts, deletes)
    fresh.commit()
    directory.point_to(fresh.path)


def _retire(previous: TantivyIndex | None, directory: IndexDirectory) -> None:
    if previous is not None:
        previous.close()
    directory.remove_all_but_current()
