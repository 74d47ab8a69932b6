"""How the CalDAV calendar finds its calendar and reads it again, on Radicale and Xandikos:
discovery by name from the server root (and its errors), a sync token the server no
longer knows, and the ctag + etags fallback of servers without sync tokens, each with the
requests it costs counted on the wire."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

import pytest

from syncd.calendars.base import CalendarError
from syncd.calendars.caldav import CalDAVCalendar, DavCache
from tests.caldav_servers import SERVERS, Server
from tests.contracts.caldav import CalDAVHarness, client
from tests.contracts.calendar import FIRST, OWNER, PERSON, SPEC, WEEK, WINDOW, one


@pytest.fixture(scope="module", params=sorted(SERVERS))
def server(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    kind = str(request.param)
    with SERVERS[kind](tmp_path_factory.mktemp(kind)) as running:
        yield running


def at_root(server: Server, calendar: str | None,
            cache: DavCache | None = None) -> CalDAVCalendar:
    """The calendar as a config naming the server root (and `calendar:`) opens it."""
    return CalDAVCalendar(client(server), calendar=calendar, default_timezone="Europe/Berlin",
                          people=(PERSON,), owner_email=OWNER.email, cache=cache)


def test_a_calendar_is_found_by_its_name_from_the_server_root(server: Server) -> None:
    harness = CalDAVHarness(server)
    harness.calendar.create(SPEC)
    calendar = at_root(server, harness.name)
    assert [s.uid for s in calendar.read(*WINDOW)] == [SPEC.uid]
    assert calendar.cache.url == harness.url


def test_the_calendar_url_itself_needs_no_name(server: Server) -> None:
    harness = CalDAVHarness(server)
    harness.calendar.create(SPEC)
    dav = client(server)
    dav.url = dav.url.join(harness.url)  # the config's url: is the calendar
    calendar = CalDAVCalendar(dav, calendar=None, default_timezone="Europe/Berlin",
                              people=(PERSON,), owner_email=OWNER.email)
    assert [s.uid for s in calendar.read(*WINDOW)] == [SPEC.uid]


def test_an_unknown_or_missing_calendar_name_lists_the_calendars(server: Server) -> None:
    CalDAVHarness(server, "second")  # so the account surely has more than one
    with pytest.raises(CalendarError, match=r"no calendar named 'Holidays' .*'second'"):
        at_root(server, "Holidays").read(*WINDOW)
    with pytest.raises(CalendarError, match=r"several calendars .*; name one with calendar:"):
        at_root(server, None).read(*WINDOW)


def test_a_sync_token_the_server_forgot_reads_the_window_again(server: Server) -> None:
    harness = CalDAVHarness(server)
    harness.calendar.create(SPEC)
    seen = harness.next_run()
    seen.read(*WINDOW)
    harness.retitle(SPEC.uid, "Renamed while syncd was away")
    forgotten = dataclasses.replace(seen.cache, token=seen.cache.token + "-expired")
    mark = harness.requests()
    again = harness.open(forgotten)
    assert one(again.read(*WINDOW), SPEC.uid).summary == "Renamed while syncd was away"
    # The refused sync, then the PROPFIND and REPORT of a full read.
    assert harness.requests() - mark == 3
    assert again.cache.token and again.cache.token != forgotten.token


def test_without_sync_tokens_the_ctag_and_etags_find_every_change(server: Server) -> None:
    harness = CalDAVHarness(server)
    harness.calendar.create(SPEC)
    first = harness.next_run()
    first.read(*WINDOW)
    # As a server without RFC 6578 leaves it: a ctag and no token.
    cache = dataclasses.replace(first.cache, token="")
    assert cache.ctag

    def read_with(cache: DavCache) -> tuple[int, CalDAVCalendar]:
        mark = harness.requests()
        calendar = harness.open(cache)
        calendar.read(*WINDOW)
        return harness.requests() - mark, calendar

    cost, unchanged = read_with(cache)
    assert cost == 1  # the ctag PROPFIND
    harness.move(SPEC.uid, FIRST + WEEK, FIRST + WEEK + dt.timedelta(hours=2))
    cost, moved = read_with(dataclasses.replace(unchanged.cache, token=""))
    assert cost == 3  # ctag, the etags of the span, the changed resource
    (instance,) = [i for i in one(moved.read(*WINDOW), SPEC.uid).instances
                   if i.recurrence_id == FIRST + WEEK]
    assert instance.start == FIRST + WEEK + dt.timedelta(hours=2)
    harness.delete(SPEC.uid)
    cost, deleted = read_with(dataclasses.replace(moved.cache, token=""))
    assert cost == 2 and deleted.read(*WINDOW) == ()
