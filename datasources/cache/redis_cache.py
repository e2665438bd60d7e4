"""Redis cache. Redis being down makes the gateway slower, never wrong or failing:
errors read as misses, writes are dropped, and a short circuit breaker stops each
request from waiting on a dead server.

Reads are coalesced: every `get_many` made while the event loop runs one batch of ready
callbacks joins one MGET, sent on the loop's next pass. Each caller's keys are read by a
command sent after the call was made, so a write any worker finished before the call is
seen exactly as with a command of its own; what it saves is the redis-py round trip per
request (pool checkout, command packing, a write and a wake-up each), which under load
cost a quarter of the per-request CPU of the my-subscriptions hit path.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisError

from datasources.breaker import Breaker
from datasources.redis_client import connect

log = logging.getLogger(__name__)

MAX_KEYS_PER_MGET = 512

_Waiter = tuple[list[str], "asyncio.Future[list[bytes | None]]"]


class RedisCache:
    name = "redis"

    def __init__(
        self,
        url: str,
        prefix: str = "cg:",
        timeout_seconds: float = 0.25,
        retry_after_seconds: float = 2.0,
    ) -> None:
        self._client = connect(url, timeout_seconds, health_check_interval=30)
        # A cluster's MGET must keep to one slot; mget_nonatomic sends one per slot at once.
        self._read_keys: Callable[[list[str]], Awaitable[list[Any]]] = (
            self._client.mget_nonatomic
            if isinstance(self._client, RedisCluster)
            else self._client.mget
        )
        self._prefix = prefix
        self._breaker = Breaker(retry_after_seconds)
        self.errors = 0
        self._waiting: list[_Waiter] = []
        self._batches: set[asyncio.Task[None]] = set()
        self.mget_commands = 0  # MGETs sent: fewer than get_many calls under load

    def _available(self) -> bool:
        return not self._breaker.is_open

    def _failed(self, error: Exception) -> None:
        self.errors += 1
        if self._breaker.failed():
            log.warning("redis unavailable, serving from the database: %s", error)

    def _answered(self) -> None:
        if self._breaker.succeeded():
            log.info("redis answering again")

    def _key(self, key: str) -> str:
        return self._prefix + key

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        if not keys or not self._available():
            return [None] * len(keys)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[bytes | None]] = loop.create_future()
        if not self._waiting:
            loop.call_soon(self._send_waiting)
        self._waiting.append(([self._key(k) for k in keys], future))
        return await future

    def _send_waiting(self) -> None:
        waiting, self._waiting = self._waiting, []
        batch: list[_Waiter] = []
        size = 0
        for waiter in waiting:
            if batch and size + len(waiter[0]) > MAX_KEYS_PER_MGET:
                self._start(batch)
                batch, size = [], 0
            batch.append(waiter)
            size += len(waiter[0])
        if batch:
            self._start(batch)

    def _start(self, batch: list[_Waiter]) -> None:
        task = asyncio.ensure_future(self._mget(batch))
        self._batches.add(task)
        task.add_done_callback(self._batches.discard)

    async def _mget(self, batch: list[_Waiter]) -> None:
        keys = [key for waiter_keys, _ in batch for key in waiter_keys]
        values: list[bytes | None]
        try:
            self.mget_commands += 1
            got = await self._read_keys(keys)
            values = [v if isinstance(v, bytes) or v is None else v.encode() for v in got]
            self._answered()
        except (RedisError, OSError) as error:
            self._failed(error)
            values = [None] * len(keys)
        except asyncio.CancelledError:
            for _, future in batch:
                future.cancel()
            raise
        except Exception as error:
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        start = 0
        for waiter_keys, future in batch:
            end = start + len(waiter_keys)
            if not future.done():  # a caller that was cancelled is left out
                future.set_result(values[start:end])
            start = end

    async def set_many(self, items: dict[str, bytes], ttl_seconds: int) -> None:
        if not items or not self._available():
            return
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for key, value in items.items():
                    pipe.set(self._key(key), value, ex=ttl_seconds)
                await pipe.execute()
        except (RedisError, OSError) as error:
            self._failed(error)

    async def delete(self, *keys: str) -> None:
        # Invalidation is attempted even while the breaker is open: a stale entry that
        # outlives an outage would be served as soon as Redis is back.
        if not keys:
            return
        try:
            await self._client.delete(*(self._key(k) for k in keys))
        except (RedisError, OSError) as error:
            self._failed(error)

    async def incr(self, key: str) -> int:
        try:
            return int(await self._client.incr(self._key(key)))
        except (RedisError, OSError) as error:
            self._failed(error)
            return 0

    async def get_counter(self, key: str) -> int:
        if not self._available():
            return 0
        try:
            value = await self._client.get(self._key(key))
            return int(value or 0)
        except (RedisError, OSError) as error:
            self._failed(error)
            return 0

    async def ping(self) -> None:
        await self._client.ping()

    async def close(self) -> None:
        await self._client.aclose()
