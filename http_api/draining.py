"""Leaving the load balancer's rotation before stopping.

A balancer keeps sending requests to a process until its readiness check fails a few times, so
a process that stops accepting the moment it gets SIGTERM refuses the requests of those seconds.
With a drain period, SIGTERM makes `/readyz` answer 503 `draining` at once while the process goes
on serving for `drain_seconds`; then uvicorn's own graceful shutdown runs: it stops accepting,
lets the requests in flight finish (up to the shutdown grace) and runs the lifespan's shutdown.
A second SIGTERM stops at once. SIGINT (Ctrl-C) is uvicorn's as before.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from types import FrameType


class Drain:
    def __init__(self) -> None:
        self.draining = False

    def on_sigterm(self, seconds: float) -> Callable[[], None]:
        """Puts the drain in front of the SIGTERM handler installed now (uvicorn's, within its
        serve); returns what puts that handler back. Main thread, in the running loop."""
        stop = signal.getsignal(signal.SIGTERM)
        if seconds <= 0 or not callable(stop):
            return lambda: None
        loop = asyncio.get_running_loop()

        def begin(sig: int, frame: FrameType | None) -> None:
            if self.draining:
                stop(sig, frame)
                return
            self.draining = True
            # From a signal handler only the thread-safe call may touch the loop.
            loop.call_soon_threadsafe(loop.call_later, seconds, stop, sig, frame)

        def restore() -> None:
            signal.signal(signal.SIGTERM, stop)

        signal.signal(signal.SIGTERM, begin)
        return restore
