"""Where analytics series live: InfluxDB in production, a table of the catalog database on the
embedded default (and in production without InfluxDB). Both keep one integer per series and
day, replaced by a later write, and answer the same two questions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from records.analytics import Bucket, Interval, Measurement, Point, Scope, SeriesKey


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
