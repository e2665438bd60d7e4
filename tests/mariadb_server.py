"""A MariaDB server of a test's own (Debian's `mariadbd`, the machine's MariaDB binaries): its own
data directory, socket and loopback port, so a test can stop it, start it again, or make it a
replica, without touching the machine's server at 127.0.0.1:3306."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pymysql

from tests.servers import free_port

MARIADBD = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
INSTALL_DB = shutil.which("mariadb-install-db") or "/usr/bin/mariadb-install-db"
START_SECONDS = 30.0


def mariadbd_installed() -> bool:
    return Path(MARIADBD).exists() and Path(INSTALL_DB).exists()


class MariaDBServer:
    def __init__(self, directory: Path, *extra_options: str) -> None:
        self.port = free_port()
        self._directory = directory
        self._extra_options = extra_options
        self._process: subprocess.Popen[bytes] | None = None

    def url(self, database: str) -> str:
        return f"mysql://root@127.0.0.1:{self.port}/{database}"

    def connect(self) -> pymysql.connections.Connection:
        return pymysql.connect(
            host="127.0.0.1", port=self.port, user="root", autocommit=True, connect_timeout=2
        )

    def execute(self, *statements: str) -> None:
        connection = self.connect()
        try:
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
        finally:
            connection.close()

    def start(self) -> None:
        """Starts it (creating its data directory the first time) and waits until it answers."""
        data = self._directory / "data"
        if not data.exists():
            subprocess.run(
                [
                    INSTALL_DB,
                    "--no-defaults",
                    f"--datadir={data}",
                    "--auth-root-authentication-method=normal",
                    "--skip-test-db",
                    "--user=root",
                ],
                check=True,
                capture_output=True,
            )
        log = (self._directory / "mariadbd.log").open("ab")
        self._process = subprocess.Popen(
            [
                MARIADBD,
                "--no-defaults",
                f"--datadir={data}",
                f"--port={self.port}",
                "--bind-address=127.0.0.1",
                f"--socket={self._directory / 'mariadbd.sock'}",
                f"--pid-file={self._directory / 'mariadbd.pid'}",
                "--user=root",
                "--skip-name-resolve",
                "--innodb-buffer-pool-size=64M",
                *self._extra_options,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + START_SECONDS
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"mariadbd exited; see {self._directory / 'mariadbd.log'}")
            try:
                self.connect().close()
                return
            except pymysql.err.OperationalError as error:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"mariadbd did not answer within {START_SECONDS} s"
                    ) from error
                time.sleep(0.05)

    def stop(self) -> None:
        """A clean shutdown: connections are refused from its return."""
        if self._process is None:
            return
        self._process.terminate()
        self._process.wait(timeout=60)
        self._process = None
