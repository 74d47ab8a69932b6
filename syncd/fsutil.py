"""Small file-system helpers shared by the backends that keep files on disk."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: bytes, mode: int = 0o600, *, keep_mode: bool = True) -> None:
    """Replace `path` with `data` so a reader sees the old or the new bytes, never a mix.

    An existing file keeps its permission bits unless `keep_mode` is false; a new one
    (or any file, without `keep_mode`) gets `mode`. Secrets pass `keep_mode=False`: a
    token must not inherit the looser mode of the file it replaces. The data and the
    rename are fsynced, so a crash leaves one of the two versions on disk.
    """
    if keep_mode:
        with contextlib.suppress(FileNotFoundError):
            mode = stat.S_IMODE(path.stat().st_mode)
    # Same folder as the target, so os.replace is a rename on one file system.
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    # The rename is only durable once the directory entry itself is on disk.
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
