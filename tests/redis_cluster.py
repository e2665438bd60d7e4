"""A real Redis Cluster of three masters (Debian's redis-server, the machine's binaries), each its
own process on a free loopback port with its data in a temporary directory, joined by
`redis-cli --cluster create`. A test may kill a master to see what the gateway does without it."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import redis

from tests.servers import bindable, free_port

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"
START_SECONDS = 30.0
MASTERS = 3
BUS_OFFSET = 10000


def redis_cluster_installed() -> bool:
    return Path(REDIS_SERVER).exists() and Path(REDIS_CLI).exists()


def _ports_with_a_free_bus(count: int) -> list[int]:
    """Each node also listens on its port + 10000 (the cluster bus), which must exist and be
    free too."""
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        bus = port + BUS_OFFSET
        if bus <= 65535 and bindable(bus) and port not in ports and bus not in ports:
            ports.append(port)
    return ports


class RedisClusterServers:
    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self.ports = _ports_with_a_free_bus(MASTERS)
        self._processes: dict[int, subprocess.Popen[bytes]] = {}

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{port}" for port in self.ports)

    def start(self) -> None:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        for port in self.ports:
            node = self._directory / str(port)
            node.mkdir(parents=True, exist_ok=True)
            self._processes[port] = subprocess.Popen(
                [
                    REDIS_SERVER,
                    *("--port", str(port), "--bind", "127.0.0.1", "--dir", str(node)),
                    *("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"),
                    *("--cluster-node-timeout", "2000", "--save", "", "--appendonly", "no"),
                ],
                stdout=(node / "redis.log").open("ab"),
                stderr=subprocess.STDOUT,
            )
        for port in self.ports:
            self._wait(lambda port=port: redis.Redis(port=port).ping())
        subprocess.run(
            [
                REDIS_CLI,
                "--cluster",
                "create",
                *(f"127.0.0.1:{port}" for port in self.ports),
                *("--cluster-replicas", "0", "--cluster-yes"),
            ],
            check=True,
            capture_output=True,
        )
        for port in self.ports:
            self._wait(lambda port=port: self._cluster_ok(port))

    @staticmethod
    def _cluster_ok(port: int) -> bool:
        info = redis.Redis(port=port).cluster("INFO")
        return bool(info.get("cluster_state") == "ok")

    @staticmethod
    def _wait(ready: object) -> None:
        assert callable(ready)
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                if ready():
                    return
            except redis.RedisError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the Redis Cluster was not ready within {START_SECONDS} s")
            time.sleep(0.05)

    def kill(self, port: int) -> None:
        """The master on `port` dies: its slots have no owner until it is back."""
        process = self._processes.pop(port)
        process.kill()
        process.wait(timeout=10)

    def stop(self) -> None:
        for process in self._processes.values():
            process.terminate()
        for process in self._processes.values():
            process.wait(timeout=10)
        self._processes.clear()
