"""A feed that never ends: syncd gives up, and the server sees it stop reading.

The servers count what they sent and notice the client closing; the assertions are on
those counts, never on how long anything took. `timeout: 0.1` makes the whole-fetch
deadline (ten timeouts) one second, so a trickle of a byte every 20 ms never trips the
per-read timeout and only the deadline can end the fetch.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

import pytest

from tests.hostile.conftest import Feed
from tests.workspace import Workspace

TRICKLE = 0.02  # seconds between two bytes of a slow server: well under `timeout`
# A server stops by itself after this much, so a syncd without a deadline fails the
# test (the client never hangs up) instead of hanging it. Twenty seconds of trickle.
GIVE_UP = 1_000


@dataclass
class Sender:
    """What a never-ending handler sent, and whether the client went away."""

    sent: int = 0
    gone: threading.Event = field(default_factory=threading.Event)


def endless(feed: Feed, head: bytes, byte: bytes, pause: float, sender: Sender) -> None:
    """Answer with `head`, then `byte` every `pause` seconds (0: as fast as the client
    reads) until the client closes the connection or the test ends."""

    def answer(request: BaseHTTPRequestHandler) -> None:
        try:
            request.wfile.write(head)
            sender.sent += len(head)
            chunk = byte * (1 if pause else 65536)
            while not feed.done.wait(pause) and (not pause or sender.sent < GIVE_UP):
                request.wfile.write(chunk)
                sender.sent += len(chunk)
        except OSError:  # broken pipe or reset: the client stopped reading
            sender.gone.set()

    feed.handler = answer


CALENDAR_HEAD = (b"HTTP/1.0 200 OK\r\nContent-Type: text/calendar\r\n\r\n"
                 b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-PADDING:")


@pytest.mark.parametrize("phase", ["body", "headers"])
def test_a_slow_loris_feed_is_abandoned_at_the_deadline(ws: Workspace, feed: Feed,
                                                        phase: str) -> None:
    sender = Sender()
    head = CALENDAR_HEAD if phase == "body" else b"HTTP/1.0 200 OK\r\nX-Padding: "
    endless(feed, head, b"x", TRICKLE, sender)
    ws.write_config(calendar=f"{{kind: ics, url: '{feed.base}/private.ics', timeout: 0.1}}")
    before = ws.files()
    run = ws.syncd("reconcile", "--json")
    assert run.code == 1, run.err
    (warning,) = [w for w in run.json()["warnings"] if "not read" in w]
    assert f"ics feed {feed.base}/…: not complete within 1 seconds" in warning
    assert "private.ics" not in run.out + run.err
    # syncd closed the connection: the server's next write failed. About 50 bytes went
    # out in that second; far fewer than the 20 MB max_bytes would ever have stopped.
    assert sender.gone.wait(10)
    assert sender.sent < GIVE_UP / 2
    assert {k for k in ws.files() if not k.startswith(("state/", "notes/"))} == set(before)


def test_a_fast_endless_feed_stops_at_max_bytes(ws: Workspace, feed: Feed) -> None:
    sender = Sender()
    endless(feed, CALENDAR_HEAD, b"x", 0, sender)
    ws.write_config(calendar=f"{{kind: ics, url: '{feed.base}/private.ics', "
                             "max_bytes: 1000000}")
    run = ws.syncd("reconcile", "--json")
    assert run.code == 1, run.err
    assert any("larger than 1000000 bytes" in w for w in run.json()["warnings"])
    assert sender.gone.wait(10)
    # What was read plus what the loopback socket buffers held when syncd hung up.
    assert sender.sent < 1_000_000 + 16_000_000
