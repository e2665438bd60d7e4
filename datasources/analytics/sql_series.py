"""Analytics series in the catalog database (table analytics_points): the embedded default's
store, and production's when no InfluxDB is configured."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from datasources.sql.engine import Dialect, SqlEngine
from records.analytics import Bucket, Interval, Measurement, Point, Scope, SeriesKey, seconds_time

_UPSERT = {
    Dialect.SQLITE: (
        "INSERT INTO analytics_points (measurement, scope, series_key, time, value)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (measurement, scope, series_key, time)"
        " DO UPDATE SET value = excluded.value"
    ),
    Dialect.MYSQL: (
        "INSERT INTO analytics_points (measurement, scope, series_key, time, value)"
        " VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE value = VALUES(value)"
    ),
}


class SqlSeriesStore:
    def __init__(self, engine: SqlEngine) -> None:
        self._engine = engine
        self.name = f"sql:{engine.name}"

    async def write(self, points: Sequence[Point]) -> None:
        if points:
            await self._engine.execute_many(
                _UPSERT[self._engine.dialect],
                [
                    (
                        p.series.measurement.value,
                        p.series.scope.value,
                        p.series.key,
                        p.time_seconds,
                        p.value,
                    )
                    for p in points
                ],
            )

    async def buckets(
        self, series: SeriesKey, start: datetime, end: datetime, interval: Interval
    ) -> list[Bucket]:
        rows = await self._engine.fetch_all_lagging(
            "SELECT time, value FROM analytics_points WHERE measurement = ? AND scope = ?"
            " AND series_key = ? AND time >= ? AND time < ? ORDER BY time",
            (
                series.measurement.value,
                series.scope.value,
                series.key,
                int(start.timestamp()),
                int(end.timestamp()),
            ),
        )
        return _fold(((int(at), int(value)) for at, value in rows), series.measurement, interval)

    async def totals(
        self, measurement: Measurement, scope: Scope, start: datetime, end: datetime
    ) -> dict[str, int]:
        rows = await self._engine.fetch_all_lagging(
            "SELECT series_key, SUM(value) FROM analytics_points WHERE measurement = ?"
            " AND scope = ? AND time >= ? AND time < ? GROUP BY series_key",
            (measurement.value, scope.value, int(start.timestamp()), int(end.timestamp())),
        )
        return {str(key): int(total) for key, total in rows}

    async def ping(self) -> None:
        await self._engine.ping()

    async def close(self) -> None:
        """The engine belongs to the backends."""


def _fold(
    days: Iterable[tuple[int, int]], measurement: Measurement, interval: Interval
) -> list[Bucket]:
    """(day start in seconds, value) pairs, oldest first, into the buckets of
    SeriesStore.buckets."""
    folded: dict[int, int] = {}
    for at_seconds, value in days:
        start = interval.bucket_start(at_seconds)
        folded[start] = value if measurement.is_level else folded.get(start, 0) + value
    return [Bucket(seconds_time(start), value) for start, value in folded.items()]
