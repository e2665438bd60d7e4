"""The cache interface: bytes in, bytes out. A cache may forget anything at any time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Cache(Protocol):
    name: str

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]: ...

    async def set_many(self, items: dict[str, bytes], ttl_seconds: int) -> None: ...

    async def delete(self, *keys: str) -> None: ...

    async def incr(self, key: str) -> int:
        """Atomically increments a counter that never expires; returns the new value."""
        ...

    async def get_counter(self, key: str) -> int: ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...
