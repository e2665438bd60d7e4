"""The bulk seed into MariaDB shards (jobs/bulk_seed.py): the generator's rows on the shards
the bucket map names, the indexes and server settings as they were, nothing left by a load
that fails, an earlier killed load repaired, and refusals before anything is written.
Each test has its own catalog and three shard databases."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pymysql
import pytest

from datasources.backends import Backends, open_backends
from datasources.sql.bucket_copy import set_states
from datasources.sql.bulk_load import ShardLoader
from datasources.sql.engine import DatabaseUnavailable
from datasources.sql.mysql_engine import parse_mysql_url
from datasources.sql.shard_router import BucketState
from jobs.bulk_seed import BulkOptions, BulkSeedRefused
from jobs.catalog_scan import all_courses
from jobs.seed import DEMO_SOURCE, seed_synthetic
from jobs.synthetic_interests import latent_interest_enrolments
from settings import Settings
from tests import servers
from tests.conftest import production_env

MARIADB = pytest.mark.parametrize("settings", ["mariadb"], indirect=True)
NOW = datetime(2026, 3, 14, 9, 26, 53, 589793, tzinfo=UTC)
COURSES = 120
PER_USER = 3
CHUNK_USERS = 400
SEED_ARGUMENTS = (
    *("--users", "1500", "--first-user", "1", "--courses", "50", "--workers", "1"),
    *("--buffer-pool-gib", "0", "--redo-log-gib", "0"),
)


@dataclass
class Shards:
    backends: Backends
    settings: Settings
    urls: tuple[str, ...]


def _options(shards: Shards, **changes: Any) -> BulkOptions:
    # No buffer pool or redo log resize on the shared test server: only the flush setting
    # changes, and the tests check it is put back.
    options = BulkOptions(
        shards.urls, workers=1, buffer_pool_bytes=0, log_file_bytes=0, chunk_users=CHUNK_USERS
    )
    return dataclasses.replace(options, **{"log": lambda _: None, **changes})


@pytest.fixture
async def shards(settings: Settings) -> AsyncIterator[Shards]:
    run = f"cgseed{uuid.uuid4().hex[:10]}"
    names = [f"{run}_catalog", *(f"{run}_shard_{i}" for i in range(3))]
    servers.recreate_databases(names)
    urls = tuple(servers.mysql_url(name) for name in names)
    own = dataclasses.replace(settings, mysql_catalog_url=urls[0], mysql_shard_urls=urls[1:])
    backends = await open_backends(own)
    try:
        await backends.migrate()
        yield Shards(backends, own, urls[1:])
    finally:
        await backends.close()
        servers.drop_databases(names)


def _query(url: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    address = parse_mysql_url(url)
    connection = pymysql.connect(
        host=address["host"], port=address["port"], user=address["user"], database=address["db"]
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())
    finally:
        connection.close()


def _indexes(url: str) -> list[tuple[Any, ...]]:
    return _query(
        url,
        "SELECT INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, COLLATION"
        " FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()"
        " AND TABLE_NAME = 'user_typing_courses' ORDER BY INDEX_NAME, SEQ_IN_INDEX",
    )


def _comment(url: str) -> str:
    rows = _query(
        url,
        "SELECT TABLE_COMMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"
        " AND TABLE_NAME = 'user_typing_courses'",
    )
    return str(rows[0][0])


def _flush_setting(url: str) -> int:
    return int(_query(url, "SELECT @@GLOBAL.innodb_flush_log_at_trx_commit")[0][0])


def _rows(url: str) -> set[tuple[Any, ...]]:
    return set(
        _query(
            url,
            "SELECT user_id, typing_course_id, enrolled_at, expires_at, status, source, kept_days"
            " FROM user_typing_courses",
        )
    )


def _row_count(shards: Shards) -> int:
    return sum(
        int(_query(url, "SELECT COUNT(*) FROM user_typing_courses")[0][0]) for url in shards.urls
    )


async def _seed(shards: Shards, users: int, first_user: int, **changes: Any) -> int:
    report = await seed_synthetic(
        shards.backends, COURSES, users, PER_USER, first_user, _options(shards, **changes), NOW
    )
    assert report.bulk is not None
    return report.subscriptions


async def _expected_by_shard(shards: Shards, users: int, first: int) -> dict[int, set[Any]]:
    """The rows latent_interest_enrolments gives each chunk of users, on its user's shard."""
    catalog = [course async for course in all_courses(shards.backends)]
    expected: dict[int, set[Any]] = {shard: set() for shard in range(len(shards.urls))}
    for chunk_first in range(first, first + users, CHUNK_USERS):
        chunk_users = min(CHUNK_USERS, first + users - chunk_first)
        for e in latent_interest_enrolments(
            catalog, chunk_users, PER_USER, chunk_first, NOW, DEMO_SOURCE
        ):
            naive = e.enrolled_at.replace(tzinfo=None)
            expires = None if e.expires_at is None else e.expires_at.replace(tzinfo=None)
            shard = shards.backends.router.bucket_map.shard_for(e.user_id)
            expected[shard].add((e.user_id, e.course_id, naive, expires, "active", e.source, 0))
    return expected


@MARIADB
async def test_bulk_seed_puts_the_generators_rows_on_their_shards(shards: Shards) -> None:
    indexes_before = [_indexes(url) for url in shards.urls]
    flush_before = _flush_setting(shards.urls[0])
    users = 1_000  # three chunks, the last one short

    written = await _seed(shards, users, first_user=1)

    assert written == users * PER_USER
    expected = await _expected_by_shard(shards, users, first=1)
    for shard, url in enumerate(shards.urls):
        assert expected[shard], "every shard gets users"
        assert _rows(url) == expected[shard]
        assert _indexes(url) == indexes_before[shard]
        assert _comment(url) == ""
    assert _flush_setting(shards.urls[0]) == flush_before
    ids = [
        row[0] for url in shards.urls for row in _query(url, "SELECT id FROM user_typing_courses")
    ]
    assert len(set(ids)) == len(ids) == written
    # Read back through the store: timestamps come back as the gateway's own writes do.
    user = 7
    mine = await shards.backends.uncached_subscriptions.list_for_user(user, None, 10)
    wanted = {row[1]: row for rows in expected.values() for row in rows if row[0] == user}
    assert {s.course_id for s in mine} == set(wanted)
    for subscription in mine:
        assert subscription.enrolled_at == wanted[subscription.course_id][2].replace(tzinfo=UTC)


@MARIADB
async def test_a_seed_of_users_that_have_rows_is_refused(shards: Shards) -> None:
    await _seed(shards, 300, first_user=1)
    before = {url: _rows(url) for url in shards.urls}

    with pytest.raises(BulkSeedRefused, match="users 200-499"):
        await _seed(shards, 300, first_user=200)

    assert {url: _rows(url) for url in shards.urls} == before


@MARIADB
async def test_a_seed_is_refused_while_buckets_move(shards: Shards) -> None:
    engine = shards.backends.shard_engines[1]
    await set_states(engine, 0, 5, BucketState.COPYING, NOW)

    with pytest.raises(DatabaseUnavailable):
        await _seed(shards, 300, first_user=1)

    assert _row_count(shards) == 0


@MARIADB
async def test_a_load_that_fails_leaves_no_rows_and_every_index(shards: Shards) -> None:
    await _seed(shards, 200, first_user=1)
    before = {url: (_rows(url), _indexes(url)) for url in shards.urls}
    flush_before = _flush_setting(shards.urls[0])
    loaded: list[int] = []

    def fail_after_some_files(rows: int) -> None:
        loaded.append(rows)
        if len(loaded) == 4:
            raise RuntimeError("the load's connection dropped")

    with pytest.raises(RuntimeError, match="connection dropped"):
        await _seed(shards, 2_000, first_user=1_000, progress=fail_after_some_files)

    # Other shards' files already in LOAD DATA may finish before their tasks are cancelled.
    assert len(loaded) >= 4
    assert {url: (_rows(url), _indexes(url)) for url in shards.urls} == before
    assert all(_comment(url) == "" for url in shards.urls)
    assert _flush_setting(shards.urls[0]) == flush_before


@MARIADB
async def test_indexes_a_killed_load_dropped_are_rebuilt_by_the_next(shards: Shards) -> None:
    indexes_before = _indexes(shards.urls[2])
    loader = await ShardLoader.open(shards.urls[2], "shard-2")
    try:
        dropped = await loader.drop_indexes()
    finally:
        loader.close()
    assert len(dropped) >= 4  # the unique (user, course) key among them
    assert [row[0] for row in _indexes(shards.urls[2])] == ["PRIMARY", "PRIMARY"]
    messages: list[str] = []

    await _seed(shards, 300, first_user=1, log=messages.append)

    assert _indexes(shards.urls[2]) == indexes_before
    assert any(f"rebuilt {len(dropped)} indexes" in message for message in messages)


@MARIADB
def test_the_seed_command_loads_mariadb_shards_and_reports_disk(
    settings: Settings, tmp_path: Path
) -> None:
    run = f"cgseed{uuid.uuid4().hex[:10]}"
    names = [f"{run}_catalog", *(f"{run}_shard_{i}" for i in range(2))]
    servers.recreate_databases(names)
    urls = [servers.mysql_url(name) for name in names]
    own = dataclasses.replace(settings, mysql_catalog_url=urls[0], mysql_shard_urls=tuple(urls[1:]))
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("COURSEGATE_", "RAZORPAY_"))}
    env = {**clean, **production_env(own, tmp_path)}
    try:
        finished = subprocess.run(
            [sys.executable, "cli.py", "seed", *SEED_ARGUMENTS],
            cwd=Path(__file__).resolve().parent.parent,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert finished.returncode == 0, finished.stderr
        assert "3,000 subscriptions" in finished.stdout
        assert "secondary indexes" in finished.stdout
        assert "| shard-1 |" in finished.stdout
        counts = [
            int(_query(url, "SELECT COUNT(*) FROM user_typing_courses")[0][0]) for url in urls[1:]
        ]
        assert sum(counts) == 3_000 and min(counts) > 0
    finally:
        servers.drop_databases(names)
