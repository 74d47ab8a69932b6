"""Small file-system helpers shared by the backends that keep files on disk.

No write of syncd's ever goes through a symbolic link it did not make: a link
planted at a notes, lock, state, report, export or token path could point at any
file the service may write (as root, /etc/passwd). Files are opened with
O_NOFOLLOW, and a file replaced by rename is looked at with lstat first.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path


class SymlinkRefused(OSError):
    """A path syncd would write (or read before writing) is a symbolic link."""

    def __init__(self, path: Path) -> None:
        """Refuse `path`, which is a symbolic link."""
        super().__init__(errno.ELOOP, "is a symbolic link, which syncd does not write "
                                      "through; replace it with the file itself", str(path))

    def __str__(self) -> str:
        """`PATH is a symbolic link, …` on one line."""
        return f"{self.filename} {self.strerror}"


def refuse_symlink(path: Path) -> None:
    """Raise SymlinkRefused when `path` is a symbolic link; a missing path is fine."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        raise SymlinkRefused(path)


def open_nofollow(path: Path, flags: int, mode: int = 0o600) -> int:
    """os.open with O_NOFOLLOW and O_CLOEXEC; a symbolic link raises SymlinkRefused."""
    try:
        return os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SymlinkRefused(path) from None
        raise


def atomic_write(path: Path, data: bytes, mode: int = 0o600, *, keep_mode: bool = True) -> None:
    """Replace `path` with `data` so a reader sees the old or the new bytes, never a mix.

    An existing file keeps its permission bits unless `keep_mode` is false; a new one
    (or any file, without `keep_mode`) gets `mode`. Secrets pass `keep_mode=False`: a
    token must not inherit the looser mode of the file it replaces. The data and the
    rename are fsynced, so a crash leaves one of the two versions on disk. A symbolic
    link at `path` raises SymlinkRefused (renaming over it would silently drop the link
    the user made; writing through it would change a file syncd does not own).
    """
    refuse_symlink(path)
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
