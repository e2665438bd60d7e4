"""Keeps a process's bucket map in step with the catalog's, and tells the catalog which version
this process holds: a bucket move waits for every live reader to hold its new one."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from datetime import UTC, datetime

from datasources.sql.bucket_map_store import BucketMapStore
from datasources.sql.shard_router import ShardRouter

POLL_SECONDS = 0.25

logger = logging.getLogger(__name__)


def reader_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


async def watch_bucket_map(router: ShardRouter, store: BucketMapStore, name: str) -> None:
    """Runs until cancelled (`Backends.close` then forgets the reader). Each round reads the
    newest version, reports the one held, and only then renews the lease that shard reads need
    (`ShardRouter.hold_lease`)."""
    router.hold_lease()
    failing = False
    while True:
        asked_at = time.monotonic()
        try:
            await router.refresh()
            await store.report_reader(name, router.version, datetime.now(UTC))
        except Exception as error:  # the catalog down: retried; the lease decides the rest
            if not failing:
                logger.warning("bucket map not confirmed: %s", error)
            failing = True
        else:
            router.confirmed(asked_at)
            if failing:
                logger.info("bucket map confirmed again (version %d)", router.version)
            failing = False
        await asyncio.sleep(POLL_SECONDS)
