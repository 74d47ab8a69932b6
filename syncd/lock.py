"""One writer per state directory: an advisory lock on `syncd.lock` beside the database.

The service holds it for as long as it runs and a one-shot `syncd reconcile`
for its one pass, so two processes never plan against the same calendar at the
same time. flock(2) locks belong to the open file, so the kernel releases the
lock when the process dies however it dies: there is no stale lock to clean up,
and the file is never deleted (deleting it would let two holders lock two
different files). The pid written into the file is a hint only; the holder named
in a "busy" message is the one the kernel lists in /proc/locks.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from types import TracebackType

from syncd.fsutil import SymlinkRefused, open_nofollow

LOCK_NAME = "syncd.lock"
_PROC_LOCKS = Path("/proc/locks")


class LockError(Exception):
    """The lock file cannot be used (a folder that cannot be made, a link, no permission)."""


class LockBusy(LockError):
    """Another process holds the state directory right now."""


class StateLock:
    """An exclusive, non-blocking lock on a state directory; use as a context manager."""

    def __init__(self, directory: Path) -> None:
        """A lock for the state in `directory` (not taken until `acquire`)."""
        self.directory = directory
        self.path = directory / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock now or raise LockBusy naming the holder; never waits.

        Raises LockError when the lock file cannot be used at all (a symbolic link,
        a state directory that cannot be made or written).
        """
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = open_nofollow(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except SymlinkRefused as exc:
            raise LockError(f"lock file {exc}") from None
        except OSError as exc:
            raise LockError(f"cannot use the lock file {self.path}: "
                            f"{exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            who = _describe(holder_of(fd))
            os.close(fd)
            raise LockBusy(
                f"{who} is already working on the state in {self.directory}; stop it first"
                " (for the service: systemctl stop syncd) or wait until it has finished"
            ) from None
        except OSError as exc:
            os.close(fd)
            raise LockError(f"cannot lock {self.path}: {exc.strerror or exc}") from None
        # The pid is only a hint for a person looking at the file; the flock is the lock.
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


def holder_of(fd: int, locks: Path = _PROC_LOCKS) -> int | None:
    """The pid holding an flock on the file open at `fd`, as the kernel lists it; None when
    it cannot be told (no /proc, another pid namespace, the lock just released)."""
    info = os.fstat(fd)
    device = f"{os.major(info.st_dev):02x}:{os.minor(info.st_dev):02x}:{info.st_ino}"
    try:
        lines = locks.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        # "1: FLOCK  ADVISORY  WRITE 3023 fe:00:2154546 0 EOF"; "->" marks a waiter.
        if "->" in fields or "FLOCK" not in fields or device not in fields:
            continue
        pid = fields[fields.index(device) - 1]
        if pid.isdigit() and int(pid) > 0:
            return int(pid)
    return None


def _describe(pid: int | None) -> str:
    if pid is None:
        return "another process (holder unknown)"
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return f"another process (pid {pid})"
    parts = [part.decode(errors="replace") for part in raw.split(b"\0") if part]
    command = " ".join(parts)
    # syncd is the program, or the script an interpreter runs (not any word of the line).
    programs = {Path(part).name for part in parts[:2]}
    name = "another syncd" if "syncd" in programs else "another process"
    return f"{name} (pid {pid}: {command[:80]})" if command else f"{name} (pid {pid})"
