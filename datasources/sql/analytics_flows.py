"""The analytics consumer's day counts in the catalog database (analytics_flows): per day,
course and measurement, what the events added up to, and whether the series store has it yet.

Counts change in the consumer's transaction, beside its record of the events applied, so a
redelivered event adds nothing. A changed row is marked unexported; an export writes it to the
series store and clears the mark only if the count is still what it wrote, so a change made
meanwhile is exported next time. While the series store is down the marks simply stay.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from datasources.sql.engine import Dialect, SqlEngine, SqlExecutor
from datasources.sql.popularity_store import as_date
from domain.analytics.flows import FlowKey, Flows
from records.analytics import Measurement

_PUT = {
    Dialect.SQLITE: (
        "INSERT INTO analytics_flows (day, course_id, measurement, value, unexported)"
        " VALUES (?, ?, ?, ?, 1) ON CONFLICT (day, course_id, measurement)"
        " DO UPDATE SET value = excluded.value, unexported = 1"
    ),
    Dialect.MYSQL: (
        "INSERT INTO analytics_flows (day, course_id, measurement, value, unexported)"
        " VALUES (?, ?, ?, ?, 1) ON DUPLICATE KEY UPDATE value = VALUES(value), unexported = 1"
    ),
}
_ADD = {
    Dialect.SQLITE: (
        "INSERT INTO analytics_flows (day, course_id, measurement, value, unexported)"
        " VALUES (?, ?, ?, ?, 1) ON CONFLICT (day, course_id, measurement)"
        " DO UPDATE SET value = value + excluded.value, unexported = 1"
    ),
    Dialect.MYSQL: (
        "INSERT INTO analytics_flows (day, course_id, measurement, value, unexported)"
        " VALUES (?, ?, ?, ?, 1)"
        " ON DUPLICATE KEY UPDATE value = value + VALUES(value), unexported = 1"
    ),
}


@dataclass(frozen=True, slots=True)
class DayCount:
    day: date
    course_id: int
    measurement: Measurement
    value: int


@dataclass(frozen=True, slots=True)
class CategoryCount:
    day: date
    measurement: Measurement
    category: str | None  # None: a course the catalog no longer has
    value: int


async def add(tx: SqlExecutor, dialect: Dialect, change: Flows) -> None:
    rows = [
        (day.isoformat(), course_id, measurement.value, n)
        for (day, course_id, measurement), n in change.items()
        if n
    ]
    if rows:
        await tx.execute_many(_ADD[dialect], rows)


async def kept(
    tx: SqlExecutor, dialect: Dialect, first: date, last: date, measurements: Iterable[Measurement]
) -> dict[FlowKey, int]:
    """The counts of [first, last] for these measurements, locked until `tx` ends."""
    names = sorted(m.value for m in measurements)
    marks = ", ".join("?" for _ in names)
    rows = await tx.fetch_all(
        "SELECT day, course_id, measurement, value FROM analytics_flows"
        f" WHERE day >= ? AND day <= ? AND measurement IN ({marks}){dialect.for_update}",
        (first.isoformat(), last.isoformat(), *names),
    )
    return {(c.day, c.course_id, c.measurement): c.value for c in map(_count, rows)}


async def put(tx: SqlExecutor, dialect: Dialect, counts: Mapping[FlowKey, int]) -> None:
    """Sets these counts (not adds), marked for export."""
    if counts:
        await tx.execute_many(
            _PUT[dialect],
            [(day.isoformat(), course, m.value, n) for (day, course, m), n in counts.items()],
        )


async def record_reconciliation(tx: SqlExecutor, day: date, corrected: int, now: datetime) -> None:
    await tx.execute("DELETE FROM analytics_reconciliations WHERE day = ?", (day.isoformat(),))
    await tx.execute(
        "INSERT INTO analytics_reconciliations (day, corrected, reconciled_at) VALUES (?, ?, ?)",
        (day.isoformat(), corrected, now),
    )


async def last_reconciled(engine: SqlEngine) -> date | None:
    row = await engine.fetch_one("SELECT MAX(day) FROM analytics_reconciliations")
    return None if row is None or row[0] is None else as_date(row[0])


async def unexported(engine: SqlEngine, limit: int) -> list[DayCount]:
    rows = await engine.fetch_all(
        "SELECT day, course_id, measurement, value FROM analytics_flows WHERE unexported = 1"
        " ORDER BY day LIMIT ?",
        (limit,),
    )
    return [_count(row) for row in rows]


async def unexported_count(engine: SqlEngine) -> int:
    row = await engine.fetch_one("SELECT COUNT(*) FROM analytics_flows WHERE unexported = 1")
    return 0 if row is None else int(row[0])


async def mark_exported(engine: SqlEngine, counts: Sequence[DayCount]) -> None:
    await engine.execute_many(
        "UPDATE analytics_flows SET unexported = 0"
        " WHERE day = ? AND course_id = ? AND measurement = ? AND value = ?",
        [(c.day.isoformat(), c.course_id, c.measurement.value, c.value) for c in counts],
    )


async def mark_all_unexported(engine: SqlEngine) -> int:
    return await engine.execute("UPDATE analytics_flows SET unexported = 1")


async def by_category(
    engine: SqlEngine, days: Iterable[tuple[date, Measurement]]
) -> list[CategoryCount]:
    """The counts of these (day, measurement) pairs summed per category of the courses."""
    pairs = sorted(set(days))
    if not pairs:
        return []
    matches = " OR ".join("(f.day = ? AND f.measurement = ?)" for _ in pairs)
    rows = await engine.fetch_all(
        "SELECT f.day, f.measurement, c.category, SUM(f.value) FROM analytics_flows f"
        " LEFT JOIN typing_courses c ON c.id = f.course_id"
        f" WHERE {matches} GROUP BY f.day, f.measurement, c.category",
        [param for day, measurement in pairs for param in (day.isoformat(), measurement.value)],
    )
    return [
        CategoryCount(
            as_date(day),
            Measurement(str(measurement)),
            None if category is None else str(category),
            int(total),
        )
        for day, measurement, category, total in rows
    ]


async def course_categories(engine: SqlEngine) -> dict[int, str]:
    rows = await engine.fetch_all_lagging("SELECT id, category FROM typing_courses")
    return {int(course_id): str(category) for course_id, category in rows}


def _count(row: tuple[object, ...]) -> DayCount:
    day, course_id, measurement, value = row
    return DayCount(
        as_date(day), int(str(course_id)), Measurement(str(measurement)), int(str(value))
    )
