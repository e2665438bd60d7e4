"""A MariaDB server of a test's own (Debian's `mariadbd`, the machine's MariaDB binaries): its own
data directory, socket and loopback port, so a test can stop it, start it again, or make it a
replica, without touching the machine's server at 127.0.0.1:3306."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pymysql

from tests.servers import free_port, run_statements

MARIADBD = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
INSTALL_DB = shutil.which("mariadb-install-db") or "/usr/bin/mariadb-install-db"
START_SECONDS = 30.0


def binlog_options(server_id: int) -> tuple[str, ...]:
    """What a primary (or a replica) of a replication pair is started with."""
    return (f"--server-id={server_id}", "--log-bin=binlog", "--binlog-format=ROW")


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
        run_statements(statements, self.port)

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

    def fetch_value(self, statement: str) -> object:
        connection = self.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute(statement)
                row = cursor.fetchone()
                return None if row is None else row[0]
        finally:
            connection.close()

    def replicate_from(self, primary: MariaDBServer) -> None:
        """Makes this server a replica of `primary` (started with `binlog_options`) from its
        first binlog event, by GTID."""
        self.execute(
            f"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={primary.port},"
            " MASTER_USER='root', MASTER_PASSWORD='', MASTER_USE_GTID=slave_pos",
            "START SLAVE",
        )

    def caught_up_with(self, primary: MariaDBServer, timeout_seconds: float = 30.0) -> None:
        """Returns once this replica has applied everything `primary` had written when called."""
        position = primary.fetch_value("SELECT @@gtid_binlog_pos")
        waited = self.fetch_value(f"SELECT MASTER_GTID_WAIT('{position}', {timeout_seconds})")
        if waited != 0:
            raise TimeoutError(f"the replica did not reach {position} in {timeout_seconds} s")

    def stop(self) -> None:
        """A clean shutdown: connections are refused from its return."""
        if self._process is None:
            return
        self._process.terminate()
        self._process.wait(timeout=60)
        self._process = None
