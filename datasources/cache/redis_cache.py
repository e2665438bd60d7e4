"""Redis cache. Redis being down makes the gateway slower, never wrong or failing:
errors read as misses, writes are dropped, and a short circuit breaker stops each
request from waiting on a dead server."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import redis.asyncio as redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class RedisCache:
    name = "redis"

    def __init__(
        self,
        url: str,
        prefix: str = "cg:",
        timeout_seconds: float = 0.25,
        retry_after_seconds: float = 2.0,
    ) -> None:
        self._client = redis.Redis.from_url(
            url,
            socket_timeout=timeout_seconds,
            socket_connect_timeout=timeout_seconds,
            health_check_interval=30,
        )
        self._prefix = prefix
        self._retry_after = retry_after_seconds
        self._down_until = 0.0
        self.errors = 0

    def _available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, error: Exception) -> None:
        self.errors += 1
        if self._available():
            log.warning("redis unavailable, serving from the database: %s", error)
        self._down_until = time.monotonic() + self._retry_after

    def _key(self, key: str) -> str:
        return self._prefix + key

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        if not keys or not self._available():
            return [None] * len(keys)
        try:
            values = await self._client.mget([self._key(k) for k in keys])
            return [v if isinstance(v, bytes) or v is None else v.encode() for v in values]
        except (RedisError, OSError) as error:
            self._failed(error)
            return [None] * len(keys)

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
