"""Token buckets in Redis, shared by every worker and pod: each check runs inside one Lua
script, so two workers can never both spend a client's last token. A check that passes also
leases this process a few tokens ahead (at most a sixteenth of what the bucket still holds and
1 % of the budget, given up after a minute unused), so a client costs a Redis call every few
requests, not every one; a budget under 100 a minute leases nothing and is exact. Leased
tokens are taken from the shared bucket, so what a client spends never exceeds its budget; a
lease spent later than it was taken can add to a burst, at most 1 % of the budget per process,
and a lease left unspent in one process is that much the client does not get. The checks
made while the event loop runs one batch of ready callbacks go in one script call (each check
still all or nothing on its own).

Redis unreachable: the limiter fails open to buckets in this process (each process then limits
on its own), says so at /readyz and in `coursegate_rate_limits_local`, and tries Redis again
after a short pause.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from prometheus_client import Gauge
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisError

from datasources.breaker import Breaker
from datasources.limits.local_buckets import MAX_CLIENTS, LocalBuckets
from datasources.redis_client import connect, slot_of
from domain.rate_limits import Charge

log = logging.getLogger(__name__)

MAX_CHECKS_PER_CALL = 256

LIMITING_LOCALLY = Gauge(
    "coursegate_rate_limits_local",
    "1 while Redis is unreachable and this process limits clients on its own",
    multiprocess_mode="liveall",  # per worker: each keeps its own buckets then
)

# ARGV: the number of checks, then per check its number of buckets and per bucket its capacity
# (per minute), what it takes and the most it may lease; KEYS: every bucket in that order. Time
# is the server's, so every worker's clock agrees. Answers per check its wait in seconds ("0"
# when taken) followed by the tokens leased from each of its buckets.
_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local answers = {}
local key, arg = 0, 1
for check = 1, tonumber(ARGV[1]) do
  local buckets = tonumber(ARGV[arg + 1])
  arg = arg + 1
  local held, wait = {}, 0
  for b = 1, buckets do
    local capacity, take = tonumber(ARGV[arg + 1]), tonumber(ARGV[arg + 2])
    local lease_most = tonumber(ARGV[arg + 3])
    arg = arg + 3
    local rate = capacity / 60
    local saved = redis.call('HMGET', KEYS[key + b], 'tokens', 'at')
    local tokens = tonumber(saved[1]) or capacity
    local at = tonumber(saved[2]) or now
    tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
    held[b] = {tokens, capacity, take, rate, lease_most}
    if tokens < take then wait = math.max(wait, (take - tokens) / rate) end
  end
  answers[#answers + 1] = tostring(wait)
  for b = 1, buckets do
    local h = held[b]
    local lease = 0
    if wait == 0 then
      lease = math.min(h[5], math.floor((h[1] - h[3]) / 16))
      local left = h[1] - h[3] - lease
      redis.call('HSET', KEYS[key + b], 'tokens', tostring(left), 'at', tostring(now))
      redis.call('PEXPIRE', KEYS[key + b], math.ceil((h[2] - left) / h[4] * 1000) + 1000)
    end
    answers[#answers + 1] = tostring(lease)
  end
  key = key + buckets
end
return answers
"""
LEASE_MOST = 0.01  # of a budget
LEASE_SECONDS = 60.0  # the budget's minute

_Check = tuple[str, Sequence[Charge], "asyncio.Future[float]"]


class LimitingLocally(RuntimeError):
    """Redis is unreachable: each process limits clients on its own."""


class RedisBuckets:
    name = "redis"

    def __init__(
        self,
        url: str,
        prefix: str = "cg:",
        timeout_seconds: float = 0.25,
        retry_after_seconds: float = 2.0,
    ) -> None:
        self._client = connect(url, timeout_seconds)
        self._cluster = isinstance(self._client, RedisCluster)
        self._script = self._client.register_script(_SCRIPT)
        self._prefix = prefix + "rl:"
        self._breaker = Breaker(retry_after_seconds)
        self._fallback = LocalBuckets()
        self._leases = _Leases()
        self._waiting: list[_Check] = []
        self._calls: set[asyncio.Task[None]] = set()
        self.script_calls = 0

    @property
    def limiting_locally(self) -> bool:
        return self._breaker.is_open

    async def take(self, client: str, charges: Sequence[Charge]) -> float:
        """0.0 when every charge is taken, else the seconds until all could be (none taken)."""
        if not charges:
            return 0.0
        now = time.monotonic()
        if self.limiting_locally:
            return self._fallback.take_now(client, charges, now)
        if self._leases.spend(client, charges, now):
            return 0.0
        loop = asyncio.get_running_loop()
        future: asyncio.Future[float] = loop.create_future()
        if not self._waiting:
            loop.call_soon(self._send_waiting)
        self._waiting.append((client, charges, future))
        return await future

    def _send_waiting(self) -> None:
        waiting, self._waiting = self._waiting, []
        for group in self._by_slot(waiting):
            for start in range(0, len(group), MAX_CHECKS_PER_CALL):
                call = asyncio.create_task(self._call(group[start : start + MAX_CHECKS_PER_CALL]))
                self._calls.add(call)
                call.add_done_callback(self._calls.discard)

    def _by_slot(self, checks: list[_Check]) -> list[list[_Check]]:
        """One script call's keys must share a cluster slot; a client's keys share one (their
        hash tag is the client), so on a cluster the checks go in one call per slot."""
        if not self._cluster:
            return [checks]
        groups: dict[int, list[_Check]] = {}
        for check in checks:
            groups.setdefault(slot_of(check[0]), []).append(check)
        return list(groups.values())

    async def _call(self, checks: list[_Check]) -> None:
        keys: list[str] = []
        args: list[int] = [len(checks)]
        for client, charges, _ in checks:
            args.append(len(charges))
            for charge in charges:
                # One hash tag per client: a client's buckets share a Redis Cluster slot.
                keys.append(f"{self._prefix}{{{client}}}:{charge.budget}")
                args += (charge.capacity, charge.take, int(charge.capacity * LEASE_MOST))
        try:
            answers = await self._script(keys=keys, args=args)
            self.script_calls += 1
        except (RedisError, OSError) as error:
            self._failed(error)
            for client, charges, future in checks:
                if not future.done():
                    future.set_result(self._fallback.take_now(client, charges, time.monotonic()))
            return
        if self._breaker.succeeded():
            LIMITING_LOCALLY.set(0)
        now = time.monotonic()
        at = 0
        for client, charges, future in checks:
            wait = float(answers[at])
            for offset, charge in enumerate(charges, start=at + 1):
                if answers[offset] != b"0":
                    self._leases.add(client, charge.budget, float(answers[offset]), now)
            at += 1 + len(charges)
            if not future.done():
                future.set_result(wait)

    def _failed(self, error: Exception) -> None:
        if self._breaker.failed():
            log.warning("redis unreachable, limiting clients in this process: %s", error)
        LIMITING_LOCALLY.set(1)

    async def ping(self) -> None:
        """Raises LimitingLocally while the shared buckets cannot be reached."""
        try:
            await self._client.ping()
        except (RedisError, OSError) as error:
            raise LimitingLocally(str(error)) from error

    async def close(self) -> None:
        for call in list(self._calls):
            await call
        await self._client.aclose()


class _Leases:
    """Tokens this process took from the shared buckets ahead of need, per client and budget,
    with when they were taken."""

    def __init__(self, max_clients: int = MAX_CLIENTS) -> None:
        self._max_clients = max_clients
        self._clients: dict[str, dict[str, tuple[float, float]]] = {}

    def spend(self, client: str, charges: Sequence[Charge], now: float) -> bool:
        """True when the leases held cover every charge (now spent); False spends nothing."""
        held = self._clients.get(client)
        if held is None:
            return False
        for charge in charges:
            lease = held.get(charge.budget)
            if lease is None or lease[0] < charge.take or now - lease[1] > LEASE_SECONDS:
                return False
        for charge in charges:
            tokens, since = held[charge.budget]
            held[charge.budget] = (tokens - charge.take, since)
        return True

    def add(self, client: str, budget: str, tokens: float, now: float) -> None:
        held = self._clients.get(client)
        if held is None:
            held = self._clients[client] = {}
            if len(self._clients) > self._max_clients:
                del self._clients[next(iter(self._clients))]
        lease = held.get(budget)
        kept = lease[0] if lease is not None and now - lease[1] <= LEASE_SECONDS else 0.0
        held[budget] = (kept + tokens, now)
