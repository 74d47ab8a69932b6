"""A throw-away roster with a local calendar or an ICS feed, for the hostile-input tests.

Every test runs the real CLI in-process (`syncd.cli.main`) with a fixed `--now`,
as tests/integration does; servers bind 127.0.0.1 on a free port and are stopped
when the test ends.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.integration.conftest import NOW, Run, snapshot, syncd

CORPUS = Path(__file__).resolve().parents[1] / "data" / "hostile"

HEAD = """\
owner: {name: Dana Lead, email: dana@example.com}
timezone: Europe/Berlin
calendar: CALENDAR
notes: {kind: markdown, path: notes}
state_dir: state
defaults: {cadence: monthly, duration: 45m}
"""
ALICE = """\
people:
  - {name: Alice Example, email: alice@example.com, cadence: weekly, start: 2026-09-01, slot: {day: tue, time: "10:00"}}
"""  # noqa: E501
LOCAL = "{kind: local, path: calendar}"

__all__ = ["ALICE", "CORPUS", "HEAD", "LOCAL", "NOW", "Feed", "Run", "Workspace", "snapshot"]


@dataclass
class Workspace:
    """A folder holding config.yaml, calendar/, notes/ and state/."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config.yaml"

    @property
    def calendar(self) -> Path:
        return self.root / "calendar"

    def write_config(self, calendar: str = LOCAL, people: str = ALICE, extra: str = "") -> None:
        self.config.write_text(HEAD.replace("CALENDAR", calendar) + extra + people)

    def syncd(self, *args: str, now: str = NOW) -> Run:
        """One command on this workspace, with the clock fixed where the command takes one."""
        clock = ("--now", now) if args[0] in ("reconcile", "status", "export", "report") else ()
        return syncd(*args, "--config", str(self.config), *clock)

    def files(self) -> dict[str, str]:
        """Every file under the workspace, config included (to prove nothing was written)."""
        return snapshot(self.root)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    """A workspace with an empty local calendar folder and Alice on the roster."""
    workspace = Workspace(tmp_path)
    workspace.calendar.mkdir()
    workspace.write_config()
    return workspace


Handler = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Feed:
    """A loopback HTTP server: `handler` answers every GET; `base` is its URL."""

    base: str = ""
    handler: Handler | None = None
    done: threading.Event = field(default_factory=threading.Event)  # set when a test ends

    def serve(self, body: bytes) -> None:
        """Answer every request with `body` as a whole calendar."""

        def answer(request: BaseHTTPRequestHandler) -> None:
            request.send_response(200)
            request.send_header("Content-Type", "text/calendar")
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body)

        self.handler = answer


@pytest.fixture
def feed() -> Iterator[Feed]:
    state = Feed()

    class Request(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            assert state.handler is not None
            state.handler(self)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Request)
    httpd.daemon_threads = True
    state.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    # A short poll interval: shutdown() waits for the next poll.
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.done.set()  # handlers that stream forever watch this to stop
        httpd.shutdown()
        httpd.server_close()
        thread.join()
