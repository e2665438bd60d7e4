"""Helpers every engine's rebuild shares: reading document batches, replaying concurrent writes."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Sequence
from dataclasses import dataclass, field

from datasources.search.contract import DocumentBatches, SearchDocument


async def document_batches(docs: DocumentBatches) -> AsyncIterator[Sequence[SearchDocument]]:
    """The batches of either an async or a plain iterable, as an async iterator."""
    if isinstance(docs, AsyncIterable):
        async for batch in docs:
            yield batch
    else:
        for batch in docs:
            yield batch


@dataclass(slots=True)
class WriteJournal:
    """Upserts and deletes that arrive while a rebuild streams documents.

    The rebuild may have read a course before it changed, so the new index replays these writes,
    in order, after the stream ends and before it is swapped in.
    """

    entries: list[tuple[Sequence[SearchDocument], Sequence[int]]] = field(default_factory=list)

    def record(self, upserts: Sequence[SearchDocument], deletes: Sequence[int]) -> None:
        self.entries.append((tuple(upserts), tuple(deletes)))
