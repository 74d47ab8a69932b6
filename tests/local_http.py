"""Throwaway HTTP servers for the tests: 127.0.0.1, a free port, stopped on leaving."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve `handler` on 127.0.0.1 at a free port; yields the base URL (no final slash)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def private_feed(body: bytes, secret: str) -> Iterator[str]:
    """An ICS feed answering `body` only under a path holding `secret` (404 elsewhere), as
    private calendar links do; yields its URL."""

    class Feed(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            ok = secret in self.path
            self.send_response(200 if ok else 404)
            self.send_header("Content-Length", str(len(body) if ok else 0))
            self.end_headers()
            if ok:
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    with serving(Feed) as base:
        yield f"{base}/calendar/{secret}/basic.ics"
