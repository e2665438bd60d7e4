"""Which databases to talk to: from environment settings, optionally a topology file.

Topology file (JSON), for replicas and a first bucket map that is not the even split (the first
start stores it in the catalog, whose map decides from then on: `coursegate shards`):
    {"catalog": {"primary": "mysql://...", "replicas": ["mysql://..."]},
     "shards": [{"primary": "mysql://...", "replicas": []}, ...],
     "bucket_map": [[0, 511, 0], [512, 1023, 1]]}
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import orjson

from datasources.sharding import BucketMap
from settings import Settings


@dataclass(frozen=True)
class DatabaseTarget:
    primary: str
    replicas: tuple[str, ...] = ()


@dataclass(frozen=True)
class MysqlTopology:
    catalog: DatabaseTarget
    shards: tuple[DatabaseTarget, ...]
    bucket_map: BucketMap


def _target(entry: object) -> DatabaseTarget:
    if isinstance(entry, str):
        return DatabaseTarget(entry)
    if isinstance(entry, dict) and isinstance(entry.get("primary"), str):
        return DatabaseTarget(entry["primary"], tuple(entry.get("replicas", ())))
    raise ValueError("a database entry is a URL or {primary, replicas}")


def mysql_topology(settings: Settings) -> MysqlTopology | None:
    if settings.topology_file is not None:
        return _from_file(settings.topology_file)
    if settings.mysql_catalog_url is None:
        return None
    shards = tuple(DatabaseTarget(url) for url in settings.mysql_shard_urls)
    return MysqlTopology(
        DatabaseTarget(settings.mysql_catalog_url), shards, BucketMap.even(len(shards))
    )


def _from_file(path: Path) -> MysqlTopology:
    document = orjson.loads(path.read_bytes())
    shards = tuple(_target(entry) for entry in document["shards"])
    ranges = document.get("bucket_map")
    bucket_map = (
        BucketMap.from_ranges([tuple(r) for r in ranges]) if ranges else BucketMap.even(len(shards))
    )
    return MysqlTopology(_target(document["catalog"]), shards, bucket_map)
