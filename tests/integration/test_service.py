"""`syncd run` the way systemd runs it: sd_notify, watchdog, reload, lock, and a clean stop.

The service runs as a real subprocess and reports to a notify socket the test
owns; the test waits on that socket (and on pipes) with timeouts, never on sleeps.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import select
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

import pytest

from syncd.calendars.base import CalendarError
from syncd.calendars.local import LocalCalendar
from syncd.config import Config, load_config
from syncd.core.model import AgendaWrite, NotesDoc, Series, SeriesPatch, SeriesSpec
from syncd.lock import StateLock
from syncd.logs import setup_logging
from syncd.notes.base import NotesStore
from syncd.notes.markdown import MarkdownNotes
from syncd.service import CALENDAR, Service, default_backends
from syncd.state import State
from tests.integration.test_reconcile_local import PEOPLE, live_owned
from tests.workspace import HEAD_YAML, NOW, PEOPLE_YAML, ROOT, Workspace, syncd

SYNCD = Path(sys.executable).parent / "syncd"
TIMEOUT = 30.0  # generous: a slow CI machine only makes the test slower, never wrong
AGENDA = resources.files("syncd.notes").joinpath("agenda.md").read_text()

Fields = list[str]


class NotifySocket:
    """The datagram socket systemd would listen on, in the abstract namespace."""

    def __init__(self) -> None:
        self.address = f"@syncd-test-{uuid.uuid4().hex}"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + self.address[1:])
        self.seen: list[Fields] = []

    def wait(self, match: Callable[[Fields], bool], count: int = 1, since: int = 0,
             what: str = "") -> list[Fields]:
        """Messages received since `since` until `count` of them match; fails at the timeout."""
        deadline = dt.datetime.now() + dt.timedelta(seconds=TIMEOUT)
        while True:
            found = [m for m in self.seen[since:] if match(m)]
            if len(found) >= count:
                return found
            left = (deadline - dt.datetime.now()).total_seconds()
            if left <= 0:
                pytest.fail(f"no {what or 'matching message'} within {TIMEOUT}s; got {self.seen}")
            self.sock.settimeout(left)
            try:
                self.seen.append(self.sock.recv(4096).decode().split("\n"))
            except TimeoutError:
                continue

    def mark(self) -> int:
        """A position in the messages, for `wait(since=...)`."""
        return len(self.seen)

    def close(self) -> None:
        self.sock.close()


def status(fields: Fields) -> str:
    return next((f[len("STATUS="):] for f in fields if f.startswith("STATUS=")), "")


def is_cycle(fields: Fields) -> bool:
    """A STATUS line written after a cycle (not the one that comes with READY=1)."""
    return "READY=1" not in fields and "next run" in status(fields)


@contextmanager
def running(args: Sequence[str], env: dict[str, str], stderr: IO[bytes],
            pass_fds: Sequence[int] = ()) -> Iterator[subprocess.Popen[bytes]]:
    """A subprocess that is always gone when the block ends."""
    proc = subprocess.Popen(list(args), env=env, cwd=ROOT, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=stderr, pass_fds=pass_fds)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=TIMEOUT)


def service_env(notify: NotifySocket, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM")}
    return {**env, "NOTIFY_SOCKET": notify.address, **extra}


def test_service_reports_to_systemd_reloads_and_stops_cleanly(
        demo: Workspace, notify: NotifySocket, tmp_path: Path) -> None:
    good = demo.config.read_text()
    log_file = tmp_path / "stderr.log"
    with log_file.open("wb") as err:
        # stderr is "the journal" here: JOURNAL_STREAM names it, so lines carry no time.
        info = os.fstat(err.fileno())
        env = service_env(notify, WATCHDOG_USEC="1000000",
                          JOURNAL_STREAM=f"{info.st_dev}:{info.st_ino}")
        args = [str(SYNCD), "run", "--interval", "1s", "--config", str(demo.config),
                "--log-format", "json", "--log-level", "info"]
        with running(args, env, err) as proc:
            notify.wait(lambda m: "READY=1" in m, what="READY=1")
            cycles = notify.wait(is_cycle, count=2, what="two cycles")
            first, second_cycle = (status(c).split(", ") for c in cycles[:2])
            assert first[0] == second_cycle[0] == "4 people"
            done = int(first[1].removesuffix(" applied"))
            assert done > 0 and second_cycle[1] == "0 applied"
            notify.wait(lambda m: m == ["WATCHDOG=1"], what="WATCHDOG=1")

            # A one-shot reconcile on the same state is refused: a runtime failure (exit 1),
            # naming the real holder.
            one_shot = demo.syncd("reconcile")
            assert one_shot.code == 1 and "already working on the state" in one_shot.err
            assert f"(pid {proc.pid}: " in one_shot.err

            # A broken config on reload is reported and the running one kept.
            demo.config.write_text(good + "people: [oops\n")
            mark = notify.mark()
            proc.send_signal(signal.SIGHUP)
            notify.wait(lambda m: m[0] == "RELOADING=1", since=mark, what="RELOADING=1")
            reloaded = notify.wait(lambda m: "READY=1" in m, since=mark, what="READY after reload")
            assert status(reloaded[0]).startswith("reload failed, running with the previous config")
            notify.wait(is_cycle, since=notify.mark(), what="a cycle after the failed reload")
            assert proc.poll() is None

            mark = notify.mark()
            proc.send_signal(signal.SIGTERM)
            notify.wait(lambda m: "STOPPING=1" in m, since=mark, what="STOPPING=1")
            assert proc.wait(timeout=10) == 0

    # State is consistent: everything done once, nothing left, every write journaled.
    demo.config.write_text(good)
    check = syncd("reconcile", "--dry-run", "--json", "--config", str(demo.config))
    assert check.code == 0 and check.json()["actions"] == []
    audit = syncd("log", "--json", "--config", str(demo.config))
    assert len(audit.out.splitlines()) == done
    lines = [json.loads(line) for line in log_file.read_text().splitlines()]
    assert lines and all("time" not in line and line["level"] for line in lines)
    assert any(line["level"] == "error" and "reload failed" in line["message"] for line in lines)
    assert any(line["message"].startswith("cycle: 4 people") for line in lines)


def test_failing_feed_backs_off_writing_nothing_and_its_secret_stays_out_of_logs(
        demo: Workspace, notify: NotifySocket, tmp_path: Path) -> None:
    # A port that is bound but not listening: every connection is refused at once.
    with socket.socket() as closed_port:
        closed_port.bind(("127.0.0.1", 0))
        secret = "tok-" + uuid.uuid4().hex
        url = f"http://127.0.0.1:{closed_port.getsockname()[1]}/{secret}/cal.ics"
        demo.config.write_text(HEAD_YAML.replace("{kind: local, path: calendar}",
                                                 f"{{kind: ics, url: '{url}'}}") + PEOPLE_YAML)
        log_file = tmp_path / "stderr.log"
        with log_file.open("wb") as err:
            args = [str(SYNCD), "run", "--interval", "1s", "--config", str(demo.config),
                    "--log-level", "debug"]
            with running(args, service_env(notify), err) as proc:
                cycles = notify.wait(is_cycle, count=3, what="three cycles")
                proc.send_signal(signal.SIGTERM)
                assert proc.wait(timeout=10) == 0
    # The first cycle failed the feed; the next ones hold it back, and keep going, writing
    # nothing while the calendar is unknown.
    assert all("calendar failing, retry" in status(c) for c in cycles)
    assert list(demo.notes.glob("*.md")) == []
    text = log_file.read_text()
    assert "calendar failed (1 in a row)" in text
    assert "calendar failed (2 in a row)" not in text  # held back, not hammered
    assert secret not in text


def test_a_second_service_waits_for_the_lock_instead_of_exiting_then_runs(
        demo: Workspace, notify: NotifySocket, tmp_path: Path) -> None:
    # Exiting (with RestartPreventExitStatus=2, for good) would keep the service down.
    args = [str(SYNCD), "run", "--interval", "1h", "--config", str(demo.config)]
    holder = StateLock(demo.state)
    holder.acquire()
    try:
        with (tmp_path / "stderr.log").open("wb") as err, \
                running(args, service_env(notify), err) as proc:
            waiting = notify.wait(lambda m: "READY=1" in m, what="READY while waiting")
            assert status(waiting[0]).startswith("waiting for the state lock: ")
            assert f"(pid {os.getpid()}: " in status(waiting[0])
            assert not list(demo.notes.glob("*.md"))
            holder.release()
            notify.wait(is_cycle, what="a cycle once the lock is free")
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=10) == 0
    finally:
        holder.release()
    text = (tmp_path / "stderr.log").read_text()
    assert "is already working on the state" in text and "waiting for it" in text
    assert len(list(demo.notes.glob("*.md"))) == 4
    # At the default level, in a terminal: one line for the cycle, stamped with the local
    # time and its offset (the roster's zone, as "next run" is).
    cycles = [line for line in text.splitlines() if " cycle: " in line]
    assert len(cycles) == 1
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0[12]:00 INFO syncd.service: "
                    r"cycle: 4 people, \d+ applied, 0 not applied, 0 failed, ", cycles[0])
    assert not any(line.split()[3:4] == ["create-series"] for line in text.splitlines())


# --- the stop in the middle of a write -----------------------------------------------------


class HalfwayNotes(MarkdownNotes):
    """Markdown notes on a 'slow disk': the first agenda append stops halfway until told to go.

    It writes the real section's first half, tells the test (`ready_fd`), waits for
    a byte on `go_fd`, then writes the second half.
    """

    def __init__(self, path: Path, ready_fd: int, go_fd: int) -> None:
        super().__init__(path)
        self.gate: tuple[int, int] | None = (ready_fd, go_fd)

    def append_section(self, doc: NotesDoc, write: AgendaWrite, title: str, body: str) -> None:
        if self.gate is None:
            super().append_section(doc, write, title, body)
            return
        ready_fd, go_fd = self.gate
        self.gate = None
        file = self.path / doc.doc_id
        before = file.read_bytes()
        super().append_section(doc, write, title, body)
        section = file.read_bytes()[len(before):]
        os.truncate(file, len(before))
        fd = os.open(file, os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, section[:len(section) // 2])
            os.fsync(fd)
            os.write(ready_fd, b"x")
            os.read(go_fd, 1)
            os.write(fd, section[len(section) // 2:])
            os.fsync(fd)
        finally:
            os.close(fd)


def halfway_child() -> None:
    """The service with HalfwayNotes (run by the test below as `python -c`)."""
    config_path, ready_fd, go_fd = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    setup_logging("info")

    def backends(config: Config, state: State) -> tuple[LocalCalendar, NotesStore]:
        calendar, _ = default_backends(config, state)
        assert isinstance(calendar, LocalCalendar) and config.notes.path is not None
        return calendar, HalfwayNotes(config.notes.path, ready_fd, go_fd)

    service = Service(config_path, load_config(config_path), dt.timedelta(minutes=1),
                      backends=backends)
    sys.exit(service.run())


def test_sigterm_in_the_middle_of_a_write_finishes_that_write_and_nothing_more(
        demo: Workspace, notify: NotifySocket, tmp_path: Path) -> None:
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    alice = demo.notes / "alice@example.com.md"
    code = "from tests.integration.test_service import halfway_child; halfway_child()"
    args = [sys.executable, "-c", code, str(demo.config), str(ready_w), str(go_r)]
    try:
        with (tmp_path / "stderr.log").open("wb") as err, \
                running(args, service_env(notify), err, pass_fds=(ready_w, go_r)) as proc:
            os.close(ready_w)
            os.close(go_r)
            readable, _, _ = select.select([ready_r], [], [], TIMEOUT)
            assert readable and os.read(ready_r, 1) == b"x", (tmp_path / "stderr.log").read_text()
            half = alice.read_text()
            assert "<!-- syncd:agenda" in half and not half.endswith(AGENDA)
            # The signal is pending before the write may go on: it arrives mid-write.
            proc.send_signal(signal.SIGTERM)
            os.write(go_w, b"g")
            assert proc.wait(timeout=10) == 0
    finally:
        for fd in (ready_r, go_w):
            os.close(fd)
    notify.wait(lambda m: "STOPPING=1" in m, what="STOPPING=1")
    # The section that was being written is complete, once, and recorded in state ...
    text = alice.read_text()
    assert text.endswith(AGENDA) and text.count("<!-- syncd:agenda") == 1
    entries = [json.loads(line) for line in
               syncd("log", "--json", "--config", str(demo.config)).out.splitlines()]
    assert (entries[-1]["action"], entries[-1]["person"]) == ("prepare-notes", "alice@example.com")
    # ... and nothing after it was started.
    assert not (demo.notes / "bob@example.com.md").exists()
    assert live_owned(demo.calendar, "bob@example.com") == []
    # The next run does the rest without repeating anything.
    assert syncd("reconcile", "--config", str(demo.config)).code == 0
    assert alice.read_text().count("<!-- syncd:agenda") == 1
    assert syncd("reconcile", "--dry-run", "--json", "--config",
                 str(demo.config)).json()["actions"] == []


# --- backoff, in-process on a fake clock -----------------------------------------------------


class FlakyCalendar:
    """The real local calendar, unreadable while `broken` (counts its reads)."""

    def __init__(self, real: LocalCalendar) -> None:
        self.real, self.name = real, real.name
        self.broken = True
        self.reads = 0

    def read(self, start: dt.datetime, end: dt.datetime) -> tuple[Series, ...]:
        self.reads += 1
        if self.broken:
            raise CalendarError(f"{self.name}: no such folder")
        return self.real.read(start, end)

    def create(self, spec: SeriesSpec) -> str:
        return self.real.create(spec)

    def patch(self, uid: str, patch: SeriesPatch, etag: str) -> str:
        return self.real.patch(uid, patch, etag)


def test_a_failing_calendar_is_held_back_until_its_retry_while_cycles_go_on(
        demo: Workspace) -> None:
    flaky = FlakyCalendar(LocalCalendar(demo.calendar, "Europe/Berlin"))
    now = [0.0]
    service = Service(
        demo.config, load_config(demo.config), dt.timedelta(seconds=30), environ={},
        clock=lambda: now[0], wall=lambda zone: dt.datetime.fromisoformat(NOW).astimezone(zone),
        random=lambda: 0.5,
        backends=lambda config, state: (flaky, MarkdownNotes(demo.notes)))
    with service.opened():
        first = service.cycle()
        assert first.failed_sources == {CALENDAR}
        # Without the calendar nothing is written: an agenda needs to know the meeting.
        assert list(demo.notes.glob("*.md")) == []
        assert live_owned(demo.calendar, "bob@example.com") == []
        zone = ZoneInfo(service.config.roster.timezone)
        assert "calendar failing, retry" in service.summary(first, now[0], zone)

        now[0] = 30.0  # the regular cycle: the calendar waits for its retry at 60 s
        assert service.schedule.due(now[0])
        held = service.cycle()
        assert held.held_back == {CALENDAR} and flaky.reads == 1

        flaky.broken = False
        now[0] = 60.0  # the retry
        assert service.schedule.due(now[0])
        back = service.cycle()
        assert back.failed_sources == frozenset() and flaky.reads == 2
        assert service.schedule.failures[CALENDAR] == 0
    for email in PEOPLE:
        assert len(live_owned(demo.calendar, email)) == 1



# --- log lines -------------------------------------------------------------------------------


def log_line(tmp_path: Path, log_format: str, journal: bool) -> str:
    """What one warning with a traceback looks like on a stderr that is (not) the journal."""
    path = tmp_path / f"{log_format}-{journal}.log"
    with path.open("w") as stream:
        info = os.fstat(stream.fileno())
        environ = {"JOURNAL_STREAM": f"{info.st_dev}:{info.st_ino}" if journal else "1:2"}
        redactor = setup_logging("info", log_format, stream=stream, environ=environ)
        redactor.add("https://cal.example/private/secret-token.ics")
        try:
            raise OSError("GET https://cal.example/private/secret-token.ics failed")
        except OSError:
            logging.getLogger("syncd.test").warning("feed down", exc_info=True)
    setup_logging("warning")
    return path.read_text()


def test_log_lines_have_a_level_and_leave_timestamps_and_secrets_out(tmp_path: Path) -> None:
    journal = log_line(tmp_path, "text", journal=True)
    assert journal.startswith("<4>WARNING syncd.test: feed down\n")  # journald reads <4>
    plain = log_line(tmp_path, "text", journal=False)
    # Local time with its offset, so a line means the same hour as "next run …".
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d WARNING syncd.test: "
                    "feed down", plain)
    json_text = log_line(tmp_path, "json", journal=True)
    as_json = json.loads(json_text)
    assert {k: as_json[k] for k in ("level", "logger", "message")} == \
        {"level": "warning", "logger": "syncd.test", "message": "feed down"}
    assert "time" not in as_json and "OSError" in as_json["exception"]
    assert "time" in json.loads(log_line(tmp_path, "json", journal=False))
    for text in (journal, plain, json_text):
        assert "secret-token" not in text and "https://cal.example/…" in text
