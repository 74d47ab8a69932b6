"""HTTP requests and wall time of `syncd reconcile` against a real Radicale server.

Radicale runs as a subprocess on 127.0.0.1 (tests/caldav_servers.py) behind a small
counting proxy, so every request syncd's client sends is seen on the wire. Notes are
Markdown files (no requests). For rosters of 10 and 100 people it measures, each run its
own `syncd` process:

- the first reconcile (discover the calendar, read the window, create a series per
  person, attach the notes link, first agenda),
- a no-change reconcile right after (target: 1 request, the sync-collection REPORT),
- one person changed in the roster (a new duration: the REPORT and one PUT).

The reference, measured in the same run: the same three runs on the local calendar.
Usage: python bench/caldav_requests.py [SIZES...]
"""

from __future__ import annotations

import http.client
import os
import sys
import tempfile
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from child import run_child

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.caldav_servers import PASSWORD, USER, radicale  # noqa: E402

NOW = "2026-11-25T09:00:00+01:00"
DAYS = ("mon", "tue", "wed", "thu", "fri")
CADENCES = ("weekly", "biweekly", "monthly")
PASSWORD_ENV = "SYNCD_BENCH_CALDAV_PASSWORD"


class CountingProxy(ThreadingHTTPServer):
    """Forwards every request to `target` and counts them by method."""

    def __init__(self, target: str) -> None:
        self.target = urlsplit(target)
        self.seen: Counter[str] = Counter()
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Forward)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


class _Forward(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: CountingProxy

    def _forward(self) -> None:
        with self.server.lock:
            self.server.seen[self.command] += 1
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        target = self.server.target
        upstream = http.client.HTTPConnection(target.hostname or "", target.port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        upstream.request(self.command, self.path, body=body, headers=headers)
        answer = upstream.getresponse()
        data = answer.read()
        self.send_response(answer.status, answer.reason)
        for key, value in answer.getheaders():
            if key.lower() not in ("transfer-encoding", "content-length", "connection"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        upstream.close()

    do_GET = do_PUT = do_PROPFIND = do_REPORT = do_DELETE = do_OPTIONS = _forward

    def log_message(self, format: str, *args: object) -> None:
        pass


def write_roster(folder: Path, calendar: str, n: int, changed: int | None = None) -> Path:
    """A roster of n people on distinct slots; person `changed` gets 30 minutes."""
    lines = [
        "owner: {name: Dana Lead, email: dana@example.com}",
        "timezone: Europe/Berlin",
        f"calendar: {calendar}",
        "notes: {kind: markdown, path: notes}",
        "state_dir: state",
        f"max_changes: {4 * n + 10}",
        "people:",
    ]
    for i in range(n):
        day, hour, minute = i % 5, 8 + (i // 5) % 9, 15 * ((i // 45) % 4)
        cadence = CADENCES[i % 3]
        week = ", week: 2" if cadence == "monthly" else ""
        duration = "30m" if i == changed else "45m"
        lines.append(
            f"  - {{name: Person {i}, email: p{i}@example.com, cadence: {cadence}, "
            f"duration: {duration}, slot: {{day: {DAYS[day]}, "
            f"time: \"{hour:02d}:{minute:02d}\"{week}}}}}")
    path = folder / "config.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def syncd(config: Path) -> float:
    seconds, _, _ = run_child([str(ROOT / ".venv" / "bin" / "syncd"), "reconcile", "--config",
                               str(config), "--now", NOW])
    return seconds


def three_runs(folder: Path, calendar: str, n: int,
               proxy: CountingProxy | None) -> list[tuple[str, float, int, str]]:
    """(run, seconds, requests, by method) for first, no-change and one-change runs."""
    rows = []
    for name, changed in (("first", None), ("no change", None), ("one change", 0)):
        config = write_roster(folder, calendar, n, changed)
        before = Counter(proxy.seen) if proxy else Counter()
        seconds = syncd(config)
        seen = (Counter(proxy.seen) - before) if proxy else Counter()
        methods = " ".join(f"{m}={c}" for m, c in sorted(seen.items()))
        rows.append((name, seconds, sum(seen.values()), methods))
    return rows


def main(sizes: list[int]) -> None:
    os.environ[PASSWORD_ENV] = PASSWORD
    print(f"{'people':>6}  {'backend':<9} {'run':<11} {'seconds':>8} {'requests':>9}  by method")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp, radicale(Path(tmp) / "radicale") as server:
            proxy = CountingProxy(server.root)
            thread = threading.Thread(target=proxy.serve_forever, args=(0.05,), daemon=True)
            thread.start()
            try:
                dav = (f"{{kind: caldav, url: '{proxy.url}', username: {USER}, "
                       f"password_env: {PASSWORD_ENV}, calendar: Work}}")
                folder = Path(tmp) / "caldav"
                folder.mkdir()
                for run, seconds, count, methods in three_runs(folder, dav, n, proxy):
                    print(f"{n:>6}  {'caldav':<9} {run:<11} {seconds:>8.2f} {count:>9}  "
                          f"{methods}")
            finally:
                proxy.shutdown()
                proxy.server_close()
                thread.join()
            local = Path(tmp) / "local"
            (local / "calendar").mkdir(parents=True)
            for run, seconds, _, _ in three_runs(local, "{kind: local, path: calendar}", n,
                                                 None):
                print(f"{n:>6}  {'local':<9} {run:<11} {seconds:>8.2f} {'-':>9}  (reference)")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10, 100])
