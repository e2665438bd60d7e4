"""The embedded SQLite engine under cancellation."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from datasources.sql.sqlite_engine import SqliteEngine


async def test_a_cancelled_transaction_never_leaves_one_open(tmp_path: Path) -> None:
    engine = await SqliteEngine(tmp_path / "cancel.db", "cancel").open()
    try:
        await engine.execute("CREATE TABLE marks (v INTEGER)")

        async def write() -> None:
            async with engine.transaction() as tx:
                await tx.execute("INSERT INTO marks VALUES (1)")

        # Cancel at every point from before BEGIN to after COMMIT was sent.
        for turns in range(12):
            task = asyncio.ensure_future(write())
            for _ in range(turns):
                await asyncio.sleep(0)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            # A BEGIN that ran after its caller was cancelled made this fail.
            await engine.execute("INSERT INTO marks VALUES (2)")
        row = await engine.fetch_one("SELECT COUNT(*) FROM marks WHERE v = 2")
        assert row == (12,)
    finally:
        await engine.close()
