"""Where analytics series live: InfluxDB in production, a table of the catalog database on the
embedded default (and in production without InfluxDB). Both keep one integer per series and
day, replaced by a later write, and answer the same two questions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from records.analytics import Bucket, Interval, Measurement, Point, Scope, SeriesKey, seconds_time


class SeriesUnavailable(Exception):
    """The series store could not be reached or refused the request."""


class SeriesStore(Protocol):
    name: str

    async def write(self, points: Sequence[Point]) -> None:
        """Stores the points; a point already stored for its series and day is replaced."""
        ...

    async def buckets(
        self, series: SeriesKey, start: datetime, end: datetime, interval: Interval
    ) -> list[Bucket]:
        """The series' days in [start, end) grouped by `interval`, oldest first: the sum of a
        flow's days, a level's last day. Buckets without a point are left out."""
        ...

    async def totals(
        self, measurement: Measurement, scope: Scope, start: datetime, end: datetime
    ) -> dict[str, int]:
        """Per key of the scope: the sum of its days in [start, end) (flows)."""
        ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...


def fold(
    days: Iterable[tuple[int, int]], measurement: Measurement, interval: Interval
) -> list[Bucket]:
    """(day start in seconds, value) pairs, oldest first, into buckets as `buckets` defines."""
    folded: dict[int, int] = {}
    for at_seconds, value in days:
        start = interval.bucket_start(at_seconds)
        folded[start] = value if measurement.is_level else folded.get(start, 0) + value
    return [Bucket(seconds_time(start), value) for start, value in folded.items()]
