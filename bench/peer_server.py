"""The peer of the cold bench: PostGraphile 5 on Node 22 over PostgreSQL, with the same rows.

`bench/peer/` holds its npm project (installed on first use with `npm ci`), its config and
the PostgreSQL schema. The rows are copied from the bench's MariaDB databases, so both
servers answer from the same courses and subscriptions.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pymysql

from bench.backends_setup import MARIADB
from bench.server_process import HOST, SERVER_CORE, stop, wait_until_up

PEER_DIR = Path(__file__).with_name("peer")
NODE = PEER_DIR / "node_modules" / "node" / "bin" / "node"
POSTGRAPHILE = PEER_DIR / "node_modules" / "postgraphile" / "dist" / "cli-run.js"
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432"
PSQL = ("psql", "-h", "127.0.0.1", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-q")
COURSE_COLUMNS = (
    "id, slug, title, description, category, difficulty, language, tags, price_paise,"
    " currency, validity_days, is_active, created_at, updated_at"
)
SUBSCRIPTION_COLUMNS = (
    "id, user_id, typing_course_id, enrolled_at, expires_at, status, source, updated_at"
)


def ensure_installed() -> None:
    """`npm ci` into bench/peer when PostGraphile or Node 22 is missing."""
    if NODE.exists() and POSTGRAPHILE.exists():
        return
    print("installing the peer (PostGraphile 5, Node 22) with npm ci in bench/peer")
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=PEER_DIR, check=True)


def _psql(database: str, *arguments: str, stdin: bytes | None = None) -> None:
    subprocess.run([*PSQL, "-d", database, *arguments], input=stdin, check=True)


def _copy_value(value: object) -> str:
    """One field in COPY's text format; MariaDB's DATETIMEs are UTC without a zone."""
    if value is None:
        return "\\N"
    if isinstance(value, dt.datetime):
        return value.isoformat() + "+00"
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _copy_text(rows: Iterable[Sequence[object]]) -> bytes:
    lines = ("\t".join(_copy_value(v) for v in row) + "\n" for row in rows)
    return "".join(lines).encode()


def _mariadb_rows(database: str, sql: str) -> list[tuple[object, ...]]:
    connection = pymysql.connect(**MARIADB, database=database)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return list(cursor.fetchall())
    finally:
        connection.close()


def create_peer_database(database: str, catalog: str, shards: Sequence[str]) -> int:
    """A fresh PostgreSQL database with the schema and the MariaDB rows; returns the
    subscriptions copied."""
    _psql("postgres", "-c", f"DROP DATABASE IF EXISTS {database}")
    _psql("postgres", "-c", f"CREATE DATABASE {database}")
    _psql(database, "-f", str(PEER_DIR / "schema.sql"))
    courses = _mariadb_rows(catalog, f"SELECT {COURSE_COLUMNS} FROM typing_courses")
    courses = [(*row[:11], bool(row[11]), *row[12:]) for row in courses]
    _psql(database, "-c", "\\copy typing_courses FROM STDIN", stdin=_copy_text(courses))
    copied = 0
    for shard in shards:
        rows = _mariadb_rows(shard, f"SELECT {SUBSCRIPTION_COLUMNS} FROM user_typing_courses")
        _psql(database, "-c", "\\copy user_typing_courses FROM STDIN", stdin=_copy_text(rows))
        copied += len(rows)
    _psql(database, "-c", "VACUUM ANALYZE")
    return copied


def drop_peer_database(database: str) -> None:
    _psql("postgres", "-c", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


@contextmanager
def running_postgraphile(database: str, port: int) -> Iterator[str]:
    """PostGraphile pinned to the server core; yields its GraphQL endpoint's URL."""
    env = {
        **os.environ,
        "DATABASE_URL": f"{POSTGRES_URL}/{database}",
        "PORT": str(port),
        "NODE_ENV": "production",
        "GRAPHILE_ENV": "production",
    }
    command = ["taskset", "-c", SERVER_CORE, str(NODE), str(POSTGRAPHILE)]
    command += ["-C", str(PEER_DIR / "graphile.config.mjs")]
    url = f"http://{HOST}:{port}/graphql"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, env=env, cwd=PEER_DIR, stdout=log, stderr=log)
        try:
            wait_until_up(process, url)
            yield url
        except RuntimeError:
            log.seek(0)
            print(log.read().decode(errors="replace")[-2000:])
            raise
        finally:
            stop(process)
