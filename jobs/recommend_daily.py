"""The recommendation job once a day, for the embedded default (production runs
`coursegate recommend` from its scheduler): a model at start when there is none or the
current one is a day old, then a new one each day after it was built."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from datasources.backends import Backends
from jobs.recommend import Stopped, build_model

log = logging.getLogger("coursegate.recommend")

EVERY_SECONDS = 86_400.0
RETRY_SECONDS = 600.0


async def recommend_daily(backends: Backends, stop: asyncio.Event) -> None:
    while not stop.is_set():
        wait = RETRY_SECONDS
        try:
            model = await backends.recommendations.store.current()
            age = None if model is None else (datetime.now(UTC) - model.built_at).total_seconds()
            if age is None or age >= EVERY_SECONDS:
                report = await build_model(backends, stop=stop)
                log.info("recommendation model %s built: %s", report.version, report)
                age = 0.0
            wait = EVERY_SECONDS - age
        except Stopped:
            return
        except Exception:
            log.exception("building the recommendation model failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), wait)
