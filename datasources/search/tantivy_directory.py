"""Where tantivy indexes live on disk, and the pointer that names the current one.

Layout: <root>/CURRENT holds the name of the live index directory <root>/index-<time>-<random>.
A rebuild writes a new directory, then replaces CURRENT in one rename, so a reader sees either
the old index or the new one, never a mix.
"""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

_POINTER = "CURRENT"
_INDEX_PREFIX = "index-"


class IndexDirectory:
    def __init__(self, root: Path) -> None:
        self.root = root

    def current(self) -> Path | None:
        try:
            name = (self.root / _POINTER).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        path = self.root / name
        return path if name.startswith(_INDEX_PREFIX) and path.is_dir() else None

    def new_index_path(self) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        return self.root / f"{_INDEX_PREFIX}{stamp}-{uuid.uuid4().hex[:8]}"

    def point_to(self, index_path: Path) -> None:
        """Make index_path current, durably and atomically."""
        self.root.mkdir(parents=True, exist_ok=True)
        staged = self.root / f"{_POINTER}.{uuid.uuid4().hex}.tmp"
        with staged.open("w", encoding="utf-8") as pointer:
            pointer.write(index_path.name)
            pointer.flush()
            os.fsync(pointer.fileno())
        os.replace(staged, self.root / _POINTER)
        _fsync_directory(self.root)

    def remove_all_but_current(self) -> None:
        """Delete index directories left by earlier rebuilds, finished or abandoned."""
        current = self.current()
        for path in self.root.glob(f"{_INDEX_PREFIX}*"):
            if path != current and path.is_dir():
                shutil.rmtree(path, ignore_errors=True)


def _fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
