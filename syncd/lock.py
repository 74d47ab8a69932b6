"""One writer per state directory: an advisory lock on `syncd.lock` beside the database.

The service holds it for as long as it runs and a one-shot `syncd reconcile`
for its one pass, so two processes never plan against the same calendar at the
same time. flock(2) locks belong to the open file, so the kernel releases the
lock when the process dies however it dies: there is no stale lock to clean up,
and the file is never deleted (deleting it would let two holders lock two
different files).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from types import TracebackType

LOCK_NAME = "syncd.lock"


class LockError(Exception):
    """Another process holds the state directory (or the lock file cannot be used)."""


class StateLock:
    """An exclusive, non-blocking lock on a state directory; use as a context manager."""

    def __init__(self, directory: Path) -> None:
        """A lock for the state in `directory` (not taken until `acquire`)."""
        self.directory = directory
        self.path = directory / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock now or raise LockError naming the holder; never waits."""
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise LockError(f"cannot use the lock file {self.path}: {exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            who = f"another syncd (pid {holder})" if holder else "another syncd"
            raise LockError(
                f"{who} is already working on the state in {self.directory}; stop it first"
                " (for the service: systemctl stop syncd) or wait until it has finished"
            ) from None
        except OSError as exc:
            os.close(fd)
            raise LockError(f"cannot lock {self.path}: {exc}") from exc
        # The pid is only a hint for the message above; the flock is the lock.
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Let go of the lock (closing the file releases it); harmless when not held."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> StateLock:
        """Acquire on entering the block."""
        self.acquire()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        """Release on leaving the block, however it is left."""
        self.release()


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", errors="replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
