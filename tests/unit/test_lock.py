"""The state-directory lock: a clear message when it cannot be taken, harmless release."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from syncd.lock import LOCK_NAME, LockBusy, LockError, StateLock, holder_of


def test_a_state_dir_that_cannot_be_created_is_a_lock_error_naming_the_file(
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the state folder should be")
    lock = StateLock(blocker / "state")
    with pytest.raises(LockError, match=f"cannot use the lock file {blocker / 'state'}"):
        lock.acquire()
    assert blocker.read_text() == "a file where the state folder should be"


def test_the_holder_pid_is_written_and_a_second_holder_is_told_who_it_is(
    tmp_path: Path,
) -> None:
    with StateLock(tmp_path / "state") as held:
        assert (tmp_path / "state" / LOCK_NAME).read_text() == f"{os.getpid()}\n"
        assert (tmp_path / "state").stat().st_mode & 0o777 == 0o700
        with pytest.raises(LockBusy, match=f"another process \\(pid {os.getpid()}: "):
            StateLock(tmp_path / "state").acquire()
        assert held.path == tmp_path / "state" / LOCK_NAME
    # Released on leaving the block: the next one gets it at once.
    with StateLock(tmp_path / "state"):
        pass


def test_the_holder_named_is_the_one_the_kernel_lists_not_the_pid_in_the_file(
    tmp_path: Path,
) -> None:
    with StateLock(tmp_path):
        (tmp_path / LOCK_NAME).write_text("1\n")  # whoever wrote last, not the holder
        with pytest.raises(LockBusy, match=f"^another process \\(pid {os.getpid()}: "):
            StateLock(tmp_path).acquire()


def test_a_holder_that_cannot_be_told_is_called_unknown(tmp_path: Path) -> None:
    with StateLock(tmp_path) as held:
        fd = os.open(held.path, os.O_RDONLY)
        try:
            assert holder_of(fd, tmp_path / "no-proc-locks") is None
            assert holder_of(fd) == os.getpid()
        finally:
            os.close(fd)


def test_a_lock_file_that_is_a_symlink_is_refused_and_its_target_untouched(
    tmp_path: Path,
) -> None:
    target = tmp_path / "precious"
    target.write_text("keep me\n")
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / LOCK_NAME).symlink_to(target)
    with pytest.raises(LockError, match="is a symbolic link, which syncd does not write"):
        StateLock(tmp_path / "state").acquire()
    assert target.read_text() == "keep me\n"


def test_release_without_acquire_and_twice_is_harmless(tmp_path: Path) -> None:
    lock = StateLock(tmp_path)
    lock.release()
    lock.acquire()
    lock.release()
    lock.release()
    with StateLock(tmp_path):
        pass
