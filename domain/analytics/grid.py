"""A series as a chart shows it: every bucket of the range, none in the future. A bucket without
a point is zero for a flow (nothing happened) and the figure before it for a level (nothing
changed; zero before the first point)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from records.analytics import Bucket, Interval, seconds_time


def filled(
    buckets: Sequence[Bucket],
    start: datetime,
    end: datetime,
    interval: Interval,
    level: bool,
    now: datetime,
) -> list[Bucket]:
    stored = {bucket.start: bucket.value for bucket in buckets}
    last_seconds = min(int(end.timestamp()) - 1, int(now.timestamp()))
    at = interval.bucket_start(int(start.timestamp()))
    previous = 0
    grid = []
    while at <= last_seconds:
        moment = seconds_time(at)
        value = stored.get(moment, previous if level else 0)
        grid.append(Bucket(moment, value))
        previous = value
        at += interval.seconds
    return grid
