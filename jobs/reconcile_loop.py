"""The reconciler on a timer, for the embedded default (production runs `coursegate reconcile`
from its scheduler)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from datasources.backends import Backends
from jobs.reconcile import reconcile

log = logging.getLogger("coursegate.reconcile")

RECONCILE_EVERY_SECONDS = 300.0


async def reconcile_periodically(
    backends: Backends, stop: asyncio.Event, every_seconds: float = RECONCILE_EVERY_SECONDS
) -> None:
    """Reconciles open orders and refunds, then waits `every_seconds`, until `stop` is set; a
    failed pass is logged and the next one runs on time."""
    while not stop.is_set():
        try:
            report = await reconcile(backends, datetime.now(UTC))
            if report.granted or report.revoked_or_refunded or report.refunds_settled:
                log.info("reconciled: %s", report)
        except Exception:
            log.exception("reconciling orders failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_seconds)
