"""ICSFeed over a real local HTTP server and from files; the pre-filter; redaction."""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from syncd.backends import _cache_key, open_calendar, save_calendar_cache
from syncd.calendars.base import CalendarError, CalendarSource, WritableCalendar
from syncd.calendars.google import SyncCache
from syncd.calendars.ics import FeedCache, ICSFeed, http_url
from syncd.config import FeedCalendarConfig
from syncd.core.model import Cadence, Owner, Person, Roster, Slot
from syncd.redact import Redactor, install_redactor, redact_url
from syncd.state import State
from tests.local_http import serving

UTC = dt.UTC
WINDOW = (dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2026, 4, 1, tzinfo=UTC))
SECRET = "private-0123456789abcdef"
OWNER = "lea@example.com"


def _person(email: str, aliases: tuple[str, ...] = (), title: str = "") -> Person:
    return Person(
        name=email, email=email, cadence=Cadence("weekly", "weekly", weeks=1),
        slot=Slot(0, dt.time(10)), duration=dt.timedelta(minutes=30), aliases=aliases,
        title_pattern=title,
    )


ANN = _person("ann@example.com")


def _calendar(*events: str) -> bytes:
    body = "".join(f"BEGIN:VEVENT\r\n{e}END:VEVENT\r\n" for e in events)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\n"
        f"X-WR-TIMEZONE:Europe/Berlin\r\n{body}END:VCALENDAR\r\n"
    ).encode()


ANN_WEEKLY = (
    "UID:ann-weekly\r\nDTSTART:20260105T100000\r\nDTEND:20260105T103000\r\n"
    "RRULE:FREQ=WEEKLY;COUNT=4\r\nSUMMARY:Ann / Lea\r\n"
    "ORGANIZER:mailto:lea@example.com\r\nATTENDEE;CN=Ann:mailto:Ann@Example.com\r\n"
)
ANN_MOVED = (
    "UID:ann-weekly\r\nRECURRENCE-ID:20260112T100000\r\nDTSTART:20260113T150000\r\n"
    "DTEND:20260113T153000\r\nSUMMARY:Ann / Lea (moved)\r\n"
)
OTHER = (
    "UID:other\r\nDTSTART:20260106T100000\r\nDTEND:20260106T110000\r\nSUMMARY:Team\r\n"
    "ORGANIZER:mailto:lea@example.com\r\nATTENDEE:mailto:bob@example.com\r\n"
)
FEED = _calendar(ANN_WEEKLY, OTHER, ANN_MOVED)


# --- a real HTTP server ----------------------------------------------------------


Route = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Server:
    """A local HTTP server; `routes` answer by path, `seen` records request headers."""

    base: str
    routes: dict[str, Route] = field(default_factory=dict)
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    sent: int = 0
    broken_pipe: bool = False

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server("")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.seen.append((self.path, dict(self.headers.items())))
            state.routes[self.path](self)

        def log_message(self, format: str, *args: object) -> None:
            pass

    with serving(Handler) as base:
        state.base = base
        yield state


def _feed(url: str | None = None, path: Path | None = None, **options: object) -> ICSFeed:
    return ICSFeed(url=url, path=path, default_timezone="Europe/Berlin", people=[ANN],
                   owner_email=OWNER, **options)  # type: ignore[arg-type]


def _ics_with_etag(handler: BaseHTTPRequestHandler) -> None:
    if handler.headers.get("If-None-Match") == '"v1"':
        handler.send_response(304)
        handler.send_header("ETag", '"v1"')
        handler.end_headers()
        return
    handler.send_response(200)
    handler.send_header("Content-Type", "text/calendar")
    handler.send_header("Content-Length", str(len(FEED)))
    handler.send_header("ETag", '"v1"')
    handler.send_header("Last-Modified", "Mon, 05 Jan 2026 10:00:00 GMT")
    handler.end_headers()
    handler.wfile.write(FEED)


def test_a_feed_is_a_read_only_source() -> None:
    feed = _feed(url="https://calendar.example.com/x.ics")
    assert isinstance(feed, CalendarSource)
    assert not isinstance(feed, WritableCalendar)


def test_200_then_304_reuses_what_was_kept(server: Server) -> None:
    path = f"/{SECRET}/basic.ics"
    server.routes[path] = _ics_with_etag
    feed = _feed(url=server.url(path))

    (first,) = feed.read(*WINDOW)
    assert first.uid == "ann-weekly"
    assert [i.start.day for i in first.instances] == [5, 13, 19, 26]
    assert not feed.not_modified
    assert feed.cache.etag == '"v1"'
    assert feed.cache.last_modified == "Mon, 05 Jan 2026 10:00:00 GMT"
    assert "bob@example.com" not in feed.cache.kept  # the unrelated event was dropped

    (second,) = feed.read(*WINDOW)
    assert feed.not_modified
    assert second == first
    assert "If-None-Match" not in server.seen[0][1]
    assert server.seen[1][1]["If-None-Match"] == '"v1"'
    assert server.seen[1][1]["If-Modified-Since"] == "Mon, 05 Jan 2026 10:00:00 GMT"


def test_a_cache_from_an_earlier_process_is_used(server: Server) -> None:
    path = f"/{SECRET}/basic.ics"
    server.routes[path] = _ics_with_etag
    first = _feed(url=server.url(path))
    series = first.read(*WINDOW)

    later = _feed(url=server.url(path), cache=first.cache)
    assert later.read(*WINDOW) == series
    assert later.not_modified
    assert server.seen[1][1]["If-None-Match"] == '"v1"'


def test_same_body_without_etag_is_not_modified(server: Server) -> None:
    def plain(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(FEED)))
        handler.end_headers()
        handler.wfile.write(FEED)

    server.routes["/plain.ics"] = plain
    feed = _feed(url=server.url("/plain.ics"))
    series = feed.read(*WINDOW)
    assert not feed.not_modified
    assert feed.read(*WINDOW) == series
    assert feed.not_modified
    assert "If-None-Match" not in server.seen[1][1]


def _message(feed: ICSFeed) -> str:
    with pytest.raises(CalendarError) as info:
        feed.read(*WINDOW)
    message = str(info.value)
    assert SECRET not in message and "\n" not in message
    assert message.startswith(f"ics feed {server_root(feed)}/…: ")
    return message


def server_root(feed: ICSFeed) -> str:
    return feed.name.removeprefix("ics feed ").removesuffix("/…")


def test_server_error_is_a_calendar_error(server: Server) -> None:
    def failing(handler: BaseHTTPRequestHandler) -> None:
        handler.send_error(500, "Internal Server Error")

    server.routes[f"/{SECRET}"] = failing
    assert _message(_feed(url=server.url(f"/{SECRET}"))).endswith(
        "HTTP 500 Internal Server Error")


def test_a_redirect_loop_is_a_calendar_error(server: Server) -> None:
    def loop(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", f"/{SECRET}")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    server.routes[f"/{SECRET}"] = loop
    assert _message(_feed(url=server.url(f"/{SECRET}"))).endswith("more than 5 redirects")
    assert len(server.seen) == 6


def test_a_body_cut_short_is_a_calendar_error(server: Server) -> None:
    def cut(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(FEED)))
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(FEED[: len(FEED) // 2])
        handler.close_connection = True

    server.routes[f"/{SECRET}"] = cut
    assert "connection dropped" in _message(_feed(url=server.url(f"/{SECRET}")))


def test_a_huge_body_is_refused_without_reading_it_all(server: Server) -> None:
    size = 50_000_000
    block = b"X" * 65536

    def huge(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(size))
        handler.end_headers()
        try:
            while server.sent < size:
                handler.wfile.write(block)
                server.sent += len(block)
        except (BrokenPipeError, ConnectionResetError):
            server.broken_pipe = True
        finally:
            server.done.set()

    server.routes[f"/{SECRET}"] = huge
    assert _message(_feed(url=server.url(f"/{SECRET}"))).endswith(
        "larger than 20000000 bytes")
    assert server.done.wait(10)
    assert server.broken_pipe
    assert server.sent < size


def test_a_body_that_is_not_a_calendar_is_refused(server: Server) -> None:
    def html(handler: BaseHTTPRequestHandler) -> None:
        page = b"<html>login</html>"
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(page)))
        handler.end_headers()
        handler.wfile.write(page)

    server.routes[f"/{SECRET}"] = html
    assert _message(_feed(url=server.url(f"/{SECRET}"))).endswith("truncated or not a calendar")


def test_an_unreachable_server_is_a_calendar_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    feed = _feed(url=f"http://127.0.0.1:{port}/{SECRET}", timeout=2)
    assert _message(feed).endswith("cannot connect or connection dropped")


def test_http_url_reads_webcal_as_https_and_refuses_other_schemes() -> None:
    assert http_url("webcal://p01.example.com/x?token=1") == "https://p01.example.com/x?token=1"
    assert http_url("WEBCAL://p01.example.com/x") == "https://p01.example.com/x"
    assert http_url("http://example.com/a.ics") == "http://example.com/a.ics"
    for bad in ("file:///etc/passwd", "ftp://example.com/a.ics", "example.com/a.ics"):
        with pytest.raises(CalendarError, match="only http"):
            http_url(bad)
    with pytest.raises(CalendarError, match="only http"):
        _feed(url="file:///etc/passwd")


def test_a_feed_needs_exactly_one_source(tmp_path: Path) -> None:
    with pytest.raises(CalendarError, match="exactly one"):
        _feed()
    with pytest.raises(CalendarError, match="exactly one"):
        _feed(url="https://example.com/x", path=tmp_path / "x.ics")


# --- files -------------------------------------------------------------------------


def _file(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "team.ics"
    path.write_bytes(data)
    return path


def test_a_file_feed_is_not_modified_until_its_bytes_change(tmp_path: Path) -> None:
    path = _file(tmp_path, FEED)
    feed = _feed(path=path)
    assert feed.name == f"ics file {path}"
    series = feed.read(*WINDOW)
    assert not feed.not_modified
    assert feed.read(*WINDOW) == series and feed.not_modified
    remembered = FeedCache(sha256=feed.cache.sha256, kept=feed.cache.kept,
                           wanted=feed.cache.wanted)
    later = _feed(path=path, cache=remembered)
    assert later.read(*WINDOW) == series and later.not_modified
    path.write_bytes(FEED.replace(b"SUMMARY:Ann / Lea\r\n", b"SUMMARY:Ann and Lea\r\n"))
    (changed,) = feed.read(*WINDOW)
    assert not feed.not_modified
    assert changed.summary == "Ann and Lea"


def test_a_file_larger_than_max_bytes_is_refused(tmp_path: Path) -> None:
    feed = _feed(path=_file(tmp_path, FEED), max_bytes=100)
    with pytest.raises(CalendarError, match="larger than 100 bytes"):
        feed.read(*WINDOW)


def test_a_truncated_file_is_refused(tmp_path: Path) -> None:
    feed = _feed(path=_file(tmp_path, FEED[: len(FEED) - 30]))
    with pytest.raises(CalendarError, match="truncated or not a calendar"):
        feed.read(*WINDOW)


def test_a_missing_file_is_a_calendar_error(tmp_path: Path) -> None:
    with pytest.raises(CalendarError, match="cannot read"):
        _feed(path=tmp_path / "nope.ics").read(*WINDOW)


# --- the pre-filter -------------------------------------------------------------------


def _kept_uids(tmp_path: Path, data: bytes, *people: Person) -> list[str]:
    feed = ICSFeed(url=None, path=_file(tmp_path, data), default_timezone="Europe/Berlin",
                   people=people, owner_email=OWNER)
    return [s.uid for s in feed.read(*WINDOW)]


def test_overrides_without_attendees_are_kept_with_their_series(tmp_path: Path) -> None:
    (series,) = _feed(path=_file(tmp_path, FEED)).read(*WINDOW)
    moved = [i for i in series.instances if i.overridden]
    assert [(i.recurrence_id.day, i.start.day) for i in moved] == [(12, 13)]


def test_what_makes_an_event_relevant(tmp_path: Path) -> None:
    event = "DTSTART:20260107T100000Z\r\nDURATION:PT30M\r\n"
    data = _calendar(
        f"UID:folded\r\n{event}ATTENDEE;CN=Somebody with a long name;PARTSTAT=ACCEPTED:mai\r\n"
        " lto:an\r\n n@example.com\r\n",
        f"UID:alias\r\n{event}ATTENDEE:mailto:ANN.PRIVATE@example.org\r\n",
        f"UID:title\r\n{event}SUMMARY:1:1 Ann\\, weekly\r\n",
        f"UID:marker\r\n{event}X-SYNCD-ID:0123456789abcdef-1\r\n",
        f"UID:alarm-only\r\n{event}BEGIN:VALARM\r\nACTION:EMAIL\r\n"
        "ATTENDEE:mailto:ann@example.com\r\nTRIGGER:-PT10M\r\nEND:VALARM\r\n",
        f"UID:owner-only\r\n{event}ORGANIZER:mailto:lea@example.com\r\n",
        f"UID:similar\r\n{event}ATTENDEE:mailto:joann@example.com\r\n",
        f"{event}ATTENDEE:mailto:ann@example.com\r\n",
    )
    ann = _person("ann@example.com", aliases=("ann.private@example.org",), title=r"1:1 ann,")
    assert _kept_uids(tmp_path, data, ann, _person(OWNER)) == [
        "alias", "folded", "marker", "team.ics#8", "title",
    ]


def test_header_and_time_zones_are_kept(tmp_path: Path) -> None:
    data = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-TIMEZONE:America/New_York\r\n"
        b"BEGIN:VTIMEZONE\r\nTZID:Custom\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n"
        b"TZOFFSETFROM:+0300\r\nTZOFFSETTO:+0300\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
        b"BEGIN:VEVENT\r\nUID:floating\r\nDTSTART:20260105T100000\r\nDURATION:PT1H\r\n"
        b"ATTENDEE:mailto:ann@example.com\r\nEND:VEVENT\r\n"
        b"BEGIN:VEVENT\r\nUID:custom\r\nDTSTART;TZID=Custom:20260105T100000\r\n"
        b"DURATION:PT1H\r\nATTENDEE:mailto:ann@example.com\r\nEND:VEVENT\r\n"
        b"END:VCALENDAR\r\n"
    )
    custom, floating = _feed(path=_file(tmp_path, data)).read(*WINDOW)
    assert floating.timezone == "America/New_York"
    assert floating.start.utcoffset() == dt.timedelta(hours=-5)
    assert custom.start.utcoffset() == dt.timedelta(hours=3)


def test_two_calendars_in_one_feed_are_refused(tmp_path: Path) -> None:
    with pytest.raises(CalendarError, match="more than one VCALENDAR"):
        _feed(path=_file(tmp_path, FEED + FEED)).read(*WINDOW)


# --- redaction ----------------------------------------------------------------------


def test_redact_url_keeps_scheme_host_and_port() -> None:
    assert redact_url(f"https://calendar.google.com/calendar/ical/{SECRET}/basic.ics") == (
        "https://calendar.google.com/…"
    )
    assert redact_url(f"http://127.0.0.1:8080/{SECRET}?token=1") == "http://127.0.0.1:8080/…"
    assert redact_url(f"https://user:{SECRET}@example.com/") == "https://example.com/…"
    assert redact_url("not a url") == "…"


def test_a_log_line_never_shows_the_feed_path(caplog: pytest.LogCaptureFixture) -> None:
    url = f"https://calendar.example.com/ical/{SECRET}/basic.ics"
    redactor = install_redactor()
    try:
        assert install_redactor() is redactor
        assert all(
            sum(isinstance(f, Redactor) for f in h.filters) == 1
            for h in logging.getLogger().handlers
        )
        redactor.add(url)
        with caplog.at_level(logging.INFO):
            logging.getLogger("syncd.test").info("fetching %s (try %d)", url, 1)
        assert SECRET not in caplog.text
        assert "fetching https://calendar.example.com/… (try 1)" in caplog.text
    finally:
        for handler in logging.getLogger().handlers:
            handler.removeFilter(redactor)


def test_open_calendar_gives_a_feed_for_kind_ics(tmp_path: Path) -> None:
    path = _file(tmp_path, FEED)
    roster = Roster(Owner("Lea", OWNER), "Europe/Berlin", (ANN,))
    config = FeedCalendarConfig(kind="ics", path=path, timeout=5.0, max_bytes=len(FEED))
    calendar = open_calendar(config, roster)
    assert isinstance(calendar, ICSFeed)
    assert [s.uid for s in calendar.read(*WINDOW)] == ["ann-weekly"]


# --- what is kept between runs ---------------------------------------------------------


def test_one_off_events_over_before_the_window_are_left_out(tmp_path: Path) -> None:
    ann = "ATTENDEE:mailto:ann@example.com\r\n"
    data = _calendar(
        f"UID:long-over\r\nDTSTART:20250601T100000Z\r\nDTEND:20250601T110000Z\r\n{ann}",
        f"UID:just-over\r\nDTSTART:20251230T100000Z\r\nDTEND:20251230T110000Z\r\n{ann}",
        f"UID:day-before\r\nDTSTART:20251229T100000Z\r\nDTEND:20251229T110000Z\r\n{ann}",
        f"UID:reaching-in\r\nDTSTART;VALUE=DATE:20251215\r\nDURATION:P20D\r\n{ann}",
        f"UID:old-series\r\nDTSTART:20250106T100000Z\r\nDURATION:PT1H\r\n"
        f"RRULE:FREQ=WEEKLY;UNTIL=20250301T000000Z\r\n{ann}",
        f"UID:moved-in\r\nRECURRENCE-ID:20251201T100000Z\r\nDTSTART:20260102T100000Z\r\n"
        f"DTEND:20260102T110000Z\r\n{ann}",
        f"UID:inside\r\nDTSTART:20260110T100000Z\r\nDTEND:20260110T110000Z\r\n{ann}",
    )
    feed = _feed(path=_file(tmp_path, data))
    uids = [s.uid for s in feed.read(*WINDOW)]
    # Two days of margin (more than any UTC offset): Dec 30 is still parsed for Jan 1.
    assert uids == ["inside", "just-over", "moved-in", "old-series", "reaching-in"]
    assert "long-over" not in feed.cache.kept and "day-before" not in feed.cache.kept
    assert feed.cache.since == "2025-12-30"


def test_a_window_earlier_than_the_cache_reads_the_feed_again(server: Server) -> None:
    past = ("UID:past\r\nDTSTART:20250601T100000Z\r\nDTEND:20250601T110000Z\r\n"
            "ATTENDEE:mailto:ann@example.com\r\n")
    body = _calendar(ANN_WEEKLY, past)

    def with_etag(handler: BaseHTTPRequestHandler) -> None:
        if handler.headers.get("If-None-Match") == '"v1"':
            handler.send_response(304)
            handler.end_headers()
            return
        handler.send_response(200)
        handler.send_header("ETag", '"v1"')
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    server.routes["/feed.ics"] = with_etag
    feed = _feed(url=server.url("/feed.ics"))
    assert [s.uid for s in feed.read(*WINDOW)] == ["ann-weekly"]
    earlier = (dt.datetime(2025, 5, 1, tzinfo=UTC), WINDOW[1])
    assert [s.uid for s in feed.read(*earlier)] == ["ann-weekly", "past"]
    assert "If-None-Match" not in server.seen[1][1]


def test_an_unchanged_feed_is_not_parsed_again_in_a_new_process(tmp_path: Path) -> None:
    path = _file(tmp_path, FEED)
    first = _feed(path=path)
    series = first.read(*WINDOW)
    later_window = (WINDOW[0] + dt.timedelta(days=3), WINDOW[1] + dt.timedelta(days=3))
    expected = _feed(path=path).read(*later_window)

    # The kept text is spoiled: any parse would fail, so these reads used the stored Series.
    stored = replace(first.cache, kept="BEGIN:VCALENDAR\r\nnot ics")
    assert _feed(path=path, cache=stored).read(*WINDOW) == series
    assert _feed(path=path, cache=stored).read(*later_window) == expected

    beyond = (WINDOW[0], WINDOW[1] + dt.timedelta(days=8))
    with pytest.raises(CalendarError, match=r"not a valid calendar|truncated"):
        _feed(path=path, cache=stored).read(*beyond)
    assert _feed(path=path, cache=first.cache).read(*beyond) == _feed(path=path).read(*beyond)


# --- cache versions --------------------------------------------------------------------


def test_a_cache_of_another_version_is_an_empty_cache(tmp_path: Path) -> None:
    path = _file(tmp_path, FEED)
    config = FeedCalendarConfig(kind="ics", path=path)
    roster = Roster(Owner("Lea", OWNER), "Europe/Berlin", (ANN,))
    state = State.open(tmp_path / "state")
    try:
        first = open_calendar(config, roster, state)
        series = first.read(*WINDOW)
        with state.transaction():
            save_calendar_cache(state, config, first)
        key = _cache_key(config)
        stored = state.get_value(key)
        assert stored is not None
        kept = open_calendar(config, roster, state)
        assert isinstance(kept, ICSFeed) and kept.read(*WINDOW) == series and kept.not_modified

        # Stored by another syncd: a newer cache shape, then the one from before versions.
        newer = stored.replace(f'"version":{FeedCache.VERSION}', '"version":99')
        older = json.dumps(asdict(FeedCache.from_json(stored) or FeedCache()))
        for text in (newer, older, "not json"):
            with state.transaction():
                state.set_value(key, text)
            fresh = open_calendar(config, roster, state)
            assert isinstance(fresh, ICSFeed) and not fresh.cache.kept
            assert fresh.read(*WINDOW) == series and not fresh.not_modified
    finally:
        state.close()


def test_a_cache_kept_for_another_roster_is_an_empty_cache(tmp_path: Path) -> None:
    """The kept text holds only the events the roster then needed: a person added since
    must not look like a person without a 1:1 (export would offer them a second one)."""
    bob = _person("bob@example.com")
    path = _file(tmp_path, FEED)
    first = _feed(path=path)
    assert "bob@example.com" not in {a.email for s in first.read(*WINDOW) for a in s.attendees}
    cache = FeedCache.from_json(first.cache_json())
    grown = ICSFeed(url=None, path=path, default_timezone="Europe/Berlin", people=[ANN, bob],
                    owner_email=OWNER, cache=cache)
    fresh = ICSFeed(url=None, path=path, default_timezone="Europe/Berlin", people=[ANN, bob],
                    owner_email=OWNER)
    series = grown.read(*WINDOW)
    assert not grown.not_modified
    assert series == fresh.read(*WINDOW)
    assert "bob@example.com" in {a.email for s in series for a in s.attendees}


def test_the_google_sync_cache_is_versioned_too() -> None:
    cache = SyncCache("token-1", "roster-1", {"e1": {"id": "e1", "etag": '"1"'}})
    assert SyncCache.from_json(cache.to_json()) == cache
    assert SyncCache.from_json(cache.to_json().replace(
        f'"version":{SyncCache.VERSION}', '"version":0')) is None
    # What syncd stored before caches had a version: read everything again.
    assert SyncCache.from_json(json.dumps({"token": "t", "roster": "r", "events": {}})) is None

