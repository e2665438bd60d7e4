"""A Redis connection from COURSEGATE_REDIS_URL: one server (`redis://host:port/db`) or a Redis
Cluster (`redis+cluster://[:password@]host:port[,host:port...]`, any of its nodes; the client
learns the rest and the slot map from them).

A cluster keeps each key on the master that owns its hash slot, so a command with several keys
must keep them in one slot: callers group by `key_slot` (or use a hash tag) where they batch.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

import redis.asyncio as redis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.crc import key_slot

CLUSTER_SCHEME = "redis+cluster"

RedisClient = redis.Redis | RedisCluster


def connect(url: str, timeout_seconds: float, **options: Any) -> RedisClient:
    parts = urlsplit(url)
    timeouts: dict[str, Any] = {
        "socket_timeout": timeout_seconds,
        "socket_connect_timeout": timeout_seconds,
        **options,
    }
    if parts.scheme != CLUSTER_SCHEME:
        return redis.Redis.from_url(url, **timeouts)
    credentials, _, hosts = parts.netloc.rpartition("@")
    nodes = [_node(address) for address in hosts.split(",") if address]
    if not nodes:
        raise ValueError("a redis+cluster:// URL names at least one host:port")
    username, _, password = credentials.partition(":")
    return RedisCluster(
        startup_nodes=nodes,
        username=unquote(username) or None,
        password=unquote(password) or None,
        # A master that is down costs its own keys only; the others stay readable.
        require_full_coverage=False,
        # The cache fails fast (its breaker then skips Redis for a moment) rather than waiting
        # out redis-py's retries with backoff, which took about 4 s with a master down.
        retry=Retry(NoBackoff(), 0),
        **timeouts,
    )


def _node(address: str) -> ClusterNode:
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"not a host:port in a redis+cluster:// URL: {address!r}")
    return ClusterNode(host, int(port))


def slot_of(hash_tag: str) -> int:
    """The cluster slot of every key whose hash tag (the part in braces) is `hash_tag`."""
    return int(key_slot(hash_tag.encode()))
