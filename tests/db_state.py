"""What the databases hold, to check that a request wrote nothing.

`written` reads every row of every table on the catalog and on each shard: a table added by a
later migration is covered without being listed here, and an update that changes a row but no
count is seen as well as an insert or a delete.
"""

from __future__ import annotations

from datasources.backends import Backends
from datasources.sql.engine import Dialect, SqlEngine

_TABLE_NAMES = {
    Dialect.SQLITE: (
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ),
    Dialect.MYSQL: (
        "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
    ),
}

# Which version of the bucket map each process holds, rewritten by every production process
# every 0.25 s (datasources/sql/bucket_map_watch.py): liveness, not something a request writes.
_LIVENESS_TABLES = {"bucket_map_readers"}

# "engine.table" -> the table's rows, in a fixed order (SELECT * has none of its own).
Snapshot = dict[str, list[tuple[object, ...]]]


async def written(backends: Backends) -> Snapshot:
    snapshot: Snapshot = {}
    for engine in (backends.catalog_engine, *backends.shard_engines):
        for table in await _tables(engine):
            rows = await engine.fetch_all(f"SELECT * FROM {table}")
            snapshot[f"{engine.name}.{table}"] = sorted((tuple(row) for row in rows), key=repr)
    return snapshot


async def _tables(engine: SqlEngine) -> list[str]:
    names = {str(name) for (name,) in await engine.fetch_all(_TABLE_NAMES[engine.dialect])}
    return sorted(names - _LIVENESS_TABLES)
