"""A JetStream server that stops and comes back: the relay keeps the outbox rows it could not
publish, the client reconnects, and the consumer gets every event once, from the stored stream.

Runs its own nats-server (the machine's binary) on a free port with a temporary store, so it
can be stopped without touching the machine's server."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import nats
import pytest

from datasources.backends import Backends
from datasources.events.jetstream_log import JetStreamEventLog
from datasources.sql import event_outbox
from jobs.relay import Relay
from records.events import EventKind
from records.subscriptions import NewSubscription
from tests import servers
from tests.factories import add_course

NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"
KINDS = frozenset({EventKind.SUBSCRIPTION_ENROLLED})


class NatsServer:
    def __init__(self, store: Path) -> None:
        self.port = servers.free_port()
        self._store = store
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._process = subprocess.Popen(
            [NATS_SERVER, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self._store)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # until it accepts connections
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    if sock.recv(4096).startswith(b"INFO"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nats-server did not start")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    servers.require(Path(NATS_SERVER).exists(), "the nats-server binary")
    server = NatsServer(tmp_path / "jetstream")
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def _enrol(backends: Backends, course_id: int, users: range) -> None:
    now = datetime.now(UTC)
    for user_id in users:
        enrolment = NewSubscription(user_id, course_id, now, None, "free")
        await backends.subscriptions.enroll_unless_active(enrolment, now)


async def test_a_jetstream_restart_loses_and_doubles_nothing(
    backends: Backends, nats_server: NatsServer
) -> None:
    course = await add_course(backends, price_paise=0)
    log = await JetStreamEventLog.connect(nats_server.url, request_timeout=1)
    relay = Relay(backends.shard_engines, log)
    try:
        await _enrol(backends, course.id, range(1, 21))
        assert await relay.relay_once() == 20
        first = await log.fetch("restart", KINDS, 10, wait_seconds=2)
        await log.ack("restart", first)

        nats_server.stop()
        await _enrol(backends, course.id, range(21, 31))
        with pytest.raises(Exception):  # noqa: B017 - whatever the client raises when cut off
            await relay.relay_once()
        pending = [await event_outbox.pending(shard) for shard in backends.shard_engines]
        assert sum(pending) == 10  # nothing deleted that the log did not take

        nats_server.start()  # same port, same store: the stream and consumer are still there
        relayed = 0
        for _attempt in range(20):  # the client reconnects about a second apart
            try:
                relayed = await relay.relay_once()
                break
            except Exception:  # not reconnected yet
                continue
        assert relayed == 10
        rest = []
        while batch := await log.fetch("restart", KINDS, 100, wait_seconds=2):
            rest += batch
            await log.ack("restart", batch)
        users = sorted(d.event.user_id for d in first + rest)
        assert users == list(range(1, 31))
        assert await log.lag("restart", KINDS) == 0
    finally:
        await log.close()


async def test_the_stream_keeps_events_for_the_configured_retention(
    nats_server: NatsServer,
) -> None:
    first = await JetStreamEventLog.connect(nats_server.url, retention_seconds=3600)
    await first.close()
    second = await JetStreamEventLog.connect(nats_server.url, retention_seconds=7200)
    await second.close()
    client = await nats.connect(nats_server.url)
    try:
        info = await client.jetstream().stream_info("COURSEGATE")
        assert info.config.max_age == 7200
        assert info.config.subjects == ["coursegate.>"]
    finally:
        await client.close()
