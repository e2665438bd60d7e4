"""Read replicas against real replication: a primary and a replica, each a MariaDB server of this
module's own, the replica following the primary's binlog by GTID. Reads that tolerate lag go to
the replica and see what it has applied; everything else reads the primary; losing the replica
costs capacity, not service, and once it is back it catches up and serves again."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from datasources.backends import open_backends
from datasources.sql.mysql_engine import MysqlEngine
from gateway import create_app
from settings import Settings
from tests import servers
from tests.conftest import JWT_SECRET, with_s3, with_unreachable_razorpay
from tests.mariadb_server import MariaDBServer, binlog_options, mariadbd_installed
from tests.seaweedfs_server import SeaweedServer


@dataclass(frozen=True)
class Pair:
    primary: MariaDBServer
    replica: MariaDBServer

    def new_database(self) -> tuple[str, str]:
        """A database made on the primary, once the replica has it too: (primary, replica) URLs."""
        name = f"cgt_{uuid.uuid4().hex[:12]}"
        self.primary.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")
        self.replica.caught_up_with(self.primary)
        return self.primary.url(name), self.replica.url(name)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    servers.require(mariadbd_installed(), "mariadbd (Debian package mariadb-server)")
    directory = tmp_path_factory.mktemp("replication")
    primary = MariaDBServer(directory / "primary", *binlog_options(1))
    replica = MariaDBServer(directory / "replica", *binlog_options(2), "--read-only")
    primary.start()
    try:
        replica.start()
        replica.replicate_from(primary)
        yield Pair(primary, replica)
    finally:
        replica.stop()
        primary.stop()


@pytest.fixture
async def engine(pair: Pair) -> AsyncIterator[MysqlEngine]:
    primary_url, replica_url = pair.new_database()
    opened = await MysqlEngine(primary_url, "catalog", replica_urls=[replica_url]).open()
    await opened.execute("CREATE TABLE lessons (id INT PRIMARY KEY)")
    yield opened
    await opened.close()


async def _ids(rows: Awaitable[Sequence[Sequence[Any]]]) -> list[int]:
    return sorted(int(row[0]) for row in await rows)


async def test_lagging_reads_see_what_the_replica_has_applied_and_the_rest_read_the_primary(
    pair: Pair, engine: MysqlEngine
) -> None:
    await engine.execute("INSERT INTO lessons VALUES (1)")
    pair.replica.caught_up_with(pair.primary)
    assert await _ids(engine.fetch_all_lagging("SELECT id FROM lessons")) == [1]

    pair.replica.execute("STOP SLAVE SQL_THREAD")  # the replica falls behind
    try:
        await engine.execute("INSERT INTO lessons VALUES (2)")
        assert await _ids(engine.fetch_all("SELECT id FROM lessons")) == [1, 2]
        assert await _ids(engine.fetch_all_lagging("SELECT id FROM lessons")) == [1]
        async with engine.transaction() as tx:
            assert await _ids(tx.fetch_all("SELECT id FROM lessons")) == [1, 2]
    finally:
        pair.replica.execute("START SLAVE SQL_THREAD")
    pair.replica.caught_up_with(pair.primary)
    assert await _ids(engine.fetch_all_lagging("SELECT id FROM lessons")) == [1, 2]


def _settings(
    tmp_path: Path, catalog: tuple[str, str], shards: list[str], s3: SeaweedServer, bucket: str
) -> Settings:
    primary, replica = catalog
    topology = tmp_path / "topology.json"
    document = {"catalog": {"primary": primary, "replicas": [replica]}, "shards": shards}
    topology.write_text(json.dumps(document))
    settings = Settings(data_dir=tmp_path, topology_file=topology, jwt_secret=JWT_SECRET)
    return with_s3(with_unreachable_razorpay(settings), s3, bucket)


async def test_losing_the_replica_costs_capacity_not_service_and_it_catches_up_when_back(
    pair: Pair,
    tmp_path: Path,
    mariadb_databases: dict[str, Any],
    seaweed_s3: SeaweedServer,
    s3_bucket: str,
) -> None:
    shards = [servers.mysql_url(name) for name in mariadb_databases["shards"]]
    primary_url, replica_url = pair.new_database()
    settings = _settings(tmp_path, (primary_url, replica_url), shards, seaweed_s3, s3_bucket)
    backends = await open_backends(settings)
    try:
        await backends.migrate()  # on the primary; the replica applies it from the binlog
        catalog = backends.catalog_engine
        await catalog.execute("CREATE TABLE marks (id INT PRIMARY KEY)")
        await catalog.execute("INSERT INTO marks VALUES (1)")
        pair.replica.caught_up_with(pair.primary)
        transport = httpx.ASGITransport(app=create_app(settings, backends))
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
            ready = await http.get("/readyz")
            assert ready.json()["backends"]["catalog:replica-0"] == "ok"

            pair.replica.stop()
            await catalog.execute("INSERT INTO marks VALUES (2)")  # written while it is down
            # The primary answers what the replica would have: fresher, not wrong.
            assert await _ids(catalog.fetch_all_lagging("SELECT id FROM marks")) == [1, 2]
            ready = await http.get("/readyz")
            assert ready.status_code == 200  # degraded, still in rotation
            assert ready.json()["backends"]["catalog:replica-0"].startswith("down")

            pair.replica.start()
            pair.replica.caught_up_with(pair.primary)  # it resumes from where it stopped
            ready = await http.get("/readyz")
            assert ready.json()["backends"]["catalog:replica-0"] == "ok"
        replica = await MysqlEngine(replica_url, "replica").open()  # the replica's own rows
        try:
            assert await _ids(replica.fetch_all("SELECT id FROM marks")) == [1, 2]
        finally:
            await replica.close()
    finally:
        await backends.close()
