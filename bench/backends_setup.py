"""The two backends the bench runs on: their settings, environment, data and clean-up."""

from __future__ import annotations

import os
import secrets
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pymysql
import redis

from settings import Settings
from tests.seaweedfs_server import SeaweedServer
from tests.servers import run_statements

BENCH_JWT_SECRET = "bench-secret-that-is-long-enough-for-hs256-signing"
MARIADB = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""}
REDIS_URL = "redis://127.0.0.1:6379/14"
SHARDS = 4
BUCKET = "cgbench-media"


@dataclass(frozen=True)
class BenchBackend:
    name: str
    settings: Settings
    env: dict[str, str]


def mariadb_and_redis_reachable() -> bool:
    try:
        pymysql.connect(**MARIADB, connect_timeout=2).close()
        with socket.create_connection(("127.0.0.1", 6379), timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except (pymysql.err.MySQLError, OSError):
        return False


def _mysql_url(database: str) -> str:
    return f"mysql://root@127.0.0.1:3306/{database}"


def _databases(prefix: str) -> tuple[str, ...]:
    """The catalog's, then each shard's."""
    return (f"{prefix}_catalog", *(f"{prefix}_shard_{i}" for i in range(SHARDS)))


SHARD_DATABASES = _databases("cgbench")[1:]  # mariadb_backend's, at its default prefix


def _rate_limits() -> dict[str, str]:
    """The limiter runs on every request but refuses none: the load comes from one address at
    far more than a client's budget. Set a variable to 0 to measure without that budget."""
    return {
        name: os.environ.get(name, str(10**9))
        for name in (
            "COURSEGATE_RATE_LIMIT_REQUESTS_PER_MINUTE",
            "COURSEGATE_RATE_LIMIT_MUTATIONS_PER_MINUTE",
            "COURSEGATE_RATE_LIMIT_COST_PER_MINUTE",
        )
    }


@contextmanager
def embedded_backend(data_dir: Path) -> Iterator[BenchBackend]:
    settings = Settings(data_dir=data_dir, jwt_secret=BENCH_JWT_SECRET)
    env = {
        **_rate_limits(),
        "COURSEGATE_DATA_DIR": str(data_dir),
        "COURSEGATE_JWT_SECRET": BENCH_JWT_SECRET,
    }
    yield BenchBackend("embedded", settings, env)


@contextmanager
def mariadb_backend(data_dir: Path, prefix: str = "cgbench") -> Iterator[BenchBackend]:
    """Fresh `prefix`_* databases and a fresh Redis key prefix; both removed afterwards."""
    databases = _databases(prefix)
    catalog_url = _mysql_url(databases[0])
    run_statements([f"DROP DATABASE IF EXISTS `{name}`" for name in databases])
    run_statements([f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4" for name in databases])
    prefix = f"cgbench:{uuid.uuid4().hex[:12]}:"
    shard_urls = tuple(_mysql_url(name) for name in databases[1:])
    # Production needs Razorpay credentials; the benchmarks take no payment, so these lead nowhere.
    razorpay = {
        "RAZORPAY_KEY_ID": "rzp_test_BenchUnreachable",
        "RAZORPAY_KEY_SECRET": secrets.token_urlsafe(24),
        "RAZORPAY_WEBHOOK_SECRET": secrets.token_urlsafe(24),
        "RAZORPAY_BASE_URL": "http://127.0.0.1:9",
    }
    # Production keeps media in S3-compatible storage: a SeaweedFS of its own for the run.
    storage = SeaweedServer(data_dir / "seaweedfs")
    storage.start()
    storage.create_bucket(BUCKET)
    # Video playlist links are signed with a key every gateway of a deployment shares.
    signing_key = secrets.token_urlsafe(32)
    s3 = {
        "COURSEGATE_CONTENT_SIGNING_KEY": signing_key,
        "COURSEGATE_S3_BUCKET": BUCKET,
        "COURSEGATE_S3_ENDPOINT_URL": storage.endpoint_url,
        "COURSEGATE_S3_ACCESS_KEY_ID": storage.access_key,
        "COURSEGATE_S3_SECRET_ACCESS_KEY": storage.secret_key,
    }
    settings = Settings(
        data_dir=data_dir,
        s3_bucket=BUCKET,
        s3_endpoint_url=storage.endpoint_url,
        s3_access_key_id=storage.access_key,
        s3_secret_access_key=storage.secret_key,
        content_signing_key=signing_key,
        mysql_catalog_url=catalog_url,
        mysql_shard_urls=shard_urls,
        redis_url=REDIS_URL,
        cache_prefix=prefix,
        jwt_secret=BENCH_JWT_SECRET,
        razorpay_key_id=razorpay["RAZORPAY_KEY_ID"],
        razorpay_key_secret=razorpay["RAZORPAY_KEY_SECRET"],
        razorpay_webhook_secret=razorpay["RAZORPAY_WEBHOOK_SECRET"],
        razorpay_base_url=razorpay["RAZORPAY_BASE_URL"],
    )
    env = {
        **_rate_limits(),
        **razorpay,
        **s3,
        "COURSEGATE_DATA_DIR": str(data_dir),
        "COURSEGATE_JWT_SECRET": BENCH_JWT_SECRET,
        "COURSEGATE_MYSQL_CATALOG_URL": catalog_url,
        "COURSEGATE_MYSQL_SHARD_URLS": ",".join(shard_urls),
        "COURSEGATE_REDIS_URL": REDIS_URL,
        "COURSEGATE_CACHE_PREFIX": prefix,
    }
    try:
        yield BenchBackend("mariadb", settings, env)
    finally:
        storage.stop()
        run_statements([f"DROP DATABASE IF EXISTS `{name}`" for name in databases])
        with suppress(redis.RedisError):
            client = redis.Redis.from_url(REDIS_URL)
            keys = list(client.scan_iter(match=prefix + "*", count=1000))
            for start in range(0, len(keys), 1000):
                client.delete(*keys[start : start + 1000])
            client.close()
