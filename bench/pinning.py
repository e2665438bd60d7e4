"""Pins the machine's database servers to one core for a run and puts them back afterwards.

The cold benches give the whole stack one core: the server under test and the databases it
reads (MariaDB and Redis for Coursegate, PostgreSQL for the peer). Affinity is set on every
thread of every process of those servers; PostgreSQL's backends for new connections fork from
the pinned postmaster and inherit it.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

DATABASE_PROCESSES = ("mariadbd", "redis-server", "postgres")


def _pids(names: Sequence[str]) -> list[int]:
    pids: list[int] = []
    for name in names:
        found = subprocess.run(["pgrep", "-x", name], capture_output=True, text=True, check=False)
        pids += [int(pid) for pid in found.stdout.split()]
    return pids


def _threads(pid: int) -> list[int]:
    with suppress(FileNotFoundError):
        return [int(task.name) for task in Path(f"/proc/{pid}/task").iterdir()]
    return []


@contextmanager
def pinned(core: int, names: Sequence[str] = DATABASE_PROCESSES) -> Iterator[list[int]]:
    """Yields the pinned processes' ids; each thread gets its own affinity back on exit."""
    before: dict[int, set[int]] = {}
    pids = _pids(names)
    try:
        for pid in pids:
            for thread in _threads(pid):
                with suppress(ProcessLookupError):
                    before[thread] = os.sched_getaffinity(thread)
                    os.sched_setaffinity(thread, {core})
        yield pids
    finally:
        for thread, cores in before.items():
            with suppress(ProcessLookupError):
                os.sched_setaffinity(thread, cores)
        # Threads and backends started during the run inherited the pin: give them every core.
        every_core = set(range(os.cpu_count() or 1))
        for pid in _pids(names):
            for thread in _threads(pid):
                if thread not in before:
                    with suppress(ProcessLookupError):
                        os.sched_setaffinity(thread, every_core)
