"""Recommendation models in the catalog database: each version's per-course neighbours and
popularity lists, written while the version is `building` and read only once it is `ready`.

Lists are stored as base64 text of the codec's bytes (aiomysql cannot send bytes parameters).
A version becomes ready in one statement, after all its rows are written, so a reader never
sees half a model; the newest ready version is the current one. Publishing keeps the version
before it (readers that looked the current version up just before the switch still find its
rows) and deletes older ones. A run that stopped leaves a building version nobody reads; the
next run deletes it before it starts.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from datetime import datetime

from datasources.ids import IdGenerator
from datasources.recommendation_codec import (
    decode_course,
    decode_neighbours,
    encode_course,
    encode_neighbours,
)
from datasources.sql.engine import SqlEngine
from datasources.sql.timestamps import from_db_required
from records.recommendations import CourseNeighbours, ModelVersion, Neighbours

BUILDING = "building"
READY = "ready"
_ROWS_PER_INSERT = 200
_IDS_PER_READ = 500
_TABLES = ("recommendation_neighbours", "recommendation_popular", "recommendation_models")


class RecommendationStore:
    def __init__(self, engine: SqlEngine, ids: IdGenerator) -> None:
        self.engine = engine
        self._ids = ids

    async def begin(self, now: datetime, blend_weight: float) -> int:
        """A new building version, after deleting any a stopped run left."""
        await self._delete("state = ?", (BUILDING,))
        version = self._ids.next_id()
        await self.engine.execute(
            "INSERT INTO recommendation_models"
            " (version, state, started_at, built_at, users, subscriptions, blend_weight)"
            " VALUES (?, ?, ?, NULL, 0, 0, ?)",
            (version, BUILDING, now, blend_weight),
        )
        return version

    async def write_neighbours(
        self, version: int, neighbours: Mapping[int, CourseNeighbours]
    ) -> None:
        rows = [
            (version, course_id, _text(encode_course(n))) for course_id, n in neighbours.items()
        ]
        for start in range(0, len(rows), _ROWS_PER_INSERT):
            await self.engine.execute_many(
                "INSERT INTO recommendation_neighbours (version, course_id, neighbours)"
                " VALUES (?, ?, ?)",
                rows[start : start + _ROWS_PER_INSERT],
            )

    async def write_popular(self, version: int, lists: Mapping[str, Neighbours]) -> None:
        rows = [(version, scope, _text(encode_neighbours(n))) for scope, n in lists.items()]
        if rows:
            await self.engine.execute_many(
                "INSERT INTO recommendation_popular (version, scope, courses) VALUES (?, ?, ?)",
                rows,
            )

    async def publish(self, version: int, users: int, subscriptions: int, now: datetime) -> None:
        """Makes a fully written version the current one and forgets all but the one before."""
        switched = await self.engine.execute(
            "UPDATE recommendation_models SET state = ?, built_at = ?, users = ?,"
            " subscriptions = ? WHERE version = ? AND state = ?",
            (READY, now, users, subscriptions, version, BUILDING),
        )
        if switched != 1:
            raise RuntimeError(f"model version {version} is no longer being built")
        ready = await self._ready_versions()
        if len(ready) > 2:
            await self._delete("state = ? AND version < ?", (READY, ready[1]))

    async def current(self) -> ModelVersion | None:
        row = await self.engine.fetch_one(
            "SELECT version, built_at, subscriptions, users, blend_weight"
            " FROM recommendation_models WHERE state = ? ORDER BY version DESC LIMIT 1",
            (READY,),
        )
        if row is None:
            return None
        version, built_at, subscriptions, users, weight = row
        return ModelVersion(
            int(version),
            from_db_required(built_at),
            int(subscriptions),
            int(users),
            float(weight),
        )

    async def neighbours(
        self, version: int, course_ids: Sequence[int]
    ) -> dict[int, CourseNeighbours]:
        found: dict[int, CourseNeighbours] = {}
        for start in range(0, len(course_ids), _IDS_PER_READ):
            chunk = list(course_ids[start : start + _IDS_PER_READ])
            rows = await self.engine.fetch_all(
                "SELECT course_id, neighbours FROM recommendation_neighbours WHERE version = ?"
                f" AND course_id IN ({', '.join('?' * len(chunk))})",
                (version, *chunk),
            )
            found.update({int(c): decode_course(_bytes(raw)) for c, raw in rows})
        return found

    async def popular(self, version: int) -> dict[str, Neighbours]:
        """Every popularity list of the version, by scope key."""
        rows = await self.engine.fetch_all(
            "SELECT scope, courses FROM recommendation_popular WHERE version = ?", (version,)
        )
        return {str(scope): decode_neighbours(_bytes(raw)) for scope, raw in rows}

    async def versions(self) -> list[tuple[int, str]]:
        rows = await self.engine.fetch_all(
            "SELECT version, state FROM recommendation_models ORDER BY version"
        )
        return [(int(v), str(state)) for v, state in rows]

    async def _ready_versions(self) -> list[int]:
        """Newest first."""
        rows = await self.engine.fetch_all(
            "SELECT version FROM recommendation_models WHERE state = ? ORDER BY version DESC",
            (READY,),
        )
        return [int(row[0]) for row in rows]

    async def _delete(self, where: str, params: tuple[object, ...]) -> None:
        rows = await self.engine.fetch_all(
            f"SELECT version FROM recommendation_models WHERE {where}", params
        )
        for (version,) in rows:
            for table in _TABLES:  # the model row last: its rows are never left without it
                await self.engine.execute(f"DELETE FROM {table} WHERE version = ?", (version,))


def _text(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _bytes(text: object) -> bytes:
    return base64.b64decode(str(text))
