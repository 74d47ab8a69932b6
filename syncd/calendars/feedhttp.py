"""Fetching a feed over HTTP(S): a conditional GET, a size cap, and one deadline for the
whole fetch. Imported only for a feed given by URL: a feed read from a file (and every
other command) never loads requests and urllib3.
"""

from __future__ import annotations

import contextlib
import io
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter

from syncd.calendars.base import CalendarError

_MAX_REDIRECTS = 5
_CHUNK = 64 * 1024
# `timeout` bounds each wait for the server, so a server that trickles a byte now and
# then (a slow-loris feed) would hold a run forever: the whole fetch, headers included,
# gets this many timeouts at most before its sockets are shut down.
_DEADLINE_FACTOR = 10


@dataclass(frozen=True)
class Fetched:
    """What one fetch got."""

    body: bytes | None  # None: not modified since the cached read
    etag: str
    last_modified: str


class FeedHTTP:
    """GETs of one feed URL through one session whose sockets the deadline can shut."""

    def __init__(self, url: str, name: str, timeout: float, max_bytes: int) -> None:
        """`name` (secret-free) is what messages call the feed."""
        self._url = url
        self.name = name
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._session = requests.Session()
        self._session.max_redirects = _MAX_REDIRECTS
        for prefix in ("http://", "https://"):
            self._session.mount(prefix, _WatchedAdapter())

    def get(self, etag: str, last_modified: str, *, conditional: bool) -> Fetched:
        """The body and its validators; body None when the server answers 304 to a
        conditional request (`conditional`: the caller still holds the last body)."""
        headers = {"Accept": "text/calendar, */*;q=0.5", "User-Agent": "syncd"}
        if conditional:
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
        deadline = self._timeout * _DEADLINE_FACTOR
        with _deadline(deadline) as expired:
            try:
                fetched = self._get(headers, etag, last_modified, conditional)
            except CalendarError:
                if not expired.is_set():
                    raise
            else:
                if not expired.is_set():
                    return fetched
            # The sockets were shut down under the request: what it raised says
            # "connection dropped", or a body without Content-Length looks complete.
            raise CalendarError(
                f"{self.name}: not complete within {deadline:g} seconds (the server "
                "keeps sending slowly)")

    def _get(self, headers: dict[str, str], etag: str, last_modified: str,
             conditional: bool) -> Fetched:
        try:
            with self._session.get(
                self._url, headers=headers, timeout=(self._timeout, self._timeout), stream=True
            ) as response:
                if response.status_code == 304 and conditional:
                    return Fetched(None, etag, last_modified)
                if response.status_code != 200:
                    reason = " ".join(str(response.reason or "").split())[:80]
                    status = f"HTTP {response.status_code} {reason}".rstrip()
                    raise CalendarError(f"{self.name}: {status}")
                body = self._body(response)
                return Fetched(
                    body,
                    response.headers.get("ETag", ""),
                    response.headers.get("Last-Modified", ""),
                )
        # requests' own messages quote the URL, secret path included: never show them.
        except requests.TooManyRedirects:
            raise CalendarError(f"{self.name}: more than {_MAX_REDIRECTS} redirects") from None
        except requests.Timeout:
            raise CalendarError(
                f"{self.name}: no answer within {self._timeout:g} seconds"
            ) from None
        except requests.exceptions.ChunkedEncodingError:
            raise CalendarError(f"{self.name}: connection dropped before the end") from None
        except requests.ConnectionError:
            raise CalendarError(f"{self.name}: cannot connect or connection dropped") from None
        except requests.RequestException as exc:
            raise CalendarError(f"{self.name}: request failed ({type(exc).__name__})") from None

    def _body(self, response: requests.Response) -> bytes:
        """The whole body, refused as soon as it is larger than max_bytes."""
        buffer = io.BytesIO()
        for chunk in response.iter_content(_CHUNK):
            buffer.write(chunk)
            if buffer.tell() > self._max_bytes:
                raise CalendarError(f"{self.name}: larger than {self._max_bytes} bytes")
        body = buffer.getvalue()
        declared = response.headers.get("Content-Length", "")
        # With Content-Encoding the header counts compressed bytes, not these.
        if declared.isdigit() and "Content-Encoding" not in response.headers and (
            len(body) < int(declared)
        ):
            raise CalendarError(
                f"{self.name}: got {len(body)} of {declared} bytes (connection dropped)"
            )
        return body


# --- the total deadline ---------------------------------------------------------

# The deadline of the fetch running in this thread; connections register their sockets
# with it as they open them (requests gives no other hold on the socket while it
# waits for headers).
_current = threading.local()


class _Deadline:
    """Shuts down every socket registered with it once `seconds` have passed."""

    def __init__(self) -> None:
        self.expired = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired.is_set():
                _shut(sock)

    def expire(self) -> None:
        with self._lock:
            self.expired.set()
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    # shutdown, not close: it wakes a recv blocked in the fetching thread (close may not).
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[threading.Event]:
    """Within the block, connections this thread opens are shut down after `seconds`;
    yields the event set when that happened."""
    deadline = _Deadline()
    timer = threading.Timer(seconds, deadline.expire)
    timer.daemon = True
    _current.deadline = deadline
    timer.start()
    try:
        yield deadline.expired
    finally:
        timer.cancel()
        _current.deadline = None


def _watched(sock: socket.socket) -> socket.socket:
    deadline: _Deadline | None = getattr(_current, "deadline", None)
    if deadline is not None:
        deadline.watch(sock)
    return sock


class _HTTPConnection(urllib3.connection.HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _watched(super()._new_conn())


class _HTTPSConnection(urllib3.connection.HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _watched(super()._new_conn())


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class _WatchedAdapter(HTTPAdapter):
    """requests' adapter with connections whose sockets the fetch's deadline can shut."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
