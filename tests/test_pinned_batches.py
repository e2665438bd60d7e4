"""A DataLoader batch waiting on something only weak references lead to (as an aiomysql
connection being opened is) must survive a garbage collection: aiodataloader keeps no
reference to its batch tasks, and a collected batch leaves its requests waiting forever."""

from __future__ import annotations

import asyncio
import gc
import weakref

from aiodataloader import DataLoader

from loaders.pinned_batches import pin_batches


class WeaklyWaiting(DataLoader[int, int]):
    """Each batch waits on a future that only a weak reference leads to."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[weakref.ref[asyncio.Future[int]]] = []
        self.started = asyncio.Event()

    async def batch_load_fn(self, keys: list[int]) -> list[int]:
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.waits.append(weakref.ref(future))
        self.started.set()
        value = await future
        return [value + key for key in keys]


async def test_an_unpinned_batch_is_collected_while_it_waits() -> None:
    loader = WeaklyWaiting()
    loaded = loader.load(1)
    await loader.started.wait()
    gc.collect()
    assert loader.waits[0]() is None  # the batch, and what it waited on, are gone
    assert not loaded.done()
    loaded.cancel()


async def test_a_pinned_batch_survives_a_collection_and_answers() -> None:
    loader = WeaklyWaiting()
    pin_batches(loader)
    loaded = loader.load(1)
    await loader.started.wait()
    gc.collect()
    waited = loader.waits[0]()
    assert waited is not None
    waited.set_result(41)
    assert await asyncio.wait_for(loaded, 5) == 42
