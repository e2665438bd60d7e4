"""The real MariaDB and Redis of the machine, when present.

Locally a missing server skips its tests with the reason; under CI (CI=true) it fails them.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence

import pymysql
import pytest

MARIADB = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""}
REDIS_URL = os.environ.get("COURSEGATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
TEST_SHARDS = 4


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require(available: bool, what: str) -> None:
    if available:
        return
    if _in_ci():
        pytest.fail(f"{what} is not reachable, and CI must run these tests")
    pytest.skip(f"{what} is not reachable on this machine")


def mariadb_reachable() -> bool:
    try:
        pymysql.connect(**MARIADB, connect_timeout=2).close()  # type: ignore[arg-type]
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


def recreate_databases(names: Sequence[str]) -> None:
    connection = pymysql.connect(**MARIADB, autocommit=True)  # type: ignore[arg-type]
    try:
        with connection.cursor() as cursor:
            for name in names:
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
                cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    finally:
        connection.close()


def drop_databases(names: Sequence[str]) -> None:
    connection = pymysql.connect(**MARIADB, autocommit=True)  # type: ignore[arg-type]
    try:
        with connection.cursor() as cursor:
            for name in names:
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
    finally:
        connection.close()


def mysql_url(database: str) -> str:
    return f"mysql://root@127.0.0.1:3306/{database}"
