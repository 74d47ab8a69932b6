"""CalDAV answers real servers rarely give but a broken proxy or server can: a listing cut
short (507), objects without etag or data, a sync that never ends, a PUT answered without
an ETag, writes refused or lost, a closed port. Each is an error (or, for the missing
ETag, a read-back), never an empty calendar and never a guess. The server is a scripted
one on 127.0.0.1 that answers from a queue and records what it was asked."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from caldav.davclient import DAVClient

from syncd.calendars import resource
from syncd.calendars.base import CalendarError, ConflictError
from syncd.calendars.caldav import CalDAVCalendar, DavCache
from syncd.core.model import SeriesPatch
from tests.contracts.calendar import OWNER, PERSON, SPEC, WINDOW

CAL = "/dana/work/"
ICS = resource.new_resource(SPEC).decode()
HREF = f"{CAL}{SPEC.uid}.ics"


def multistatus(*responses: str, token: str = "") -> str:
    tail = f"<D:sync-token>{token}</D:sync-token>" if token else ""
    return (f'<?xml version="1.0"?><D:multistatus xmlns:D="DAV:" '
            f'xmlns:C="urn:ietf:params:xml:ns:caldav">{"".join(responses)}{tail}'
            "</D:multistatus>")


def answer(href: str, props: str = "", status: str = "") -> str:
    if status:
        return f"<D:response><D:href>{href}</D:href><D:status>{status}</D:status></D:response>"
    return (f"<D:response><D:href>{href}</D:href><D:propstat><D:prop>{props}</D:prop>"
            "<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>")


CALENDAR_PROPS = multistatus(answer(CAL, "<D:resourcetype><D:collection/><C:calendar/>"
                                    "</D:resourcetype><D:sync-token>t1</D:sync-token>"))
OBJECT = answer(HREF, f'<D:getetag>"e1"</D:getetag><C:calendar-data>{ICS}</C:calendar-data>')


@dataclass
class Scripted:
    """Answers each request with the next (status, headers, body) of the queue."""

    answers: list[tuple[int, dict[str, str], str]] = field(default_factory=list)
    asked: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    url: str = ""

    def then(self, status: int, body: str = "", **headers: str) -> Scripted:
        self.answers.append((status, headers, body))
        return self


@pytest.fixture
def scripted() -> Iterator[Scripted]:
    script = Scripted()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            script.asked.append((self.command, self.path, dict(self.headers)))
            status, headers, body = script.answers.pop(0) if script.answers else (500, {}, "")
            data = body.encode()
            self.send_response(status)
            if body:
                self.send_header("Content-Type", "application/xml; charset=utf-8")
            for key, value in headers.items():
                self.send_header(key.replace("_", "-"), value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_PROPFIND = do_REPORT = do_PUT = do_GET = _answer

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    script.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield script
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def calendar(url: str, cache: DavCache | None = None) -> CalDAVCalendar:
    dav = DAVClient(url=url + "/", username="dana", password="pw", auth_type="basic",
                    enable_rfc6764=False)
    return CalDAVCalendar(dav, calendar=url + CAL, default_timezone="Europe/Berlin",
                          people=(PERSON,), owner_email=OWNER.email, cache=cache)


def read_once(script: Scripted) -> CalDAVCalendar:
    """A calendar that read SPEC's resource (etag "e1") with token t1."""
    script.then(207, CALENDAR_PROPS).then(207, multistatus(OBJECT))
    cal = calendar(script.url)
    assert [s.uid for s in cal.read(*WINDOW)] == [SPEC.uid]
    return cal


def test_a_listing_cut_short_is_an_error(scripted: Scripted) -> None:
    scripted.then(207, CALENDAR_PROPS).then(207, multistatus(
        OBJECT, answer(CAL, status="HTTP/1.1 507 Insufficient Storage")))
    with pytest.raises(CalendarError, match="cut the answer short"):
        calendar(scripted.url).read(*WINDOW)


def test_an_object_without_its_data_is_an_error(scripted: Scripted) -> None:
    scripted.then(207, CALENDAR_PROPS).then(207, multistatus(
        answer(HREF, '<D:getetag>"e1"</D:getetag>')))
    with pytest.raises(CalendarError, match="came without its etag or data"):
        calendar(scripted.url).read(*WINDOW)


def test_an_object_that_is_not_icalendar_is_an_error(scripted: Scripted) -> None:
    # Text naming a roster person is kept, so it must parse (text naming no one is not
    # kept at all: it cannot hide anyone's 1:1).
    garbled = "BEGIN:VCALENDAR\nATTENDEE:mailto:alice@example.com\nBEGIN:VEVENT\n"
    scripted.then(207, CALENDAR_PROPS).then(207, multistatus(answer(
        HREF, f'<D:getetag>"e1"</D:getetag><C:calendar-data>{garbled}</C:calendar-data>')))
    with pytest.raises(CalendarError, match="cannot be read"):
        calendar(scripted.url).read(*WINDOW)


def test_a_sync_in_pages_is_followed_to_its_end(scripted: Scripted) -> None:
    first = read_once(scripted)
    scripted.then(207, multistatus(
        answer(CAL, status="HTTP/1.1 507 Insufficient Storage"), token="t2"))
    scripted.then(207, multistatus(
        answer(HREF, status="HTTP/1.1 404 Not Found"), token="t3"))
    again = calendar(scripted.url, first.cache)
    assert again.read(*WINDOW) == ()
    assert again.cache.token == "t3"


def test_a_change_listed_without_its_etag_is_an_error(scripted: Scripted) -> None:
    first = read_once(scripted)
    scripted.then(207, multistatus(answer(HREF, ""), token="t2"))
    with pytest.raises(CalendarError, match="without its etag"):
        calendar(scripted.url, first.cache).read(*WINDOW)


def test_a_sync_that_never_ends_is_an_error(scripted: Scripted) -> None:
    first = read_once(scripted)
    for _ in range(100):
        scripted.then(207, multistatus(
            answer(CAL, status="HTTP/1.1 507 Insufficient Storage"), token="t2"))
    with pytest.raises(CalendarError, match="does not end"):
        calendar(scripted.url, first.cache).read(*WINDOW)


def test_a_put_without_an_etag_reads_the_resource_back(scripted: Scripted) -> None:
    scripted.then(207, CALENDAR_PROPS).then(207, multistatus())
    cal = calendar(scripted.url)
    assert cal.read(*WINDOW) == ()
    # The server changed what it stored (so it sends no ETag): its version is read back.
    scripted.then(201).then(207, multistatus(answer(
        HREF, f'<D:getetag>"server"</D:getetag><C:calendar-data>{ICS}</C:calendar-data>')))
    assert cal.create(SPEC) == '"server"'
    method, path, headers = scripted.asked[-2]
    assert (method, path, headers["If-None-Match"]) == ("PUT", HREF, "*")


@pytest.mark.parametrize(("status", "error", "message"), [
    (412, ConflictError, "changed since it was read"),
    (404, CalendarError, "is gone"),
    (507, CalendarError, "HTTP 507"),
])
def test_a_refused_change_writes_nothing_and_says_why(
    scripted: Scripted, status: int, error: type[Exception], message: str,
) -> None:
    cal = read_once(scripted)
    scripted.then(status)
    with pytest.raises(error, match=message):
        cal.patch(SPEC.uid, SeriesPatch(summary="new"), '"e1"')
    method, _, headers = scripted.asked[-1]
    assert (method, headers["If-Match"]) == ("PUT", '"e1"')


def test_a_refused_create_says_why(scripted: Scripted) -> None:
    scripted.then(207, CALENDAR_PROPS).then(207, multistatus())
    cal = calendar(scripted.url)
    cal.read(*WINDOW)
    scripted.then(403)
    with pytest.raises(CalendarError, match=r"refused \(HTTP 403\)"):
        cal.create(SPEC)


def test_a_stale_etag_is_refused_before_any_request(scripted: Scripted) -> None:
    cal = read_once(scripted)
    asked = len(scripted.asked)
    with pytest.raises(ConflictError):
        cal.patch(SPEC.uid, SeriesPatch(summary="new"), '"older"')
    assert len(scripted.asked) == asked


def test_a_closed_port_is_an_error() -> None:
    with pytest.raises(CalendarError, match="PROPFIND failed"):
        calendar("http://127.0.0.1:9").read(*WINDOW)
