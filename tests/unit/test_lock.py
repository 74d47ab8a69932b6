"""The state-directory lock: a clear message when it cannot be taken, harmless release."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from syncd.lock import LOCK_NAME, LockError, StateLock


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
        with pytest.raises(LockError, match=f"another syncd \\(pid {os.getpid()}\\)"):
            StateLock(tmp_path / "state").acquire()
        assert held.path == tmp_path / "state" / LOCK_NAME
    # Released on leaving the block: the next one gets it at once.
    with StateLock(tmp_path / "state"):
        pass


def test_a_lock_file_without_a_pid_still_names_another_syncd(tmp_path: Path) -> None:
    with StateLock(tmp_path):
        (tmp_path / LOCK_NAME).write_text("")  # e.g. a holder that died mid-write of its pid
        with pytest.raises(LockError, match=r"^another syncd is already working"):
            StateLock(tmp_path).acquire()


def test_release_without_acquire_and_twice_is_harmless(tmp_path: Path) -> None:
    lock = StateLock(tmp_path)
    lock.release()
    lock.acquire()
    lock.release()
    lock.release()
    with StateLock(tmp_path):
        pass
