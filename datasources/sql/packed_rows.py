"""A page of rows read as one value.

aiomysql's protocol is pure Python, and per value it costs more than the query does: a page of
ten subscriptions spent about half its CPU decoding nine column descriptions and ninety values.
On MariaDB the page is aggregated server-side into one JSON array of row arrays, so the driver
reads one column of one row and orjson, in C, splits it. SQLite runs in process and its rows are
returned as they are.

The columns must hold integers, text or timestamps: a JSON number would bring DECIMAL back as a
float. Timestamps arrive as text, which `timestamps.from_db` reads (as it reads SQLite's).
"""

from __future__ import annotations

import orjson

from datasources.sql.engine import Dialect, Params, Row, SqlEngine

# JSON_ARRAYAGG is cut at the session's group_concat_max_len (1 MiB by default); every
# connection raises it (mysql_engine.py) far above what a page holds (a few hundred bytes a row).
GROUP_CONCAT_MAX_LEN = 64 * 1024 * 1024


async def fetch_page(
    engine: SqlEngine, columns: str, source: str, order_by: str, params: Params, limit: int
) -> list[Row]:
    """`SELECT {columns} FROM {source} ORDER BY {order_by} LIMIT {limit}`'s rows, in order;
    `source` is a table with its WHERE clause, whose placeholders `params` fill."""
    select = f"SELECT {columns} FROM {source} ORDER BY {order_by} LIMIT ?"
    if engine.dialect is Dialect.SQLITE:
        return await engine.fetch_all(select, (*params, limit))
    packed = await engine.fetch_one(
        f"SELECT JSON_ARRAYAGG(JSON_ARRAY({columns}) ORDER BY {order_by}) FROM ({select}) AS page",
        (*params, limit),
    )
    if packed is None or packed[0] is None:  # no rows: the aggregate of nothing is NULL
        return []
    return list(map(tuple, orjson.loads(packed[0])))
