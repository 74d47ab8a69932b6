"""Every command against every broken state an operator may meet: one line, exit 1, no
traceback, nothing written (issue 12's matrix).

In-process through click's CliRunner with `catch_exceptions=False`, so a traceback fails
the test at once. Root's file-permission overrides are dropped where a mode has to count
(tests/privileges.py); the full disk is a real 1 MiB tmpfs, mounted when this is root.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from syncd.state import DB_NAME
from tests.privileges import as_ordinary_user
from tests.workspace import Run, Workspace, snapshot, syncd

LATER = "2026-12-09T09:00:00+01:00"  # two weeks on: history to record, agendas to append

# command → its arguments after the config (the export's output lands outside the demo)
COMMANDS: dict[str, tuple[str, ...]] = {
    "reconcile": ("reconcile", "--now", LATER),
    "dry-run": ("reconcile", "--dry-run", "--now", LATER),
    "status": ("status", "--now", LATER),
    "log": ("log",),
    "report": ("report", "--now", LATER),
    "export": ("export", "--now", LATER),
    "run": ("run",),
}
WRITERS = {"reconcile", "run"}


@dataclass(frozen=True)
class Case:
    """A way the state (or what it points at) is broken, and what every command must say."""

    name: str
    breaks: Callable[[Workspace], AbstractContextManager[None]]
    says: str  # what the one line names
    fails: frozenset[str]  # the commands that cannot do their job (exit 1)
    where: str = "err"  # the line is on stderr, or in reconcile's printed result
    run_exits: bool = True  # `syncd run` cannot start; else it keeps retrying (not run here)


@contextmanager
def garbage(demo: Workspace) -> Iterator[None]:
    (demo.state / DB_NAME).write_bytes(b"this is not a database" * 100)
    yield


@contextmanager
def newer_schema(demo: Workspace) -> Iterator[None]:
    with sqlite3.connect(demo.state / DB_NAME) as conn:
        conn.execute("PRAGMA user_version = 99")
    conn.close()
    yield


@contextmanager
def read_only_db(demo: Workspace) -> Iterator[None]:
    (demo.state / DB_NAME).chmod(0o444)
    with as_ordinary_user():
        yield


@contextmanager
def read_only_state_folder(demo: Workspace) -> Iterator[None]:
    demo.state.chmod(0o500)
    try:
        with as_ordinary_user():
            yield
    finally:
        demo.state.chmod(0o700)


@contextmanager
def unreadable_calendar(demo: Workspace) -> Iterator[None]:
    demo.calendar.chmod(0o000)
    try:
        with as_ordinary_user():
            yield
    finally:
        demo.calendar.chmod(0o700)


@contextmanager
def full_disk(demo: Workspace) -> Iterator[None]:
    """The state folder on a 1 MiB tmpfs that the database and a filler fill up."""
    saved = demo.root / "state-before"
    demo.state.rename(saved)
    demo.state.mkdir(mode=0o700)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs",
                    str(demo.state)], check=True)
    try:
        for item in saved.iterdir():  # the lock file and the database
            (demo.state / item.name).write_bytes(item.read_bytes())
        fd = os.open(demo.state / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            with pytest.raises(OSError, match="No space left"):
                while True:
                    os.write(fd, b"\0" * 512)
        finally:
            os.close(fd)
        yield
    finally:
        subprocess.run(["umount", str(demo.state)], check=True)
        demo.state.rmdir()
        saved.rename(demo.state)


WRITING = frozenset(WRITERS)
READING = frozenset(COMMANDS) - WRITING
CASES = [
    Case("garbage database", garbage, "file is not a database", frozenset(COMMANDS)),
    Case("newer schema", newer_schema, "written by a newer syncd", frozenset(COMMANDS)),
    # Reading commands read a read-only state fine; writing ones say why they cannot.
    Case("read-only database", read_only_db, "is read-only (mode 0444)", WRITING),
    Case("read-only state folder", read_only_state_folder, "is read-only", WRITING),
    # The calendar: reconcile writes nothing, status and report fall back on stored history,
    # export (which must not export a 1:1 already on the calendar) writes nothing.
    Case("unreadable calendar folder", unreadable_calendar, "cannot list the folder",
         frozenset({"reconcile", "dry-run", "status", "report", "export"}), where="any",
         run_exits=False),
]
if os.geteuid() == 0:  # mounting needs root; CI runs as root
    # After reconcile failed, SQLite's journal stays behind and readers cannot map it either.
    CASES.append(Case("full disk", full_disk, "is full", frozenset(COMMANDS) - {"run"},
                      run_exits=False))


def _ran(demo: Workspace, command: str, out: Path) -> Run:
    args = list(COMMANDS[command])
    if command == "export":
        args += ["--output", str(out)]
    return syncd(*args, "--config", str(demo.config))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_every_command_on_a_broken_state_says_one_line_exits_1_and_writes_nothing(
    demo: Workspace, case: Case, tmp_path: Path,
) -> None:
    assert demo.syncd("reconcile").code == 0  # a working set-up first, with history
    commands = [c for c in COMMANDS if c != "run" or case.run_exits]
    with ExitStack() as stack:
        stack.enter_context(case.breaks(demo))
        before = _files(demo)
        for command in commands:
            run = _ran(demo, command, tmp_path / f"{command}.ics")
            shown = run.err if case.where == "err" else run.out + run.err
            assert "Traceback" not in run.out + run.err, (command, run.err)
            if command in case.fails:
                assert run.code == 1, (command, run.code, run.out, run.err)
                named = [line for line in shown.splitlines() if case.says in line]
                assert len(named) == 1, (command, shown)
                if case.where == "err":
                    assert len(run.err.splitlines()) == 1, (command, run.err)
            else:
                assert run.code == 0, (command, run.out, run.err)
            if case.where == "any" and command in ("status", "report"):
                # docs/report.md: still printed, from the stored history.
                assert run.out.strip() and "stored history" in run.err, (command, run.err)
            assert _files(demo) == before, command


def _files(demo: Workspace) -> dict[str, str]:
    """Every file of the state and the notes (and whether the calendar's folder changed).

    SQLite's -wal and -shm scratch files are left out: on a full disk SQLite may leave them
    behind (empty of data), and it clears them on the next open.
    """
    state = {name: digest for name, digest in snapshot(demo.state).items()
             if not name.endswith(("-wal", "-shm"))}
    return {"state": str(state), "notes": str(snapshot(demo.notes)),
            "calendar": str(demo.calendar.stat().st_mtime_ns)}
