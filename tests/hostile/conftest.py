"""The hostile-input corpus and a loopback feed server, for the hostile-input tests.

Every test runs the real CLI in-process (`syncd.cli.main`) with a fixed `--now` on the
`ws` workspace (tests/conftest.py: an empty local calendar and Alice on the roster);
servers bind 127.0.0.1 on a free port and are stopped when the test ends.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[1] / "data" / "hostile"


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
