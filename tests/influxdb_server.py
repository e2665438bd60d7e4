"""A real InfluxDB 1.x (Debian's `influxdb` package) for the analytics tests: its own process on
free loopback ports, its data in a temporary directory, usage reporting off."""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

from tests.servers import free_port

INFLUXD = shutil.which("influxd") or "/usr/bin/influxd"
START_SECONDS = 20.0


class InfluxServer:
    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self._directory = directory
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _config(self) -> Path:
        config = self._directory / "influxdb.conf"
        config.write_text(
            f"""reporting-disabled = true
bind-address = "127.0.0.1:{free_port()}"
[meta]
  dir = "{self._directory / "meta"}"
[data]
  dir = "{self._directory / "data"}"
  wal-dir = "{self._directory / "wal"}"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:{self.port}"
  log-enabled = false
[continuous_queries]
  enabled = false
"""
        )
        return config

    def start(self) -> None:
        log = (self._directory / "influxd.log").open("ab")
        self._process = subprocess.Popen(
            [INFLUXD, "-config", str(self._config())], stdout=log, stderr=log
        )
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:  # until /ping answers
            if self._process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{self.url}/ping", timeout=0.5) as response:
                    if response.status == 204:
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"influxd did not start; see {self._directory / 'influxd.log'}")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=20)
            self._process = None


def influxd_installed() -> bool:
    return Path(INFLUXD).exists()
