"""A gateway run as its own `coursegate serve` process, for what only a real process shows:
its signals, its workers."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

PROJECT_ROOT = Path(__file__).resolve().parent.parent
START_SECONDS = 90.0


def coursegate_command() -> str:
    found = shutil.which("coursegate", path=str(Path(sys.executable).parent))
    assert found is not None, "the coursegate command is installed with the project"
    return found


def environment(settings: Mapping[str, str]) -> dict[str, str]:
    """This environment without the gateway's own variables, then `settings`."""
    inherited = {
        k: v for k, v in os.environ.items() if not k.startswith(("COURSEGATE_", "RAZORPAY_"))
    }
    return {**inherited, **settings}


async def serve(
    port: int, settings: Mapping[str, str], log: Path, *options: str
) -> asyncio.subprocess.Process:
    """`coursegate migrate`, then `coursegate serve` on `port` once it answers /healthz (as
    `make run` does); the output of both goes to `log`."""
    with log.open("wb") as output:
        migrate = await asyncio.create_subprocess_exec(
            coursegate_command(),
            "migrate",
            cwd=PROJECT_ROOT,
            env=environment(settings),
            stdout=output,
            stderr=output,
        )
        assert await migrate.wait() == 0, f"coursegate migrate failed: see {log}"
        process = await asyncio.create_subprocess_exec(
            coursegate_command(),
            *("serve", "--port", str(port), *options),
            cwd=PROJECT_ROOT,
            env=environment(settings),
            stdout=output,
            stderr=output,
        )
    deadline = time.monotonic() + START_SECONDS
    async with httpx.AsyncClient(timeout=10.0) as http:
        while True:
            try:
                if (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    return process
            except httpx.TransportError:
                if process.returncode is not None or time.monotonic() > deadline:
                    process.kill()
                    raise
            await asyncio.sleep(0.2)  # polling a port until it answers; nothing to wait on
