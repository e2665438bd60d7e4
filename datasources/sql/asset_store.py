"""`content_assets` on the catalog database: one row per checked object (a lesson's media or a
course's cover) with its variants, written only once the object passed its checks; each insert
appends a course.changed event in its transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import orjson

from datasources.ids import IdGenerator
from datasources.sql import event_outbox
from datasources.sql.engine import IntegrityViolation, Row, SqlEngine
from datasources.sql.timestamps import from_db_required
from records.content import Asset, AssetKind, AssetVariant

_COLUMNS = (
    "id, course_id, lesson_id, kind, content_type, bytes, object_key, width, height, variants,"
    " created_at"
)


def _variants_json(variants: Sequence[AssetVariant]) -> str:
    return orjson.dumps(
        [[v.name, v.content_type, v.bytes, v.object_key, v.width, v.height] for v in variants]
    ).decode()


def asset_from_row(row: Row) -> Asset:
    return Asset(
        id=int(row[0]),
        course_id=int(row[1]),
        lesson_id=None if row[2] is None else int(row[2]),
        kind=AssetKind(row[3]),
        content_type=row[4],
        bytes=int(row[5]),
        object_key=row[6],
        width=None if row[7] is None else int(row[7]),
        height=None if row[8] is None else int(row[8]),
        created_at=from_db_required(row[10]),
        variants=tuple(AssetVariant(*item) for item in orjson.loads(row[9])),
    )


class SqlAssetStore:
    def __init__(self, engine: SqlEngine, ids: IdGenerator) -> None:
        self.engine = engine
        self._ids = ids

    async def insert(self, asset: Asset) -> Asset:
        """The stored asset; the one already stored when this id was inserted before."""
        try:
            async with self.engine.transaction() as tx:
                await tx.execute(
                    f"INSERT INTO content_assets ({_COLUMNS})"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        asset.id,
                        asset.course_id,
                        asset.lesson_id,
                        asset.kind.value,
                        asset.content_type,
                        asset.bytes,
                        asset.object_key,
                        asset.width,
                        asset.height,
                        _variants_json(asset.variants),
                        asset.created_at,
                    ),
                )
                await event_outbox.append(
                    tx, [event_outbox.course_event(self._ids, asset.course_id, asset.created_at)]
                )
        except IntegrityViolation:
            pass  # a concurrent completion of the same upload inserted it first
        stored = await self.get(asset.id)
        assert stored is not None
        return stored

    async def get(self, asset_id: int) -> Asset | None:
        row = await self.engine.fetch_one(
            f"SELECT {_COLUMNS} FROM content_assets WHERE id = ?", (asset_id,)
        )
        return None if row is None else asset_from_row(row)

    async def of_lessons(self, lesson_ids: Sequence[int]) -> dict[int, list[Asset]]:
        if not lesson_ids:
            return {}
        rows = await self.engine.fetch_all(
            f"SELECT {_COLUMNS} FROM content_assets WHERE lesson_id IN"
            f" ({', '.join('?' * len(lesson_ids))}) ORDER BY lesson_id, created_at, id",
            tuple(lesson_ids),
        )
        found: dict[int, list[Asset]] = defaultdict(list)
        for asset in map(asset_from_row, rows):
            assert asset.lesson_id is not None
            found[asset.lesson_id].append(asset)
        return found

    async def covers(self, course_ids: Sequence[int]) -> dict[int, Asset | None]:
        """Each course's newest cover; None for a course without one."""
        if not course_ids:
            return {}
        rows = await self.engine.fetch_all(
            f"SELECT {_COLUMNS} FROM content_assets WHERE lesson_id IS NULL AND course_id IN"
            f" ({', '.join('?' * len(course_ids))}) ORDER BY course_id, id",
            tuple(course_ids),
        )
        found: dict[int, Asset | None] = dict.fromkeys(course_ids)
        for asset in map(asset_from_row, rows):
            found[asset.course_id] = asset  # ids are time-ordered: the last is the newest
        return found
