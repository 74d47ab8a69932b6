"""`syncd run` killed with SIGKILL in the middle of a cycle: the next run converges, no duplicate.

SIGKILL leaves no chance to finish the write in progress or to record it, so the
next run must recognise what already landed from the calendar and the notes
themselves. The kill point is made deterministic, never timed:

- local calendar: the daemon runs with an audit hook (`gated`) that, at a chosen
  file-system step of the cycle, tells the test through a pipe and waits; the
  test then kills it. The steps are a calendar file's rename (its new bytes are
  in a temp file, not yet in place), the directory fsync after a write (the
  write is on disk, the state does not know it yet), and the fchmod of a new
  notes file (created empty, its template not yet written).
- Google: the emulator holds the chosen request for a while before answering
  (`fault(status=None, latency_ms=...)`); the test sees that request in the
  emulator's log, still unanswered, and kills the daemon. The emulator then
  carries the request out anyway, as Google would for a request it received:
  the write lands, and the dead daemon never learnt of it.
"""

from __future__ import annotations

import datetime as dt
import os
import select
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from syncd.notes.text import HEADING_TEXT
from tests.integration.gdemo import WRITES, GoogleDemo
from tests.integration.test_google import _one_each
from tests.integration.test_reconcile_local import PEOPLE, live_owned
from tests.integration.test_service import (
    SYNCD,
    TIMEOUT,
    NotifySocket,
    is_cycle,
    running,
    service_env,
    status,
)
from tests.workspace import Workspace, syncd

LATENCY_MS = 1500  # how long the emulator holds the chosen request: ample time to kill
GATES = ("rename", "dirsync", "notes-fchmod")


# --- the gate: a real `syncd run`, stopped at a chosen step of its cycle -----------------------


def gated() -> None:
    """`syncd ARGS…` with an audit hook that halts at the n-th KIND step (run as `python -c`).

    argv: KIND:N READY_FD HOLD_FD CALENDAR NOTES ARGS…. At the step it writes KIND:N
    to READY_FD and waits on HOLD_FD, whose write end the test holds: the test kills
    it there, and if the test is gone the read ends and so does the process.
    """
    from syncd.cli import main

    spec, ready_fd, hold_fd, calendar, notes = sys.argv[1:6]
    kind, nth = spec.split(":")
    seen = [0]
    in_notes_create = [False]

    def step(event: str, args: tuple[Any, ...]) -> str | None:
        if event == "os.rename" and os.path.dirname(os.fspath(args[1])) == calendar:
            return "rename"
        if event == "open" and isinstance(args[0], str | os.PathLike):
            path, flags = os.fspath(args[0]), args[2]
            if path in (calendar, notes):
                return "dirsync"  # fsync of the folder: only after a write
            if os.path.dirname(path) == notes:  # (the template is read in between)
                in_notes_create[0] = bool(flags & os.O_EXCL)
        if event == "os.chmod" and isinstance(args[0], int) and in_notes_create[0]:
            in_notes_create[0] = False
            return "notes-fchmod"
        return None

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if step(event, args) != kind:
            return
        seen[0] += 1
        if seen[0] == int(nth):
            os.write(int(ready_fd), f"{kind}:{nth}".encode())
            os.read(int(hold_fd), 1)  # returns only when the test is gone
            os._exit(3)

    sys.addaudithook(hook)
    main(args=sys.argv[6:], prog_name="syncd")


def run_until_first_cycle(config: Path, notify: NotifySocket, log: Path) -> str:
    """Start the real `syncd run`, wait for its first cycle's STATUS, stop it; the STATUS."""
    args = [str(SYNCD), "run", "--config", str(config), "--interval", "1h", "--log-level", "info"]
    mark = notify.mark()
    with log.open("ab") as err, running(args, service_env(notify), err) as proc:
        (cycle,) = notify.wait(is_cycle, since=mark, what="the first cycle after the kill")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=TIMEOUT) == 0, log.read_text()
    return status(cycle)


def converges(config: Path, notify: NotifySocket, log: Path) -> None:
    """The next run finishes the job without an error, and after it nothing is left to do."""
    line = run_until_first_cycle(config, notify, log)
    assert line.startswith("4 people, ") and ", 0 failed," in line, line
    again = syncd("reconcile", "--config", str(config))
    assert again.code == 0 and again.out.startswith("Nothing to do"), again.out + again.err


# --- local calendar ------------------------------------------------------------------------------


def now_text() -> str:
    """The daemon plans with the real clock, so the checks look at the calendar now too."""
    return dt.datetime.now(dt.UTC).isoformat()


@pytest.mark.parametrize("gate", [
    "rename:3",  # bob's new series file: written to a temp file, not yet renamed into place
    "dirsync:1",  # alice's hand-made series adopted on disk, not yet recorded in state
    "dirsync:4",  # bob's new series file in place, not yet recorded
    "dirsync:5",  # bob's notes file complete, not yet recorded
    "notes-fchmod:2",  # bob's notes file created empty: the next run writes its template
])
def test_sigkill_mid_cycle_on_the_local_calendar_then_the_next_run_converges(
        demo: Workspace, notify: NotifySocket, tmp_path: Path, gate: str) -> None:
    log = tmp_path / "stderr.log"
    ready_r, ready_w = os.pipe()
    hold_r, hold_w = os.pipe()
    code = "from tests.integration.test_service_kill import gated; gated()"
    args = [sys.executable, "-c", code, gate, str(ready_w), str(hold_r),
            str(demo.calendar), str(demo.notes),
            "run", "--config", str(demo.config), "--interval", "1h", "--log-level", "info"]
    try:
        with log.open("wb") as err, \
                running(args, service_env(notify), err, pass_fds=(ready_w, hold_r)) as proc:
            os.close(ready_w)
            os.close(hold_r)
            readable, _, _ = select.select([ready_r], [], [], TIMEOUT)
            assert readable and os.read(ready_r, 64) == gate.encode(), log.read_text()
            proc.send_signal(signal.SIGKILL)
            assert proc.wait(timeout=TIMEOUT) == -signal.SIGKILL
    finally:
        for fd in (ready_r, hold_w):
            os.close(fd)
    assert not any(is_cycle(m) for m in notify.seen)  # killed inside the first cycle
    assert sum(1 for _ in demo.notes.glob("*.md")) < len(PEOPLE)

    converges(demo.config, notify, log)

    now = now_text()
    for email in PEOPLE:
        assert len(live_owned(demo.calendar, email, now)) == 1, email
    notes = sorted(demo.notes.glob("*.md"))
    assert [p.name for p in notes] == sorted(f"{p}.md" for p in PEOPLE)
    for path in notes:
        text = path.read_text()
        assert text.startswith("# 1:1 notes: "), (path.name, text)  # the template, whole
        assert text.count("<!-- syncd:agenda") == 1, path.name


# --- Google Calendar and Docs on the emulator ----------------------------------------------------


def unanswered(g: GoogleDemo, nth: int) -> dict[str, Any] | None:
    """The nth API request (batch parts counted, envelopes not), once the emulator has it."""
    calls = [r for r in g.emu.requests() if "parts" not in r]
    return calls[nth - 1] if len(calls) >= nth else None


def poll(what: str, check: Any) -> Any:
    """`check()` until it returns something truthy; fails after TIMEOUT seconds."""
    deadline = time.monotonic() + TIMEOUT
    while not (found := check()):
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {TIMEOUT}s")
        time.sleep(0.01)  # a polling period, not a guess at how long anything takes
    return found


# A first run's calls: 1 events.list, 2 files.list, 3-6 the Docs' files.create in one
# Drive batch (the moment they were asked for kept in state first), 7-10 the series
# inserts (each with its Doc's link) in one Calendar batch, 11-14 each Doc's template and
# first agenda (one Docs batchUpdate each, sent alone: Docs takes no HTTP batch).
@pytest.mark.parametrize("nth", [
    5,  # the third Doc's files.create inside the batch: two are made, two land after the kill
    7,  # the first series insert: it exists with its link, the dead daemon never knew
    9,  # the third series insert inside the batch
    11,  # the first Doc's template and agenda: the Doc filled, the daemon never knew
    14,  # the last Doc's template and agenda
])
def test_sigkill_mid_cycle_on_google_then_the_next_run_converges(
        g: GoogleDemo, notify: NotifySocket, tmp_path: Path, nth: int) -> None:
    log = tmp_path / "stderr.log"
    g.emu.fault(nth=nth, status=None, latency_ms=LATENCY_MS)
    args = [str(SYNCD), "run", "--config", str(g.config), "--interval", "1h",
            "--log-level", "info"]
    with log.open("wb") as err, running(args, service_env(notify), err) as proc:
        request = poll(f"request {nth}", lambda: unanswered(g, nth))
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=TIMEOUT) == -signal.SIGKILL
    # Killed while the emulator held the request: the daemon never had its answer.
    assert request["status"] is None and request["method"] in WRITES, request
    assert not any(is_cycle(m) for m in notify.seen)
    # The held request is carried out all the same; only then does the next run start.
    poll("end of the held request", lambda: all(r["status"] for r in g.emu.requests()))
    landed = unanswered(g, nth)
    assert landed is not None and landed["status"] < 300, landed

    converges(g.config, notify, log)

    _one_each(g)
    for doc in g.emu.state()["docs"].values():
        headings = [line for line, style in zip(doc["text"].split("\n"), doc["styles"],
                                                 strict=False)
                    if style == "HEADING_2" and HEADING_TEXT.match(line)]
        assert len(headings) == 1, doc["text"]  # one agenda, not two
