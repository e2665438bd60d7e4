"""One tantivy index directory, opened for searching and, on first write, for writing.

Blocking and not safe for concurrent writes: the engine serialises writes and runs them in a
worker thread. Searches may run concurrently with a write; they use the searcher of the last
commit.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path

import tantivy
from tantivy import Query

from datasources.search import tantivy_schema as fields
from datasources.search.contract import SearchDocument
from datasources.search.tantivy_queries import TantivyQueries

_VERSION_FILE = "coursegate-schema-version"
# tantivy needs at least 15 MB per indexing thread; one thread keeps a 2-core host responsive.
_WRITER_HEAP_BYTES = 64_000_000
_WRITER_THREADS = 1


class IncompatibleIndex(Exception):
    """The directory holds no index, or one written with another schema version."""


class TantivyIndex:
    def __init__(self, path: Path, index: tantivy.Index) -> None:
        self.path = path
        self._index = index
        fields.register_analyzers(index)
        index.config_reader(reload_policy="manual")
        self.queries = TantivyQueries(index.schema)
        self.searcher = index.searcher()  # replaced by a fresh one after every commit
        self._writer: tantivy.IndexWriter | None = None

    @classmethod
    def create(cls, path: Path) -> TantivyIndex:
        path.mkdir(parents=True)
        index = tantivy.Index(fields.build_schema(), str(path), reuse=False)
        (path / _VERSION_FILE).write_text(fields.SCHEMA_VERSION, encoding="utf-8")
        return cls(path, index)

    @classmethod
    def open(cls, path: Path) -> TantivyIndex:
        try:
            version = (path / _VERSION_FILE).read_text(encoding="utf-8").strip()
        except FileNotFoundError as missing:
            raise IncompatibleIndex(f"{path} has no schema version") from missing
        if version != fields.SCHEMA_VERSION:
            raise IncompatibleIndex(f"{path} has schema {version}, not {fields.SCHEMA_VERSION}")
        return cls(path, tantivy.Index.open(str(path)))

    def add_new(self, docs: Iterable[SearchDocument], seen_ids: set[int]) -> None:
        """Add docs to an index being built; a course seen before replaces its earlier doc."""
        writer = self._open_writer()
        for doc in docs:
            if doc.course_id in seen_ids:
                writer.delete_documents_by_query(self._course_query(doc.course_id))
            seen_ids.add(doc.course_id)
            writer.add_document(fields.to_tantivy_document(doc))

    def write(self, upserts: Sequence[SearchDocument], deletes: Sequence[int]) -> None:
        writer = self._open_writer()
        for course_id in deletes:
            writer.delete_documents_by_query(self._course_query(course_id))
        for doc in upserts:
            writer.delete_documents_by_query(self._course_query(doc.course_id))
            writer.add_document(fields.to_tantivy_document(doc))

    def commit(self) -> None:
        self._open_writer().commit()
        self._index.reload()
        self.searcher = self._index.searcher()

    def close(self) -> None:
        """Finish background merges and release the writer lock; searching still works."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.wait_merging_threads()

    def close_and_delete(self) -> None:
        self.close()
        shutil.rmtree(self.path, ignore_errors=True)

    def _open_writer(self) -> tantivy.IndexWriter:
        if self._writer is None:
            self._writer = self._index.writer(
                heap_size=_WRITER_HEAP_BYTES, num_threads=_WRITER_THREADS
            )
        return self._writer

    def _course_query(self, course_id: int) -> Query:
        return Query.term_query(self._index.schema, fields.COURSE_ID, course_id)
