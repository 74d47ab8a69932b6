"""`syncd run` in this process: the real loop, real signals and a real notify socket, on a
scripted clock so it never waits for wall time. What systemd sees (READY, STATUS, RELOADING,
WATCHDOG, STOPPING), what the log says, and what reaches the calendar and notes."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import threading
import uuid
from collections.abc import Iterator

import pytest

from syncd import reconcile as reconciling
from syncd.calendars.base import CalendarSource
from syncd.calendars.local import LocalCalendar
from syncd.config import Config, load_config
from syncd.notes.base import NotesStore
from syncd.notes.markdown import MarkdownNotes
from syncd.sdnotify import Notifier
from syncd.service import Service
from syncd.state import DB_NAME, State
from tests.integration.test_service import status
from tests.workspace import NOW, PEOPLE_YAML, Workspace, syncd

GINA = ('  - {name: Gina New, email: gina@example.com, cadence: weekly, start: 2026-11-01,'
        ' slot: {day: fri, time: "09:00"}}\n')


class NotifySocket:
    """systemd's notify socket, read by a thread of its own: the service runs in this
    thread and a datagram socket only queues a few unread messages before sends block."""

    def __init__(self) -> None:
        self.address = f"@syncd-test-{uuid.uuid4().hex}"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + self.address[1:])
        self.seen: list[list[str]] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while (data := self.sock.recv(4096)) != b"":  # b"": the test's end marker
            self.seen.append(data.decode().split("\n"))

    def messages(self) -> list[list[str]]:
        """Everything received until now: the reader stops at an end marker sent here."""
        if self.reader.is_alive():
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as out:
                out.sendto(b"", "\0" + self.address[1:])
            self.reader.join(timeout=30)
        return self.seen

    def close(self) -> None:
        self.messages()
        self.sock.close()


@pytest.fixture
def notify() -> Iterator[NotifySocket]:
    sock = NotifySocket()
    try:
        yield sock
    finally:
        sock.close()


class Script:
    """A clock one second further on at every look, and backends that send this process a
    signal at the start of a chosen cycle (as systemctl would, at that moment)."""

    def __init__(self, demo: Workspace, signals: dict[int, signal.Signals]) -> None:
        self.demo = demo
        self.signals = signals
        self.now = 0.0
        self.cycles = 0
        self.stop_once_idle: Service | None = None  # SIGTERM at its first look after a cycle

    def clock(self) -> float:
        runner = self.stop_once_idle
        if runner is not None and runner.last is not None:
            self.stop_once_idle = None
            os.kill(os.getpid(), signal.SIGTERM)
        self.now += 1.0
        return self.now

    def backends(self, config: Config, state: State) -> tuple[CalendarSource, NotesStore]:
        self.cycles += 1
        if self.cycles in self.signals:
            os.kill(os.getpid(), self.signals[self.cycles])
        return (LocalCalendar(self.demo.calendar, config.roster.timezone),
                MarkdownNotes(self.demo.notes))


def service(demo: Workspace, script: Script, notify: NotifySocket,
            environ: dict[str, str] | None = None) -> Service:
    return Service(demo.config, load_config(demo.config), dt.timedelta(seconds=30),
                   notifier=Notifier(notify.address), clock=script.clock,
                   wall=lambda zone: dt.datetime.fromisoformat(NOW).astimezone(zone),
                   random=lambda: 0.5, backends=script.backends,
                   environ={} if environ is None else environ)


def test_the_loop_reconciles_reloads_on_sighup_and_stops_on_sigterm_while_reading(
    demo: Workspace, notify: NotifySocket, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="syncd")
    script = Script(demo, {2: signal.SIGHUP, 3: signal.SIGTERM})
    runner = service(demo, script, notify, environ={"WATCHDOG_USEC": "2"})
    before = signal.getsignal(signal.SIGTERM)
    demo.write_config(PEOPLE_YAML + GINA)  # read at the reload that SIGHUP asks for

    assert runner.run() == reconciling.EXIT_OK

    assert script.cycles == 3
    assert signal.getsignal(signal.SIGTERM) is before  # handlers given back
    seen = notify.messages()
    assert seen[0] == ["READY=1", "STATUS=started with 4 people; first cycle now"]
    assert ["WATCHDOG=1"] in seen
    cycle_lines = [status(m) for m in seen if "READY=1" not in m and status(m)]
    assert cycle_lines[0].startswith("4 people, ")
    assert "next run 2026-11-25T09:00:30+01:00" in cycle_lines[0]
    reload_at = next(i for i, m in enumerate(seen) if "RELOADING=1" in m)
    assert seen[reload_at + 1] == ["READY=1", "STATUS=reloaded with 5 people; cycle now"]
    assert seen[-1] == ["STOPPING=1", "STATUS=stopping"]
    # Cycles 1 and 2 wrote the four series and notes; cycle 3 (Gina's first) was cut
    # off while it read, so nothing of hers was written.
    assert sorted(p.name for p in demo.notes.glob("*.md")) == [
        "alice@example.com.md", "bob@example.com.md", "carol@example.com.md",
        "erin@example.com.md"]
    log = caplog.text
    assert "stopped while reading; this cycle wrote nothing" in log
    assert "reloaded " in log and "5 people; a cycle runs now" in log
    assert log.rstrip().endswith("stopped")


def test_a_sigterm_between_cycles_ends_the_wait_at_once(
    demo: Workspace, notify: NotifySocket, caplog: pytest.LogCaptureFixture,
) -> None:
    """Stopped while idle: the wait for the next cycle (30 s away) ends at once."""
    caplog.set_level(logging.INFO, logger="syncd")
    script = Script(demo, {})
    runner = service(demo, script, notify)
    script.stop_once_idle = runner
    assert runner.run() == reconciling.EXIT_OK
    assert script.cycles == 1
    assert len(list(demo.notes.glob("*.md"))) == 4  # the one cycle finished its writes
    assert notify.messages()[-1] == ["STOPPING=1", "STATUS=stopping"]
    assert caplog.text.rstrip().endswith("stopped")


def test_a_stop_asked_for_while_reading_leaves_every_action_for_the_next_run(
    demo: Workspace, notify: NotifySocket, caplog: pytest.LogCaptureFixture,
) -> None:
    """A stop that arrives before the first write (SIGINT here) ends the cycle cleanly."""
    caplog.set_level(logging.INFO, logger="syncd")
    script = Script(demo, {1: signal.SIGINT})
    runner = service(demo, script, notify)
    assert runner.run() == reconciling.EXIT_OK
    assert list(demo.notes.glob("*.md")) == []
    assert "stopped while reading; this cycle wrote nothing" in caplog.text


def test_a_cycle_that_breaks_down_is_in_the_status_and_the_service_goes_on(
    demo: Workspace, notify: NotifySocket,
) -> None:
    script = Script(demo, {})

    def broken(config: Config, state: State) -> tuple[CalendarSource, NotesStore]:
        script.cycles += 1
        raise RuntimeError("no calendar today")

    runner = service(demo, script, notify)
    runner.backends = broken
    with runner.opened():
        report = runner.cycle()
    assert report.error == "RuntimeError: no calendar today"
    assert report.failed_sources == frozenset()
    (line,) = (status(m) for m in notify.messages() if "cycle failed" in status(m))
    assert line.endswith("cycle failed: RuntimeError: no calendar today")
    # A breakdown tried no source: no backoff starts.
    assert runner.schedule.retry_at == {}


def test_a_bad_config_on_reload_keeps_the_running_one(
    demo: Workspace, notify: NotifySocket, caplog: pytest.LogCaptureFixture,
) -> None:
    runner = service(demo, Script(demo, {}), notify)
    demo.config.write_text(demo.config.read_text().replace("timezone: Europe/Berlin",
                                                           "timezone: Mars/Olympus"))
    with runner.opened():
        assert runner.reload() is False
        assert runner.config.roster.timezone == "Europe/Berlin"
        runner.cycle()
        assert runner.reload() is False
    assert "unknown timezone 'Mars/Olympus'" in caplog.text
    assert "keeping the previous config" in caplog.text
    first, second = (status(m) for m in notify.messages()
                     if "READY=1" in m and "reload failed" in status(m))
    assert first == "reload failed, running with the previous config; no cycle yet"
    assert second.startswith("reload failed, running with the previous config; 4 people, ")


def test_a_reload_that_would_move_the_state_directory_is_refused(
    demo: Workspace, notify: NotifySocket, caplog: pytest.LogCaptureFixture,
) -> None:
    runner = service(demo, Script(demo, {}), notify)
    demo.config.write_text(demo.config.read_text().replace("state_dir: state",
                                                           "state_dir: elsewhere"))
    with runner.opened():
        assert runner.reload() is False
    assert "the state directory would move from" in caplog.text
    assert not (demo.root / "elsewhere").exists()
    assert next(status(m) for m in notify.messages() if "READY=1" in m).startswith(
        "reload refused (state directory changed); no cycle yet")


def test_a_state_that_cannot_be_opened_stops_the_service_with_exit_1(
    demo: Workspace, notify: NotifySocket, caplog: pytest.LogCaptureFixture,
) -> None:
    demo.state.mkdir(mode=0o700)
    (demo.state / DB_NAME).write_bytes(b"this is not a database" * 100)
    runner = service(demo, Script(demo, {}), notify)
    assert runner.run() == reconciling.EXIT_FAILED
    assert f"cannot open the state in {demo.state}" in caplog.text
    (stopping,) = (m for m in notify.messages() if "STOPPING=1" in m)
    assert status(stopping).startswith("failed: ")
    assert list(demo.notes.glob("*.md")) == []


def test_syncd_run_refuses_a_bad_interval(demo: Workspace) -> None:
    run = syncd("run", "--config", str(demo.config), "--interval", "soon")
    assert run.code == 2
    assert "not an interval: 'soon'" in run.err
