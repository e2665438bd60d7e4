"""The real MariaDB and Redis of the machine, when present.

Locally a missing server skips its tests with the reason; under CI (CI=true) it fails them.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence

import pymysql
import pytest

MARIADB_PORT = 3306
MARIADB = {"host": "127.0.0.1", "port": MARIADB_PORT, "user": "root", "password": ""}
REDIS_URL = os.environ.get("COURSEGATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
NATS_URL = "nats://127.0.0.1:4222"
TEST_SHARDS = 4


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require(available: bool, what: str) -> None:
    if available:
        return
    if _in_ci():
        pytest.fail(f"{what} is not reachable, and CI must run these tests")
    pytest.skip(f"{what} is not reachable on this machine")


def free_port() -> int:
    """A loopback port nothing listens on now, for a server a test starts itself."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def mariadb_reachable() -> bool:
    try:
        pymysql.connect(**MARIADB, connect_timeout=2).close()
        return True
    except pymysql.err.MySQLError:
        return False


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def nats_reachable() -> bool:
    """A NATS server greets every connection with its INFO line before anything is sent; the
    line says whether JetStream is enabled."""
    try:
        with socket.create_connection(("127.0.0.1", 4222), timeout=2) as sock:
            line = b""
            while b"\r\n" not in line and len(line) < 65536:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                line += chunk
    except OSError:
        return False
    return line.startswith(b"INFO ") and b'"jetstream":true' in line


def bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def run_statements(statements: Sequence[str], port: int = MARIADB_PORT) -> None:
    """Each statement in turn, as root, on the MariaDB server at 127.0.0.1:`port`."""
    connection = pymysql.connect(**{**MARIADB, "port": port}, autocommit=True)
    try:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        connection.close()


def recreate_databases(names: Sequence[str]) -> None:
    run_statements(
        [
            sql
            for name in names
            for sql in (
                f"DROP DATABASE IF EXISTS `{name}`",
                f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4",
            )
        ]
    )


def drop_databases(names: Sequence[str]) -> None:
    run_statements([f"DROP DATABASE IF EXISTS `{name}`" for name in names])


def mysql_url(database: str) -> str:
    return f"mysql://root@127.0.0.1:3306/{database}"
