"""Analytics series in InfluxDB through its 1.x HTTP API: line protocol to /write, InfluxQL to
/query. InfluxDB 2.x and 3.x serve the same endpoints for compatibility (with a token as the
password), so one adapter covers all three.

Each point is measurement `<name>`, tags `scope` and `key`, one integer field `value`, at
its day's start in seconds. InfluxDB keeps one point per series and time, so a repeated write
replaces the point: exports and reconciliations may write a day again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import httpx

from datasources.analytics.series import SeriesUnavailable
from records.analytics import (
    Bucket,
    Interval,
    Measurement,
    Point,
    Scope,
    SeriesKey,
    seconds_time,
)

TIMEOUT_SECONDS = 5.0
WRITE_BATCH = 5000  # InfluxDB's advice: 5,000 to 10,000 points per write


def _tag(value: str) -> str:
    # Keys are course ids and category names; a backslash has no escape in 1.x tag values.
    return value.replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ")


def _literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def line(point: Point) -> str:
    series = point.series
    return (
        f"{series.measurement.value},scope={_tag(series.scope.value)},key={_tag(series.key)}"
        f" value={point.value}i {point.time_seconds}"
    )


def _range(start: datetime, end: datetime) -> str:
    return f"time >= {int(start.timestamp())}s AND time < {int(end.timestamp())}s"


class InfluxSeriesStore:
    def __init__(
        self,
        url: str,
        database: str,
        username: str | None = None,
        password: str | None = None,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        auth = None if username is None else httpx.BasicAuth(username, password or "")
        self._client = httpx.AsyncClient(base_url=url, auth=auth, timeout=timeout)
        self._database = database
        self.name = f"influxdb:{url}/{database}"

    async def write(self, points: Sequence[Point]) -> None:
        for first in range(0, len(points), WRITE_BATCH):
            body = "\n".join(line(p) for p in points[first : first + WRITE_BATCH])
            response = await self._write(body)
            if response.status_code == 404 and _message(response).startswith("database not"):
                # The first write (or the database was dropped). CREATE DATABASE is idempotent
                # in 1.x; on 2.x and 3.x the admin maps the database to a bucket beforehand.
                await self._statements(f'CREATE DATABASE "{self._database}"', post=True)
                response = await self._write(body)
            if response.status_code != 204:
                raise SeriesUnavailable(f"InfluxDB refused a write: {_message(response)}")

    async def _write(self, body: str) -> httpx.Response:
        params = {"db": self._database, "precision": "s"}
        return await self._request("POST", "/write", params=params, content=body)

    async def buckets(
        self, series: SeriesKey, start: datetime, end: datetime, interval: Interval
    ) -> list[Bucket]:
        aggregate = "last" if series.measurement.is_level else "sum"
        (result,) = await self._statements(
            f'SELECT {aggregate}("value") FROM "{series.measurement.value}"'
            f' WHERE "scope" = {_literal(series.scope.value)} AND "key" = {_literal(series.key)}'
            f" AND {_range(start, end)}"
            f" GROUP BY time({interval.seconds}s, {interval.offset_seconds}s) fill(none)"
        )
        # InfluxDB grouped the days already, with the same bucket starts.
        return [Bucket(seconds_time(int(at)), int(value)) for at, value in _values(result)]

    async def totals(
        self, measurement: Measurement, scope: Scope, start: datetime, end: datetime
    ) -> dict[str, int]:
        (result,) = await self._statements(
            f'SELECT sum("value") FROM "{measurement.value}"'
            f' WHERE "scope" = {_literal(scope.value)} AND {_range(start, end)} GROUP BY "key"'
        )
        return {
            str(series["tags"]["key"]): int(series["values"][0][1])
            for series in result.get("series", ())
        }

    async def ping(self) -> None:
        response = await self._request("GET", "/ping")
        if response.status_code != 204:
            raise SeriesUnavailable(f"InfluxDB /ping answered {response.status_code}")

    async def close(self) -> None:
        await self._client.aclose()

    async def _statements(self, query: str, post: bool = False) -> list[dict[str, Any]]:
        params = {"db": self._database, "q": query, "epoch": "s"}
        response = await self._request("POST" if post else "GET", "/query", params=params)
        if response.status_code != 200:
            raise SeriesUnavailable(f"InfluxDB refused a query: {_message(response)}")
        results: list[dict[str, Any]] = response.json().get("results", [])
        for result in results:
            # Nothing has been exported yet: no series, not a failure.
            if str(result.get("error", "")).startswith("database not found"):
                result.pop("error")
            if "error" in result:
                raise SeriesUnavailable(f"InfluxDB refused a query: {result['error']}")
        return results

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self._client.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise SeriesUnavailable(f"InfluxDB is unreachable: {type(error).__name__}") from error


def _values(result: dict[str, Any]) -> list[list[Any]]:
    series = result.get("series", ())
    return [row for one in series for row in one["values"] if row[1] is not None]


def _message(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error", response.status_code))
    except ValueError:
        return str(response.status_code)
