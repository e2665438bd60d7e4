"""Synthetic subscriptions as tab-separated files, one per shard and chunk of users.

The bulk seed (jobs/bulk_seed.py) runs `write_chunk` in worker processes and loads the files
with LOAD DATA. A chunk holds exactly the rows `latent_interest_enrolments` would yield for
its users (the same draws, jobs/synthetic_interests.py); only the text is made here, without
a datetime object per row, since this writes tens of millions of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Final, TextIO

from datasources.ids import IdGenerator
from datasources.sharding import BucketMap
from datasources.sql.timestamps import to_db
from jobs.synthetic_interests import InterestModel, enrolment_draws
from records.catalog import Course
from records.subscriptions import SubscriptionStatus

# The order of the fields in a line; the loader names these columns.
FILE_COLUMNS: Final = (
    "id",
    "user_id",
    "typing_course_id",
    "enrolled_at",
    "expires_at",
    "status",
    "source",
    "updated_at",
)
MINUTES_PER_DAY: Final = 24 * 60
NULL: Final = "\\N"
LINES_PER_WRITE: Final = 20_000


class MinuteClock:
    """DATETIME(6) text of `now` (naive UTC) moved by whole minutes: a row's timestamps cost
    two list lookups and a concatenation, not a datetime and its formatting."""

    def __init__(self, now: datetime) -> None:
        naive = to_db(now)
        self.now_minute = naive.toordinal() * MINUTES_PER_DAY + naive.hour * 60 + naive.minute
        self._seconds = naive.strftime(":%S.%f")
        self._clock = [f" {h:02d}:{m:02d}" for h in range(24) for m in range(60)]
        self._dates: dict[int, str] = {}

    def text(self, minute: int) -> str:
        day, minute_of_day = divmod(minute, MINUTES_PER_DAY)
        date_text = self._dates.get(day)
        if date_text is None:
            date_text = self._dates[day] = date.fromordinal(day).isoformat()
        return date_text + self._clock[minute_of_day] + self._seconds


@dataclass(frozen=True)
class ChunkWriter:
    """What every chunk of one seed shares: built once per worker process."""

    model: InterestModel
    validity_minutes: dict[int, int | None]
    bucket_map: BucketMap
    clock: MinuteClock
    source: str

    @classmethod
    def build(
        cls, courses: list[Course], bucket_map: BucketMap, now: datetime, source: str
    ) -> ChunkWriter:
        validity = {
            c.id: None if c.validity_days is None else c.validity_days * MINUTES_PER_DAY
            for c in courses
        }
        return cls(InterestModel(courses), validity, bucket_map, MinuteClock(now), source)


@dataclass(frozen=True)
class Chunk:
    number: int
    first_user_id: int
    users: int
    per_user: int
    directory: Path
    node: int  # of the ids minted for the chunk's rows


@dataclass(frozen=True)
class ShardFile:
    shard: int
    path: Path
    rows: int


@dataclass(frozen=True)
class ChunkFiles:
    chunk: Chunk
    files: tuple[ShardFile, ...]

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)


_writer: ChunkWriter | None = None


def start_worker(courses: list[Course], bucket_map: BucketMap, now: datetime, source: str) -> None:
    """A worker process's initializer."""
    global _writer
    _writer = ChunkWriter.build(courses, bucket_map, now, source)


def write_chunk(chunk: Chunk) -> ChunkFiles:
    """In a worker started by `start_worker`."""
    if _writer is None:
        raise RuntimeError("write_chunk runs in a worker started with start_worker")
    return write_chunk_with(_writer, chunk)


def write_chunk_with(writer: ChunkWriter, chunk: Chunk) -> ChunkFiles:
    ids = IdGenerator(chunk.node)
    clock = writer.clock
    validity = writer.validity_minutes
    tail = f"\t{SubscriptionStatus.ACTIVE.value}\t{writer.source}\t"
    lines: dict[int, list[str]] = {}
    counts: dict[int, int] = {}
    handles: dict[int, TextIO] = {}
    paths: dict[int, Path] = {}
    user_id, shard_lines = 0, None
    try:
        for user, course_id, minutes_ago in enrolment_draws(
            writer.model, chunk.users, chunk.per_user, chunk.first_user_id
        ):
            if user != user_id or shard_lines is None:
                user_id = user
                shard = writer.bucket_map.shard_for(user)
                shard_lines = lines.get(shard)
                if shard_lines is None:
                    shard_lines = lines[shard] = []
                    counts[shard] = 0
                    paths[shard] = chunk.directory / f"chunk-{chunk.number:06d}-shard-{shard}.tsv"
                    handles[shard] = paths[shard].open("w", encoding="ascii")
                elif len(shard_lines) >= LINES_PER_WRITE:
                    handles[shard].write("".join(shard_lines))
                    counts[shard] += len(shard_lines)
                    shard_lines.clear()
            enrolled_minute = clock.now_minute - minutes_ago
            enrolled = clock.text(enrolled_minute)
            span = validity[course_id]
            expires = NULL if span is None else clock.text(enrolled_minute + span)
            shard_lines.append(
                f"{ids.next_id()}\t{user}\t{course_id}\t{enrolled}\t{expires}{tail}{enrolled}\n"
            )
        for shard, remaining in lines.items():
            handles[shard].write("".join(remaining))
            counts[shard] += len(remaining)
    finally:
        for handle in handles.values():
            handle.close()
    files = tuple(ShardFile(s, paths[s], counts[s]) for s in sorted(paths))
    return ChunkFiles(chunk, files)
