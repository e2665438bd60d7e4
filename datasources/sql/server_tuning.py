"""InnoDB settings a bulk load changes on a MariaDB server, and puts back afterwards.

All three are dynamic in MariaDB 10.11: the buffer pool (resized in the background), the redo
log (a larger one means fewer checkpoints while tens of millions of rows go in) and the log
flush at commit (once a second is enough for a load that is started again if it fails).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

import aiomysql

BULK_LOG_FILE_BYTES: Final = 2 << 30
# Once a second rather than at every commit: a crash loses at most the last second.
BULK_FLUSH_LOG_AT_TRX_COMMIT: Final = 2


@dataclass(frozen=True)
class InnodbSettings:
    buffer_pool_bytes: int
    log_file_bytes: int
    flush_log_at_trx_commit: int

    def for_bulk_load(self, buffer_pool_bytes: int, log_file_bytes: int) -> InnodbSettings:
        """Never smaller than now: a server sized larger already is left as it is."""
        return replace(
            self,
            buffer_pool_bytes=max(self.buffer_pool_bytes, buffer_pool_bytes),
            log_file_bytes=max(self.log_file_bytes, log_file_bytes),
            flush_log_at_trx_commit=BULK_FLUSH_LOG_AT_TRX_COMMIT,
        )

    def describe(self) -> str:
        return (
            f"buffer pool {self.buffer_pool_bytes / 2**30:.2f} GiB,"
            f" redo log {self.log_file_bytes / 2**30:.2f} GiB,"
            f" flush at commit {self.flush_log_at_trx_commit}"
        )


async def read_settings(connection: aiomysql.Connection) -> InnodbSettings:
    async with connection.cursor() as cursor:
        await cursor.execute(
            "SELECT @@GLOBAL.innodb_buffer_pool_size, @@GLOBAL.innodb_log_file_size,"
            " @@GLOBAL.innodb_flush_log_at_trx_commit"
        )
        pool, log, flush = await cursor.fetchone()
    return InnodbSettings(int(pool), int(log), int(flush))


async def apply_settings(connection: aiomysql.Connection, settings: InnodbSettings) -> None:
    """Only what differs is set (a resize is work for the server even when it is a no-op)."""
    current = await read_settings(connection)
    changes = [
        (name, value)
        for name, value, now in (
            ("innodb_buffer_pool_size", settings.buffer_pool_bytes, current.buffer_pool_bytes),
            ("innodb_log_file_size", settings.log_file_bytes, current.log_file_bytes),
            (
                "innodb_flush_log_at_trx_commit",
                settings.flush_log_at_trx_commit,
                current.flush_log_at_trx_commit,
            ),
        )
        if value != now
    ]
    async with connection.cursor() as cursor:
        for name, value in changes:
            await cursor.execute(f"SET GLOBAL {name} = {int(value)}")
