"""`typing_courses` on SQLite or MySQL; every write also appends a course.changed event to the
catalog's outbox, in its transaction, for the search indexer and other followers."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from datasources.catalog import SlugTaken
from datasources.ids import IdGenerator
from datasources.search.contract import SearchFilters, SearchSort
from datasources.sql import event_outbox
from datasources.sql.engine import IntegrityViolation, Row, SqlEngine, SqlExecutor
from datasources.sql.timestamps import from_db_required
from records.catalog import Category, CategoryCount, Course, CourseDraft, CourseFilter, Difficulty

_COLUMNS = (
    "id, slug, title, description, category, difficulty, language, tags, price_paise,"
    " currency, validity_days, is_active, created_at, updated_at"
)
# Columns an update may set, mapped to how the value is stored.
_UPDATABLE: dict[str, Callable[[Any], object]] = {
    "slug": str,
    "title": str,
    "description": str,
    "category": str,
    "difficulty": str,
    "language": str,
    "tags": lambda tags: ",".join(tags),
    "price_paise": int,
    "currency": str,
    "validity_days": lambda days: None if days is None else int(days),
    "is_active": lambda active: 1 if active else 0,
}


def course_from_row(row: Row) -> Course:
    return Course(
        id=int(row[0]),
        slug=row[1],
        title=row[2],
        description=row[3],
        category=Category(row[4]),
        difficulty=Difficulty(row[5]),
        language=row[6],
        tags=tuple(tag for tag in row[7].split(",") if tag),
        price_paise=int(row[8]),
        currency=row[9],
        validity_days=None if row[10] is None else int(row[10]),
        is_active=bool(row[11]),
        created_at=from_db_required(row[12]),
        updated_at=from_db_required(row[13]),
    )


def _draft_params(draft: CourseDraft, now: datetime, version: int) -> tuple[object, ...]:
    return (
        draft.slug,
        draft.title,
        draft.description,
        draft.category.value,
        draft.difficulty.value,
        draft.language,
        ",".join(draft.tags),
        draft.price_paise,
        draft.currency,
        draft.validity_days,
        1 if draft.is_active else 0,
        now,
        now,
        version,
    )


_INSERT_COURSE = (
    "INSERT INTO typing_courses (slug, title, description, category, difficulty, language,"
    " tags, price_paise, currency, validity_days, is_active, created_at, updated_at, changed_in)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_FALLBACK_ORDER = {
    SearchSort.RELEVANCE: "id",
    SearchSort.POPULAR: "id",
    SearchSort.NEWEST: "created_at DESC, id DESC",
    SearchSort.PRICE_ASC: "price_paise, id",
    SearchSort.PRICE_DESC: "price_paise DESC, id",
}


async def _next_version(tx: SqlExecutor) -> int:
    """The catalog version this transaction's changes are in. One row: catalog writers queue
    on it until they commit (their rate, an admin's, allows it), so a reader that sees a
    version sees every change in it and before it."""
    await tx.execute("UPDATE catalog_version SET version = version + 1 WHERE id = 1")
    row = await tx.fetch_one("SELECT version FROM catalog_version WHERE id = 1")
    assert row is not None, "catalog_version has its row from its migration on"
    return int(row[0])


def _escape_like(text: str) -> str:
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_")


class SqlCatalogStore:
    def __init__(self, engine: SqlEngine, ids: IdGenerator) -> None:
        self.engine = engine
        self._ids = ids

    async def list_courses(
        self, course_filter: CourseFilter, after_id: int | None, limit: int
    ) -> list[Course]:
        clauses: list[str] = ["id > ?"]
        params: list[object] = [after_id or 0]
        if course_filter.active_only:
            clauses.append("is_active = 1")
        if course_filter.category is not None:
            clauses.append("category = ?")
            params.append(course_filter.category.value)
        if course_filter.difficulty is not None:
            clauses.append("difficulty = ?")
            params.append(course_filter.difficulty.value)
        if course_filter.language is not None:
            clauses.append("language = ?")
            params.append(course_filter.language)
        rows = await self.engine.fetch_all(
            f"SELECT {_COLUMNS} FROM typing_courses WHERE {' AND '.join(clauses)}"
            " ORDER BY id LIMIT ?",
            (*params, limit),
        )
        return [course_from_row(row) for row in rows]

    async def get_courses(self, ids: Sequence[int]) -> dict[int, Course]:
        if not ids:
            return {}
        marks = ", ".join("?" * len(ids))
        rows = await self.engine.fetch_all(
            f"SELECT {_COLUMNS} FROM typing_courses WHERE id IN ({marks})", tuple(ids)
        )
        return {course.id: course for course in map(course_from_row, rows)}

    async def get_course_by_slug(self, slug: str) -> Course | None:
        row = await self.engine.fetch_one(
            f"SELECT {_COLUMNS} FROM typing_courses WHERE slug = ?", (slug,)
        )
        return None if row is None else course_from_row(row)

    async def category_counts(self) -> list[CategoryCount]:
        rows = await self.engine.fetch_all(
            "SELECT category, COUNT(*) FROM typing_courses WHERE is_active = 1"
            " GROUP BY category ORDER BY category"
        )
        return [CategoryCount(Category(row[0]), int(row[1])) for row in rows]

    async def courses_changed_since(self, version: int | None) -> tuple[int, list[Course]]:
        """The courses (active or not) changed after catalog version `version` (every course
        for None), and the version they bring a copy of the catalog up to. The version is read
        first: a write committed between the two reads is read again next time."""
        current = await self.catalog_version()
        where, params = ("", ()) if version is None else (" WHERE changed_in > ?", (version,))
        rows = await self.engine.fetch_all(
            f"SELECT {_COLUMNS} FROM typing_courses{where} ORDER BY id", params
        )
        return current, [course_from_row(row) for row in rows]

    async def catalog_version(self) -> int:
        """Moves on with every committed catalog write (and seeding)."""
        row = await self.engine.fetch_one("SELECT version FROM catalog_version WHERE id = 1")
        return 0 if row is None else int(row[0])

    async def count_courses(self) -> int:
        row = await self.engine.fetch_one("SELECT COUNT(*) FROM typing_courses")
        return 0 if row is None else int(row[0])

    async def create_course(self, draft: CourseDraft, now: datetime) -> Course:
        try:
            async with self.engine.transaction() as tx:
                version = await _next_version(tx)
                course_id = await tx.insert(_INSERT_COURSE, _draft_params(draft, now, version))
                await self._append_events(tx, [course_id], now)
                return await self._read_in(tx, course_id)
        except IntegrityViolation as error:
            raise SlugTaken(draft.slug) from error

    async def update_course(
        self, course_id: int, changes: Mapping[str, object], now: datetime
    ) -> Course | None:
        unknown = set(changes) - set(_UPDATABLE)
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        assignments = [f"{column} = ?" for column in changes]
        values = [_UPDATABLE[column](value) for column, value in changes.items()]
        try:
            async with self.engine.transaction() as tx:
                updated = await tx.execute(
                    f"UPDATE typing_courses SET {', '.join([*assignments, 'updated_at = ?'])}"
                    " WHERE id = ?",
                    (*values, now, course_id),
                )
                if not updated and not await self._exists_in(tx, course_id):
                    return None
                await self._changed(tx, [course_id], now)
                return await self._read_in(tx, course_id)
        except IntegrityViolation as error:
            raise SlugTaken(str(changes.get("slug"))) from error

    async def bulk_insert_courses(self, drafts: Sequence[CourseDraft], now: datetime) -> None:
        """Seeding path: one multi-row insert per batch, no outbox (reindex builds search)."""
        async with self.engine.transaction() as tx:
            version = await _next_version(tx)
            await tx.execute_many(_INSERT_COURSE, [_draft_params(d, now, version) for d in drafts])

    async def enqueue_for_indexing(self, course_ids: Sequence[int], now: datetime) -> None:
        """Followers re-read these courses as after a write (e.g. one indexed from a stale read)."""
        async with self.engine.transaction() as tx:
            await self._append_events(tx, sorted(set(course_ids)), now)

    async def _changed(self, tx: SqlExecutor, course_ids: Sequence[int], now: datetime) -> None:
        await self._append_events(tx, course_ids, now)
        version = await _next_version(tx)
        marks = ", ".join("?" * len(course_ids))
        await tx.execute(
            f"UPDATE typing_courses SET changed_in = ? WHERE id IN ({marks})",
            (version, *course_ids),
        )

    async def _append_events(
        self, tx: SqlExecutor, course_ids: Sequence[int], now: datetime
    ) -> None:
        await event_outbox.append(
            tx, [event_outbox.course_event(self._ids, course_id, now) for course_id in course_ids]
        )

    async def search_active_by_title(
        self,
        words: Sequence[str],
        filters: SearchFilters,
        sort: SearchSort,
        offset: int,
        limit: int,
    ) -> tuple[list[Course], int]:
        """The search fallback: active courses whose title contains every word, with the
        category, difficulty, language and price filters (not tags); (page, total)."""
        clauses = ["is_active = 1"]
        params: list[object] = []
        for word in words:
            clauses.append("title LIKE ? ESCAPE '!'")
            params.append(f"%{_escape_like(word)}%")
        for column, values in (
            ("category", filters.categories),
            ("difficulty", filters.difficulties),
            ("language", filters.languages),
        ):
            if values:
                clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
                params.extend(values)
        if filters.price_min is not None:
            clauses.append("price_paise >= ?")
            params.append(filters.price_min)
        if filters.price_max is not None:
            clauses.append("price_paise <= ?")
            params.append(filters.price_max)
        if filters.free is not None:
            clauses.append("price_paise = 0" if filters.free else "price_paise > 0")
        where = " AND ".join(clauses)
        total_row = await self.engine.fetch_one(
            f"SELECT COUNT(*) FROM typing_courses WHERE {where}", tuple(params)
        )
        rows = await self.engine.fetch_all(
            f"SELECT {_COLUMNS} FROM typing_courses WHERE {where}"
            f" ORDER BY {_FALLBACK_ORDER[sort]} LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        total = 0 if total_row is None else int(total_row[0])
        return [course_from_row(row) for row in rows], total

    @staticmethod
    async def _read_in(tx: SqlExecutor, course_id: int) -> Course:
        row = await tx.fetch_one(
            f"SELECT {_COLUMNS} FROM typing_courses WHERE id = ?", (course_id,)
        )
        assert row is not None
        return course_from_row(row)

    @staticmethod
    async def _exists_in(tx: SqlExecutor, course_id: int) -> bool:
        return (
            await tx.fetch_one("SELECT 1 FROM typing_courses WHERE id = ?", (course_id,))
            is not None
        )
