"""Starts an ASGI app under uvicorn pinned to core 0 and stops it again."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

SERVER_CORE = "0"
HOST = "127.0.0.1"
START_TIMEOUT_SECONDS = 60.0
UVICORN_FLAGS = ("--loop", "uvloop", "--http", "httptools", "--no-access-log")


def uvicorn_command(app: str, port: int) -> list[str]:
    uvicorn = str(Path(sys.executable).with_name("uvicorn"))
    command = ["taskset", "-c", SERVER_CORE, uvicorn, app, "--factory"]
    return [*command, "--host", HOST, "--port", str(port), *UVICORN_FLAGS, "--log-level", "warning"]


def wait_until_up(process: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not answer {url} within {START_TIMEOUT_SECONDS}s")


@contextmanager
def running_server(app: str, port: int, env: Mapping[str, str], probe_path: str) -> Iterator[str]:
    """Yields the base URL; the process is terminated (then killed) on exit."""
    process = subprocess.Popen(uvicorn_command(app, port), env={**os.environ, **env})
    base = f"http://{HOST}:{port}"
    try:
        wait_until_up(process, base + probe_path)
        yield base
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminates, then kills what does not exit within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
