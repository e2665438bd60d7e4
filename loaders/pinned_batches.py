"""Keeps each DataLoader batch's task alive until the batch ends.

aiodataloader runs every batch in a task it keeps no reference to, and asyncio holds tasks only
weakly. A batch waiting on something that only weak references lead to is then garbage, and
the cycle collector destroys it while it is pending: the requests waiting for the batch wait
forever. An aiomysql connection being opened is such a thing (asyncio's stream protocol holds
its reader weakly), so a batch that grew a pool under load could hang its request; seen as
"Task was destroyed but it is pending!" in tests/test_bucket_moves.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiodataloader import DataLoader

_running: set[asyncio.Task[Any]] = set()


def pin_batches(loader: DataLoader[Any, Any]) -> None:
    load = loader.batch_load_fn

    async def pinned(keys: list[Any]) -> Any:
        task = asyncio.current_task()
        assert task is not None
        _running.add(task)
        try:
            return await load(keys)
        finally:
            _running.discard(task)

    loader.batch_load_fn = pinned
