"""series_from_calendar on the real-world corpus: broken events, and the ICS pre-filter
giving the same Series as a full parse."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest

from syncd.calendars.base import CalendarError
from syncd.calendars.codec import dump_series, load_series
from syncd.calendars.ical import (
    MARKER_PROP,
    all_values,
    name_anonymous_events,
    series_from_calendar,
    text_of,
    uid_of,
)
from syncd.calendars.ics import ICSFeed
from syncd.core import observe
from syncd.core.cadence import parse_cadence
from syncd.core.model import Cadence, Owner, Person, Roster, Series, Slot

DATA = Path(__file__).resolve().parent.parent / "data" / "realworld"
FILES = sorted(DATA.glob("*.ics"))
UTC = dt.UTC
BERLIN = ZoneInfo("Europe/Berlin")
WIDE = (dt.datetime(2000, 1, 1, tzinfo=UTC), dt.datetime(2040, 1, 1, tzinfo=UTC))
OWNER = "owner@nowhere.invalid"


def _person(email: str, title: str = "") -> Person:
    return Person(
        name=email, email=email, cadence=Cadence("weekly", "weekly", weeks=1),
        slot=Slot(0, dt.time(10)), duration=dt.timedelta(minutes=30), title_pattern=title,
    )


def _full(path: Path) -> icalendar.Calendar:
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    name_anonymous_events(calendar, path.name)
    return calendar


def _emails(event: Any) -> set[str]:
    addresses = all_values(event.get("ATTENDEE")) + all_values(event.get("ORGANIZER"))
    found = {str(a).strip().lower().removeprefix("mailto:").strip() for a in addresses}
    return {a for a in found if "@" in a}


def _key(series: Series) -> tuple[Any, ...]:
    return (series.uid, series.start, series.rrule, series.attendees, series.instances,
            series.broken)


def test_the_corpus_is_a_copy_with_its_sources_note() -> None:
    notes = (DATA / "SOURCES.md").read_text()
    assert len(FILES) == 41
    for path in FILES:
        assert f"| {path.name} |" in notes


def _relevant(calendar: icalendar.Calendar, emails: list[str], title: str) -> set[str]:
    """UIDs with an event naming one of `emails`, a marker, or a title matching `title`."""
    return {
        uid_of(e) for e in calendar.walk("VEVENT")
        if _emails(e) & set(emails) or MARKER_PROP in e
        or (title and re.search(title, text_of(e, "SUMMARY"), re.IGNORECASE))
    }


@pytest.mark.parametrize("title", ["", "."], ids=["emails", "emails+titles"])
@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_prefiltered_read_equals_a_full_parse(path: Path, title: str) -> None:
    calendar = _full(path)
    emails = sorted(set().union(*(_emails(e) for e in calendar.walk("VEVENT"))))
    people = [_person(e) for e in emails] + ([_person("title@x.invalid", title)] if title else [])
    relevant = _relevant(calendar, emails, title)
    full = series_from_calendar(calendar, *WIDE, BERLIN, lambda _: "")
    expected = sorted((_key(s) for s in full if s.uid in relevant), key=lambda k: k[0])

    feed = ICSFeed(url=None, path=path, default_timezone="Europe/Berlin", people=people,
                   owner_email=OWNER)
    assert [_key(s) for s in feed.read(*WIDE)] == expected


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_an_everyone_read_keeps_each_event_naming_someone_but_the_owner(path: Path) -> None:
    """What `syncd init` reads: no roster yet, every event with another person in it."""
    calendar = _full(path)
    emails = sorted(set().union(*(_emails(e) for e in calendar.walk("VEVENT"))) - {OWNER})
    full = series_from_calendar(calendar, *WIDE, BERLIN, lambda _: "")
    relevant = _relevant(calendar, emails, "")
    expected = sorted((_key(s) for s in full if s.uid in relevant), key=lambda k: k[0])
    feed = ICSFeed(url=None, path=path, default_timezone="Europe/Berlin", people=(),
                   owner_email=OWNER, everyone=True)
    try:
        got = [_key(s) for s in feed.read(*WIDE)]
    except CalendarError:
        return  # the full parse refuses it as well (test_every_corpus_file_loads_…)
    assert got == expected


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_corpus_file_loads_through_the_feed(path: Path) -> None:
    calendar = _full(path)
    emails = set().union(*(_emails(e) for e in calendar.walk("VEVENT")))
    people = [_person(e) for e in sorted(emails)] + [_person("all@x.invalid", ".")]
    feed = ICSFeed(url=None, path=path, default_timezone="Europe/Berlin", people=people,
                   owner_email=OWNER)
    try:
        series = feed.read(*WIDE)
    except CalendarError as exc:
        assert str(exc).startswith(f"ics file {path}: ")
        return
    assert all(s.instances == () for s in series if s.broken)


@pytest.mark.parametrize(
    ("name", "broken", "in_reason"),
    [
        ("icl__issue_165_missing_event.ics", {"icl__issue_165_missing_event.ics#1"}, "UNTIL"),
        ("icl__parsing_error.ics", {"icl__parsing_error.ics#2"}, "EXDATE"),
        ("icl__issue_722_missing_timezones.ics",
         {"icl__issue_722_missing_timezones.ics#2", "icl__issue_722_missing_timezones.ics#3"},
         "DTSTART"),
    ],
)
def test_events_the_expander_rejects_come_back_broken(
    name: str, broken: set[str], in_reason: str
) -> None:
    calendar = _full(DATA / name)
    series = series_from_calendar(calendar, *WIDE, BERLIN, lambda uid: f"etag-{uid}")
    assert {s.uid for s in series if s.broken} == broken
    for item in series:
        assert item.etag == f"etag-{item.uid}"
        if item.broken:
            assert in_reason in item.broken and "\n" not in item.broken
            assert item.instances == ()
    good = [s for s in series if not s.broken]
    assert all(s.instances for s in good if s.start < WIDE[1])


def test_a_broken_series_keeps_what_its_master_says() -> None:
    series = series_from_calendar(_full(DATA / "icl__issue_165_missing_event.ics"), *WIDE,
                                  BERLIN, lambda _: "")
    (standup,) = series
    assert standup.broken
    assert standup.summary == "Sprint 25 Daily Standup"
    assert standup.start.hour == 10


def test_a_broken_event_does_not_hide_its_neighbours_zone() -> None:
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-TIMEZONE:America/New_York\r\n"
        "BEGIN:VEVENT\r\nUID:good\r\nDTSTART:20260105T100000\r\nDURATION:PT30M\r\n"
        "RRULE:FREQ=WEEKLY;COUNT=2\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:bad\r\nDTSTART:20260105T100000\r\nRRULE:FREQ=SOMETIMES\r\n"
        "ATTENDEE;CN=Ann:mailto:Ann@Example.com\r\nX-SYNCD-ID:abc-1\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )
    good, bad = series_from_calendar(icalendar.Calendar.from_ical(text), *WIDE, BERLIN,
                                     lambda _: "")
    new_york = ZoneInfo("America/New_York")
    assert [i.start for i in good.instances] == [
        dt.datetime(2026, 1, 5, 10, tzinfo=new_york), dt.datetime(2026, 1, 12, 10, tzinfo=new_york)
    ]
    assert bad.broken and bad.marker == "abc-1"
    assert [(a.email, a.name) for a in bad.attendees] == [("ann@example.com", "Ann")]


@pytest.mark.parametrize("sequence", ["SEQUENCE:abc\r\n", "SEQUENCE:1\r\nSEQUENCE:2\r\n"])
def test_an_unreadable_sequence_does_not_stop_the_read(sequence: str) -> None:
    """A master whose SEQUENCE is not a number, or is written twice, used to end the whole
    read with a traceback; now its series is read or comes back broken, saying why, and
    its neighbours are read."""
    event = ("BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTART:20260105T100000Z\r\n"
             "DTEND:20260105T103000Z\r\nRRULE:FREQ=WEEKLY;COUNT=2\r\n{extra}END:VEVENT\r\n")
    text = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + event.format(uid="odd", extra=sequence)
            + event.format(uid="good", extra="") + "END:VCALENDAR\r\n")
    series = series_from_calendar(icalendar.Calendar.from_ical(text), *WIDE, BERLIN,
                                  lambda _: "")
    by_uid = {s.uid: s for s in series}
    assert len(by_uid["good"].instances) == 2 and not by_uid["good"].broken
    odd = by_uid["odd"]
    assert (odd.broken and "\n" not in odd.broken) or len(odd.instances) == 2
    assert odd.start == dt.datetime(2026, 1, 5, 10, tzinfo=UTC)


def test_cancelled_overrides_stay_as_cancelled_instances() -> None:
    (series,) = series_from_calendar(_full(DATA / "rie__issue_18_cancel_status.ics"), *WIDE,
                                     BERLIN, lambda _: "")
    assert len(series.instances) == 3
    cancelled = [i for i in series.instances if i.status == "CANCELLED"]
    assert len(cancelled) == 1 and cancelled[0].overridden


# Daily at noon pairs almost every event with an expected slot (grace: 12 hours), so
# the comparison covers held, moved, cancelled and declined instances, not just "missing".
DAILY = parse_cadence("rrule:FREQ=DAILY")


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_prefiltered_read_classifies_exactly_like_a_full_parse(path: Path) -> None:
    calendar = _full(path)
    emails = sorted(set().union(*(_emails(e) for e in calendar.walk("VEVENT"))))
    starts = [s.start for s in series_from_calendar(calendar, *WIDE, BERLIN, lambda _: "")]
    first = min(starts, default=WIDE[0]).astimezone(UTC)
    window = (first - dt.timedelta(days=7), first + dt.timedelta(days=365))
    owner, others = (emails or [OWNER])[0], emails[1:]
    people = tuple(dataclasses.replace(_person(e), start=first.date(), cadence=DAILY)
                   for e in [*others, "title@x.invalid"])
    # The title person claims every event without other people: most of the corpus.
    people = (*people[:-1], dataclasses.replace(people[-1], title_pattern="."))
    roster = Roster(Owner("Owner", owner), "Europe/Berlin", people)
    now = window[1]
    full = series_from_calendar(calendar, *window, BERLIN, lambda _: "")
    feed = ICSFeed(url=None, path=path, default_timezone="Europe/Berlin", people=people,
                   owner_email=owner)
    filtered = feed.read(*window)
    assert (observe.classify_roster(roster, filtered, *window, now)
            == observe.classify_roster(roster, full, *window, now))


def test_a_this_and_future_split_moves_the_rest_of_the_series() -> None:
    # Daily every other day at 12:00 UTC; RANGE=THISANDFUTURE on Sep 13 moves every later
    # instance 3 hours earlier, and another on Sep 21 moves the rest a day and 2h22 later.
    path = DATA / "rie__issue_75_range_parameter.ics"
    person = dataclasses.replace(
        _person("t@x.invalid", "."), cadence=parse_cadence("rrule:FREQ=DAILY;INTERVAL=2"),
        slot=Slot(0, dt.time(12)), start=dt.date(2024, 9, 1))
    feed = ICSFeed(url=None, path=path, default_timezone="UTC", people=[person],
                   owner_email=OWNER)
    window = (dt.datetime(2024, 9, 10, tzinfo=UTC), dt.datetime(2024, 9, 25, tzinfo=UTC))
    (series,) = feed.read(*window)
    slots = [i.recurrence_id for i in series.instances]
    assert len(slots) == len(set(slots))  # each instance keeps its own slot

    roster = Roster(Owner("Owner", OWNER), "UTC", (person,))
    rows = observe.classify_roster(roster, (series,), *window, window[1])[person.email]
    got = [(o.expected.day, o.status, o.actual_start and o.actual_start.strftime("%d %H:%M"))
           for o in rows]
    assert got == [
        (11, "held", None), (13, "rescheduled", "13 09:00"), (15, "rescheduled", "15 17:00"),
        (17, "rescheduled", "17 09:00"), (19, "rescheduled", "19 09:00"),
        (21, "rescheduled", "22 14:22"), (23, "rescheduled", "24 14:22"),
    ]


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_a_later_window_drops_only_what_ended_before_it(path: Path) -> None:
    calendar = _full(path)
    emails = sorted(set().union(*(_emails(e) for e in calendar.walk("VEVENT"))))
    people = [_person(e) for e in emails] + [_person("title@x.invalid", ".")]
    starts = sorted(s.start for s in series_from_calendar(calendar, *WIDE, BERLIN,
                                                          lambda _: ""))
    middle = starts[len(starts) // 2].astimezone(UTC) if starts else WIDE[0]
    window = (middle, middle + dt.timedelta(days=365))
    full = series_from_calendar(calendar, *window, BERLIN, lambda _: "")
    feed = ICSFeed(url=None, path=path, default_timezone="Europe/Berlin", people=people,
                   owner_email=OWNER)
    try:
        filtered = feed.read(*window)
    except CalendarError:
        return  # the file is refused whole, as test_every_corpus_file_loads... checks

    relevant = _relevant(calendar, emails, ".")

    def matters(s: Series) -> bool:
        return s.uid in relevant and bool(s.instances or s.rrule or s.broken)

    assert sorted(_key(s) for s in filtered if matters(s)) == sorted(
        _key(s) for s in full if matters(s))


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_converted_series_survive_the_cache(path: Path) -> None:
    calendar = _full(path)
    series = tuple(series_from_calendar(calendar, *WIDE, BERLIN, lambda _: "etag"))
    text = dump_series(series)
    if text is None:  # a zone that is not an IANA name: such feeds are parsed every time
        times = [m for s in series for m in (
            s.start, s.end, *s.exdates,
            *(t for i in s.instances for t in (i.recurrence_id, i.start, i.end)))]
        assert any(not isinstance(m.tzinfo, ZoneInfo) and m.tzinfo is not UTC for m in times)
        return
    loaded = load_series(text)
    assert loaded == series
    assert loaded is not None
    assert [(s.start.tzinfo, [i.start.tzinfo for i in s.instances]) for s in loaded] == [
        (s.start.tzinfo, [i.start.tzinfo for i in s.instances]) for s in series]
