"""Whose figures /metrics shows: this process's, or every worker's of `serve --workers N`.

Several uvicorn workers each count their own requests, and a scrape reaches one of them. In
prometheus_client's multiprocess mode each worker writes its figures to files in one directory
(PROMETHEUS_MULTIPROC_DIR, read by prometheus_client when it is imported, so set before the
workers start) and a scrape reads them all: counters and histograms summed over the workers,
gauges as each declares (`multiprocess_mode`). The figures are then the pod's, not one
process's.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest, multiprocess

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def shared_between_workers() -> Iterator[Path]:
    """For the life of a `serve --workers N`: the directory its workers write their figures to.
    The operator's PROMETHEUS_MULTIPROC_DIR if set (emptied first: files of an earlier run
    would add its counts to this one's), else a new temporary one, removed afterwards."""
    given = os.environ.get(MULTIPROCESS_DIR)
    if given:
        directory = Path(given)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
        yield directory
        return
    directory = Path(tempfile.mkdtemp(prefix="coursegate-metrics-"))
    os.environ[MULTIPROCESS_DIR] = str(directory)
    try:
        yield directory
    finally:
        del os.environ[MULTIPROCESS_DIR]
        shutil.rmtree(directory, ignore_errors=True)


def exposition() -> bytes:
    """The text a scrape gets."""
    if MULTIPROCESS_DIR not in os.environ:
        return generate_latest()
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


def process_stopped() -> None:
    """A worker that stops takes its `live*` gauges (pool use, local limiting) with it."""
    if MULTIPROCESS_DIR in os.environ:
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
