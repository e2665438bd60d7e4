"""One contract for every analytics series store: SQLite (the embedded default), MariaDB (the
catalog table of production without InfluxDB) and a real InfluxDB 1.6 server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from datasources.analytics.influx_series import InfluxSeriesStore, line
from datasources.analytics.series import SeriesStore, SeriesUnavailable
from datasources.analytics.sql_series import SqlSeriesStore
from datasources.sql.engine import SqlEngine
from datasources.sql.migrations import Role, migrate
from datasources.sql.mysql_engine import MysqlEngine
from datasources.sql.sqlite_engine import SqliteEngine
from records.analytics import Bucket, Interval, Measurement, Point, Scope, SeriesKey, day_start
from tests import servers

ENROLMENTS_17 = SeriesKey(Measurement.ENROLMENTS, Scope.COURSE, "17")
ACTIVE_17 = SeriesKey(Measurement.ACTIVE_SUBSCRIPTIONS, Scope.COURSE, "17")
MONDAY = date(2026, 11, 2)


_at = day_start


@pytest.fixture(params=["sqlite", "mariadb", "influxdb"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SeriesStore]:
    engine: SqlEngine | None = None
    opened: SeriesStore
    if request.param == "influxdb":
        url = request.getfixturevalue("influxdb_url")
        opened = InfluxSeriesStore(url, f"cg_{uuid.uuid4().hex[:12]}")
    else:
        if request.param == "sqlite":
            engine = await SqliteEngine(tmp_path / "catalog.db", "catalog").open()
        else:
            databases = request.getfixturevalue("mariadb_databases")
            engine = await MysqlEngine(servers.mysql_url(databases["catalog"]), "catalog").open()
        await migrate(engine, Role.CATALOG)
        await engine.execute("DELETE FROM analytics_points")
        opened = SqlSeriesStore(engine)
    yield opened
    await opened.close()
    if engine is not None:
        await engine.close()


async def test_a_flow_sums_its_days_per_bucket_and_leaves_out_empty_buckets(
    store: SeriesStore,
) -> None:
    days = {MONDAY: 3, MONDAY + timedelta(days=2): 4, MONDAY + timedelta(days=9): 5}
    await store.write([Point(ENROLMENTS_17, day, n) for day, n in days.items()])
    start, end = _at(MONDAY), _at(MONDAY + timedelta(days=21))

    weekly = await store.buckets(ENROLMENTS_17, start, end, Interval.WEEK)
    daily = await store.buckets(ENROLMENTS_17, start, end, Interval.DAY)

    assert weekly == [
        Bucket(_at(MONDAY), 7),
        Bucket(_at(MONDAY + timedelta(days=7)), 5),
    ]
    assert daily == [Bucket(_at(day), n) for day, n in days.items()]


async def test_a_level_shows_the_last_day_of_each_bucket(store: SeriesStore) -> None:
    await store.write(
        [
            Point(ACTIVE_17, MONDAY, 10),
            Point(ACTIVE_17, MONDAY + timedelta(days=3), 12),
            Point(ACTIVE_17, MONDAY + timedelta(days=8), 11),
        ]
    )
    start, end = _at(MONDAY), _at(MONDAY + timedelta(days=14))

    assert await store.buckets(ACTIVE_17, start, end, Interval.WEEK) == [
        Bucket(_at(MONDAY), 12),
        Bucket(_at(MONDAY + timedelta(days=7)), 11),
    ]


async def test_writing_a_day_again_replaces_it(store: SeriesStore) -> None:
    await store.write([Point(ENROLMENTS_17, MONDAY, 3)])
    await store.write([Point(ENROLMENTS_17, MONDAY, 8), Point(ENROLMENTS_17, MONDAY, 9)])

    assert await store.buckets(
        ENROLMENTS_17, _at(MONDAY), _at(MONDAY + timedelta(days=1)), Interval.DAY
    ) == [Bucket(_at(MONDAY), 9)]


async def test_the_range_is_start_inclusive_end_exclusive_and_series_are_apart(
    store: SeriesStore,
) -> None:
    other_course = SeriesKey(Measurement.ENROLMENTS, Scope.COURSE, "18")
    other_measurement = SeriesKey(Measurement.PURCHASES, Scope.COURSE, "17")
    await store.write(
        [
            Point(ENROLMENTS_17, MONDAY - timedelta(days=1), 100),
            Point(ENROLMENTS_17, MONDAY, 1),
            Point(ENROLMENTS_17, MONDAY + timedelta(days=1), 1000),
            Point(other_course, MONDAY, 20),
            Point(other_measurement, MONDAY, 30),
        ]
    )

    assert await store.buckets(
        ENROLMENTS_17, _at(MONDAY), _at(MONDAY + timedelta(days=1)), Interval.DAY
    ) == [Bucket(_at(MONDAY), 1)]


async def test_totals_sum_each_key_of_a_scope_over_the_range(store: SeriesStore) -> None:
    await store.write(
        [
            Point(ENROLMENTS_17, MONDAY, 2),
            Point(ENROLMENTS_17, MONDAY + timedelta(days=1), 3),
            Point(SeriesKey(Measurement.ENROLMENTS, Scope.COURSE, "18"), MONDAY, 4),
            Point(SeriesKey(Measurement.ENROLMENTS, Scope.COURSE, "19"), MONDAY - timedelta(1), 9),
            Point(SeriesKey(Measurement.ENROLMENTS, Scope.CATEGORY, "coding"), MONDAY, 50),
        ]
    )

    totals = await store.totals(
        Measurement.ENROLMENTS, Scope.COURSE, _at(MONDAY), _at(MONDAY + timedelta(days=7))
    )

    assert totals == {"17": 5, "18": 4}


async def test_keys_with_separators_and_quotes_round_trip(store: SeriesStore) -> None:
    awkward = SeriesKey(Measurement.ENROLMENTS, Scope.CATEGORY, "exam prep, it's=hard")
    await store.write([Point(awkward, MONDAY, 6)])

    assert await store.buckets(
        awkward, _at(MONDAY), _at(MONDAY + timedelta(days=1)), Interval.DAY
    ) == [Bucket(_at(MONDAY), 6)]
    assert await store.totals(
        Measurement.ENROLMENTS, Scope.CATEGORY, _at(MONDAY), _at(MONDAY + timedelta(days=1))
    ) == {awkward.key: 6}


def test_a_line_is_integer_valued_at_its_day_in_seconds() -> None:
    assert line(Point(ENROLMENTS_17, MONDAY, 3)) == (
        f"enrolments,scope=course,key=17 value=3i {int(_at(MONDAY).timestamp())}"
    )


async def test_an_unreachable_influxdb_raises_series_unavailable() -> None:
    unreachable = InfluxSeriesStore("http://127.0.0.1:9", "coursegate", timeout=1.0)
    try:
        with pytest.raises(SeriesUnavailable):
            await unreachable.write([Point(ENROLMENTS_17, MONDAY, 1)])
        with pytest.raises(SeriesUnavailable):
            await unreachable.ping()
    finally:
        await unreachable.close()


async def test_a_store_nothing_was_written_to_answers_empty(store: SeriesStore) -> None:
    start, end = _at(MONDAY), _at(MONDAY + timedelta(days=7))
    assert await store.buckets(ENROLMENTS_17, start, end, Interval.DAY) == []
    assert await store.totals(Measurement.ENROLMENTS, Scope.COURSE, start, end) == {}


async def test_an_influxdb_database_not_yet_created_answers_empty(influxdb_url: str) -> None:
    fresh = InfluxSeriesStore(influxdb_url, f"cg_{uuid.uuid4().hex[:12]}")
    try:
        start, end = _at(MONDAY), _at(MONDAY + timedelta(days=7))
        assert await fresh.buckets(ENROLMENTS_17, start, end, Interval.DAY) == []
    finally:
        await fresh.close()
