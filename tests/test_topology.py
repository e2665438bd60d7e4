"""Topology files: explicit bucket maps and read replicas (replication: test_replication.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from datasources.backends import open_backends
from datasources.topology import mysql_topology
from gateway import create_app
from settings import Settings
from tests import servers
from tests.conftest import with_s3, with_unreachable_razorpay
from tests.seaweedfs_server import SeaweedServer


def _topology_file(tmp_path: Path, document: dict[str, Any]) -> Settings:
    path = tmp_path / "topology.json"
    path.write_text(json.dumps(document))
    return Settings(data_dir=tmp_path, topology_file=path, jwt_secret="x")


def test_a_topology_file_names_replicas_and_moves_buckets(tmp_path: Path) -> None:
    settings = _topology_file(
        tmp_path,
        {
            "catalog": {"primary": "mysql://root@db0/catalog", "replicas": ["mysql://root@r0/c"]},
            "shards": ["mysql://root@db1/s0", {"primary": "mysql://root@db2/s1"}],
            "bucket_map": [[0, 9, 1], [10, 1023, 0]],
        },
    )
    topology = mysql_topology(settings)
    assert topology is not None
    assert topology.catalog.replicas == ("mysql://root@r0/c",)
    assert [s.primary for s in topology.shards] == ["mysql://root@db1/s0", "mysql://root@db2/s1"]
    assert topology.bucket_map.shard_of_bucket[:11] == (1,) * 10 + (0,)


def test_a_bucket_map_that_leaves_buckets_out_is_refused(tmp_path: Path) -> None:
    settings = _topology_file(
        tmp_path,
        {
            "catalog": "mysql://root@db0/c",
            "shards": ["mysql://root@db1/s"],
            "bucket_map": [[0, 500, 0]],
        },
    )
    with pytest.raises(ValueError, match="without a shard"):
        mysql_topology(settings)


async def test_a_replica_that_is_down_costs_capacity_not_service(
    tmp_path: Path, mariadb_databases: dict[str, Any], seaweed_s3: SeaweedServer, s3_bucket: str
) -> None:
    """Nothing listens on port 1: the replica never answers. The gateway still starts, lagging
    reads go to the primary, and readiness says degraded while staying in rotation."""
    down = "mysql://root@127.0.0.1:1/replica"
    settings = with_s3(
        with_unreachable_razorpay(
            _topology_file(
                tmp_path,
                {
                    "catalog": {
                        "primary": servers.mysql_url(mariadb_databases["catalog"]),
                        "replicas": [down],
                    },
                    "shards": [servers.mysql_url(name) for name in mariadb_databases["shards"]],
                },
            )
        ),
        seaweed_s3,
        s3_bucket,
    )
    backends = await open_backends(settings)
    try:
        await backends.migrate()
        lagging = await backends.catalog_engine.fetch_all_lagging("SELECT 42")
        assert [tuple(row) for row in lagging] == [(42,)]
        transport = httpx.ASGITransport(app=create_app(settings, backends))
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
            ready = await http.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["status"] == "degraded"
        assert ready.json()["backends"]["catalog:replica-0"].startswith("down")
        assert ready.json()["backends"]["catalog"] == "ok"
    finally:
        await backends.close()
