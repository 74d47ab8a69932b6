"""Real CalDAV servers for tests: Radicale (htpasswd, no failed-login delay) and Xandikos
(no auth: it accepts Basic auth only behind TLS), each a subprocess on 127.0.0.1 at a free
port, stopped with the test. Each server starts with one empty calendar, "Work".
"""

from __future__ import annotations

import base64
import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

USER = "dana"
PASSWORD = "correct horse battery staple"
CALENDAR = "Work"


@dataclass
class Server:
    """A running CalDAV server and where its pieces are."""

    kind: str  # "radicale" or "xandikos"
    root: str  # http://127.0.0.1:PORT/
    calendar_url: str  # the "Work" calendar
    home_url: str  # the calendar home holding it
    password: str  # "" when the server asks for none
    process: subprocess.Popen[bytes]

    @property
    def username(self) -> str:
        return USER


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    """Until the server answers HTTP at all (a 401 counts); fails if it died."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server at {url} did not start")


def _mkcalendar(url: str, auth: tuple[str, str] | None, name: str = CALENDAR) -> None:
    body = (b'<?xml version="1.0" encoding="utf-8"?>'
            b'<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set>'
            b'<D:prop><D:displayname>' + name.encode() + b'</D:displayname></D:prop>'
            b'</D:set></C:mkcalendar>')
    request = urllib.request.Request(url, data=body, method="MKCALENDAR",
                                     headers={"Content-Type": "application/xml"})
    if auth is not None:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    urllib.request.urlopen(request, timeout=5).close()


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def radicale(folder: Path) -> Iterator[Server]:
    """Radicale with one htpasswd user (plain text file: a test fixture) and delay 0."""
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    users = folder / "users"
    users.write_text(f"{USER}:{PASSWORD}\n")
    command = [sys.executable, "-m", "radicale", "--hosts", f"127.0.0.1:{port}",
               "--storage-filesystem-folder", str(folder / "collections"),
               "--auth-type", "htpasswd", "--auth-htpasswd-filename", str(users),
               "--auth-htpasswd-encryption", "plain", "--auth-delay", "0",
               "--rights-type", "owner_only", "--logging-level", "warning",
               "--config", ""]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env={**os.environ, "PYTHONWARNINGS": "ignore"})
    try:
        root = f"http://127.0.0.1:{port}/"
        _wait(root, process)
        home = f"{root}{USER}/"
        calendar = f"{home}work/"
        _mkcalendar(calendar, (USER, PASSWORD))
        yield Server("radicale", root, calendar, home, PASSWORD, process)
    finally:
        _stop(process)


@contextlib.contextmanager
def xandikos(folder: Path) -> Iterator[Server]:
    """Xandikos with its default principal /user/ and a "Work" calendar beside the default."""
    port = free_port()
    command = [sys.executable, "-m", "xandikos", "serve", "-d", str(folder), "--defaults",
               "-l", "127.0.0.1", "-p", str(port), "--no-detect-systemd",
               "--state-dir", str(folder / ".state")]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        root = f"http://127.0.0.1:{port}/"
        _wait(root, process)
        home = f"{root}user/calendars/"
        calendar = f"{home}work/"
        _mkcalendar(calendar, None)
        yield Server("xandikos", root, calendar, home, "", process)
    finally:
        _stop(process)


SERVERS = {"radicale": radicale, "xandikos": xandikos}


def new_calendar(server: Server, name: str) -> str:
    """Another empty calendar on `server` (MKCALENDAR); its URL."""
    url = f"{server.home_url}{name}/"
    _mkcalendar(url, (USER, server.password) if server.password else None, name)
    return url
