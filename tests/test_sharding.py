"""Subscriptions live on the shard the bucket map names, and only there."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from datasources.backends import Backends, open_backends
from datasources.ids import IdGenerator
from datasources.sharding import BUCKET_COUNT, BucketMap, bucket_of
from records.subscriptions import NewSubscription
from settings import ConfigurationError, Settings
from tests.factories import add_course


def test_buckets_come_from_a_stable_hash_of_the_user_id() -> None:
    # Pinned: changing the hash would strand every existing row on the wrong shard.
    assert bucket_of(42) == zlib.crc32(b"42") % BUCKET_COUNT == 136
    assert {bucket_of(u) for u in range(20_000)} == set(range(BUCKET_COUNT))


def test_even_map_gives_each_shard_one_contiguous_range() -> None:
    bucket_map = BucketMap.even(4)
    assert bucket_map.shard_of_bucket[:256] == (0,) * 256
    assert bucket_map.shard_of_bucket[-256:] == (3,) * 256
    assert bucket_map.shard_count == 4


def test_explicit_ranges_must_cover_every_bucket_once() -> None:
    moved = BucketMap.from_ranges([(0, 99, 1), (100, 1023, 0)])
    assert moved.shard_of_bucket[50] == 1 and moved.shard_of_bucket[100] == 0
    with pytest.raises(ValueError, match="twice"):
        BucketMap.from_ranges([(0, 1023, 0), (5, 5, 1)])
    with pytest.raises(ValueError, match="without a shard"):
        BucketMap.from_ranges([(0, 1000, 0)])


def test_ids_are_unique_and_time_ordered() -> None:
    generator = IdGenerator(node=3)
    ids = [generator.next_id() for _ in range(50_000)]
    assert len(set(ids)) == len(ids) and ids == sorted(ids)
    with pytest.raises(ValueError):
        IdGenerator(node=1024)


@pytest.mark.parametrize("raw", ["1024", "-1", "three", "5.0"])
def test_a_node_id_outside_ten_bits_is_refused(raw: str) -> None:
    with pytest.raises(ConfigurationError, match="COURSEGATE_NODE_ID"):
        Settings.from_env({"COURSEGATE_NODE_ID": raw, "COURSEGATE_JWT_SECRET": "x" * 32})


async def test_the_configured_node_is_in_every_id(tmp_path: Path) -> None:
    env = {"COURSEGATE_DATA_DIR": str(tmp_path), "COURSEGATE_NODE_ID": "517"}
    opened = await open_backends(Settings.from_env(env))
    try:
        ids = [opened.ids.next_id() for _ in range(5_000)]
    finally:
        await opened.close()
    assert {(minted >> 12) & 1023 for minted in ids} == {517}


async def test_each_users_rows_land_on_the_named_shard_only(backends: Backends) -> None:
    course = await add_course(backends)
    store = backends.uncached_subscriptions
    users = list(range(1, 41))
    now = datetime.now(UTC)
    await store.bulk_insert([NewSubscription(u, course.id, now, None, "test") for u in users])
    for shard_index, engine in enumerate(backends.shard_engines):
        rows = await engine.fetch_all("SELECT user_id FROM user_typing_courses")
        expected = {u for u in users if store.bucket_map.shard_for(u) == shard_index}
        assert {int(r[0]) for r in rows} == expected
    assert len({store.bucket_map.shard_for(u) for u in users}) == len(backends.shard_engines)


async def test_migrations_are_versioned_and_idempotent(backends: Backends) -> None:
    again = await backends.migrate()
    assert set(again) == {e.name for e in (backends.catalog_engine, *backends.shard_engines)}
    assert all(versions == [] for versions in again.values())
    rows = await backends.catalog_engine.fetch_all("SELECT version FROM schema_migrations")
    assert sorted(int(r[0]) for r in rows)[0] == 1
