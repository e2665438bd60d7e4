"""The anonymous response cache switched off (COURSEGATE_CACHE=off): nothing is stored."""

from __future__ import annotations

import asyncio

from resolvers.response_cache import Ticket

_NOTHING = Ticket(None, None, -1)


class NoResponseCache:
    async def lookup(self, raw_body: bytes, authorization: str | None) -> Ticket:
        await asyncio.sleep(0)  # the one yield per request the cache would have made
        return _NOTHING

    def store(
        self,
        ticket: Ticket,
        query: str,
        operation_name: str | None,
        data_only: bool,
        response: bytes,
    ) -> None:
        return None
