"""A MariaDB engine whose server cannot be reached raises DatabaseUnavailable, and after one
failure stops asking for the breaker's retry period instead of each caller waiting on it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pymysql
import pytest

from datasources.breaker import Breaker
from datasources.sql.engine import DatabaseUnavailable
from datasources.sql.mysql_engine import MysqlEngine
from tests.clock import ManualClock


class HangingUp:
    """Accepts each connection and closes it before MariaDB's greeting: a server that is going
    down, as the client sees it."""

    def __init__(self) -> None:
        self.connections = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._hang_up, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def _hang_up(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.close()

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


@pytest.fixture
async def hanging_up() -> AsyncIterator[HangingUp]:
    server = HangingUp()
    yield server
    await server.stop()


async def test_an_unreachable_shard_is_refused_at_once_until_the_retry_period_ends(
    hanging_up: HangingUp,
) -> None:
    port = await hanging_up.start()
    clock = ManualClock()
    engine = MysqlEngine(
        f"mysql://root@127.0.0.1:{port}/shard", "shard-3", breaker=Breaker(1.0, clock)
    )
    await engine.open(required=False)  # starts without it
    assert hanging_up.connections == 1
    with pytest.raises(DatabaseUnavailable) as refused:
        await engine.fetch_one("SELECT 1")
    assert refused.value.database == "shard-3" and refused.value.retry_after_seconds == 1.0
    for _ in range(5):
        with pytest.raises(DatabaseUnavailable):
            await engine.execute("UPDATE t SET a = 1")
        with pytest.raises(DatabaseUnavailable):
            async with engine.transaction():
                pass
    assert hanging_up.connections == 1  # not asked while the breaker is open
    clock.now += 1.5
    with pytest.raises(DatabaseUnavailable):
        await engine.fetch_all("SELECT 1")
    assert hanging_up.connections == 2
    await engine.close()


async def test_a_required_database_that_cannot_be_reached_stops_the_start(
    hanging_up: HangingUp,
) -> None:
    port = await hanging_up.start()
    engine = MysqlEngine(f"mysql://root@127.0.0.1:{port}/catalog", "catalog")
    with pytest.raises(pymysql.err.OperationalError):
        await engine.open()
