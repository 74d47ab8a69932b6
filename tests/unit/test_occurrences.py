"""Occurrences read without a copy of their VEVENT (syncd/calendars/occurrences.py) give
exactly the Series that reading recurring_ical_events' copies gave
(tests/expansion_reference.py): on the real-world corpus, and on generated calendars with
moved, cancelled and THISANDFUTURE overrides, EXDATEs, RDATEs, DURATIONs, all-day,
floating (with and without X-WR-TIMEZONE) and UTC times, SEQUENCEs and attendees."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncd.calendars.ical import name_anonymous_events, series_from_calendar
from syncd.core.model import Series
from tests import expansion_reference as reference

DATA = Path(__file__).resolve().parent.parent / "data" / "realworld"
FILES = sorted(DATA.glob("*.ics"))
UTC = dt.UTC
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
WIDE = (dt.datetime(2000, 1, 1, tzinfo=UTC), dt.datetime(2040, 1, 1, tzinfo=UTC))
# Windows that start and end amid the series (and for another default zone).
NARROW = [(dt.datetime(year, 3, 1, tzinfo=NEW_YORK), dt.datetime(year + 1, 7, 1, tzinfo=NEW_YORK))
          for year in (2012, 2019, 2024)]


def _both(text: bytes, start: dt.datetime, end: dt.datetime, zone: ZoneInfo
          ) -> tuple[list[Series], list[Series]]:
    """The Series of `text` read without copies, and from the copies (each from a parse of
    its own: neither may see what the other did to the components)."""
    found = []
    for read in (series_from_calendar, reference.series_from_calendar):
        calendar = icalendar.Calendar.from_ical(text)
        name_anonymous_events(calendar, "test")
        found.append(read(calendar, start, end, zone, lambda uid: f"etag-{uid}"))
    return found[0], found[1]


# --- the real-world corpus -----------------------------------------------------------


def _parsable(path: Path) -> bool:
    try:
        icalendar.Calendar.from_ical(path.read_bytes())
    except Exception:
        return False
    return True


@pytest.mark.parametrize("path", [p for p in FILES if _parsable(p)], ids=lambda p: p.name)
def test_the_corpus_reads_as_from_the_copies(path: Path) -> None:
    text = path.read_bytes()
    uncopied, copied = _both(text, *WIDE, BERLIN)
    assert uncopied == copied
    for start, end in NARROW if len(text) < 500_000 else ():
        uncopied, copied = _both(text, start, end, NEW_YORK)
        assert uncopied == copied


def test_the_corpus_check_compares_instances() -> None:
    """The check above compares something: moved, cancelled and attended instances, broken
    series, and a series that THISANDFUTURE overrides split (moving every later one)."""
    read = {name: [i for s in _both((DATA / name).read_bytes(), *WIDE, BERLIN)[0]
                   for i in s.instances]
            for name in ("rie__issue_173_only_modifications_error.ics",
                         "rie__daylight_saving_time.ics", "khal__event_rrule_recuid_cancelled.ics",
                         "rie__issue_75_range_parameter.ics")}
    assert sum(i.moved for i in read["rie__issue_173_only_modifications_error.ics"]) > 50
    assert sum(bool(i.attendees) for i in read["rie__daylight_saving_time.ics"]) > 1000
    assert any(i.status == "CANCELLED" for i in read["khal__event_rrule_recuid_cancelled.ics"])
    assert sum(i.moved for i in read["rie__issue_75_range_parameter.ics"]) > 100
    broken = _both((DATA / "icl__issue_722_missing_timezones.ics").read_bytes(), *WIDE, BERLIN)[0]
    assert sum(bool(s.broken) for s in broken) == 2


# --- generated calendars ---------------------------------------------------------------


PEOPLE = ("ATTENDEE;CN=Ann;PARTSTAT=ACCEPTED:mailto:ann@example.com",
          "ATTENDEE;PARTSTAT=DECLINED;CUTYPE=ROOM:MAILTO:Room@example.com",
          "ATTENDEE:mailto:bo@example.com", "ORGANIZER;CN=Lea:mailto:lea@example.com")


@st.composite
def _calendar(draw: st.DrawFn) -> bytes:
    """Series (timed in a zone, in UTC or floating, or all-day; with DTEND, DURATION or
    neither) with rules, EXDATEs, RDATEs, statuses and attendees, and overrides moving,
    cancelling or splitting them; one-offs; sometimes two masters of one UID."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//syncd tests//EN"]
    if draw(st.booleans()):
        lines.append("X-WR-TIMEZONE:" + draw(st.sampled_from(["America/New_York", "Asia/Tokyo"])))
    events: list[list[str]] = []
    for number in range(draw(st.integers(1, 3))):
        first = dt.datetime(2026, 1, 5, 10) + dt.timedelta(
            days=draw(st.integers(0, 40)), minutes=draw(st.sampled_from([0, 30])))
        all_day = draw(st.booleans())
        how = draw(st.sampled_from([";TZID=Europe/Berlin:{}", ":{}Z", ":{}"]))

        def stamp(moment: dt.datetime, day: bool = all_day, written: str = how) -> str:
            return (f";VALUE=DATE:{moment:%Y%m%d}" if day
                    else written.format(f"{moment:%Y%m%dT%H%M%S}"))

        length = dt.timedelta(days=draw(st.integers(1, 2))) if all_day else draw(
            st.sampled_from([dt.timedelta(0), dt.timedelta(minutes=30), dt.timedelta(hours=25)]))
        ends = draw(st.sampled_from(["DTEND", "DURATION", "none"]))

        def span(moment: dt.datetime, ending: str = ends, lasting: dt.timedelta = length
                 ) -> list[str]:
            if ending == "DTEND":
                return [f"DTSTART{stamp(moment)}", f"DTEND{stamp(moment + lasting)}"]
            if ending == "DURATION":
                return [f"DTSTART{stamp(moment)}",
                        f"DURATION:P{lasting.days}DT{lasting.seconds}S"]
            return [f"DTSTART{stamp(moment)}"]

        uid = f"UID:s{number}"
        master = [uid, *span(first), "SUMMARY:1:1"]
        until = first + dt.timedelta(weeks=6)
        master.append("RRULE:" + draw(st.sampled_from(
            ["FREQ=WEEKLY", "FREQ=WEEKLY;INTERVAL=2", "FREQ=DAILY;COUNT=9",
             "FREQ=MONTHLY;BYDAY=1TU", f"FREQ=WEEKLY;UNTIL={until:%Y%m%d}"])))
        master += draw(st.lists(st.sampled_from(PEOPLE), max_size=3, unique=True))
        for extra in draw(st.lists(st.sampled_from(
                ["exdate", "rdate", "status", "sequence"]), max_size=4, unique=True)):
            if extra == "exdate":
                master.append(f"EXDATE{stamp(first + dt.timedelta(weeks=draw(st.integers(0, 8))))}")
            elif extra == "rdate":
                master.append(f"RDATE{stamp(first + dt.timedelta(days=draw(st.integers(1, 30))))}")
            elif extra == "status":
                master.append("STATUS:" + draw(st.sampled_from(
                    ["TENTATIVE", "CANCELLED", "confirmed"])))
            else:
                master.append(f"SEQUENCE:{draw(st.integers(0, 3))}")
        if draw(st.integers(0, 5)):  # sometimes a series of overrides only
            events.append(master)
        if draw(st.integers(0, 7)) == 0:  # a second master, the same or not
            events.append(master + draw(st.sampled_from([[], ["LOCATION:elsewhere"]])))
        for _ in range(draw(st.integers(0, 4))):
            original = first + dt.timedelta(weeks=draw(st.integers(0, 10)))
            moved = original + dt.timedelta(days=draw(st.integers(-3, 3)),
                                            hours=0 if all_day else draw(st.integers(-2, 2)))
            ranged = ";RANGE=THISANDFUTURE" if draw(st.integers(0, 3)) == 0 else ""
            override = [uid, f"RECURRENCE-ID{ranged}{stamp(original)}",
                        *span(moved, draw(st.sampled_from(["DTEND", "DURATION", "none"])),
                              draw(st.sampled_from([length, length * 2])))]
            for extra in draw(st.lists(st.sampled_from(
                    ["cancelled", "people", "sequence", "alarm"]), max_size=3, unique=True)):
                override += {
                    "cancelled": ["STATUS:CANCELLED"],
                    "people": [draw(st.sampled_from(PEOPLE))],
                    "sequence": [f"SEQUENCE:{draw(st.integers(0, 3))}"],
                    "alarm": ["BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT5M", "END:VALARM"],
                }[extra]
            events.append(override)
    if draw(st.booleans()):
        events.append(["UID:one-off", "DTSTART:20260210T100000Z", "DTEND:20260210T110000Z",
                       draw(st.sampled_from(PEOPLE))])
    for event in draw(st.permutations(events)):
        lines += ["BEGIN:VEVENT", *event, "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(f"{line}\r\n" for line in lines).encode()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_calendar(), offset=st.integers(-20, 90), days=st.integers(1, 300),
       zone=st.sampled_from([BERLIN, NEW_YORK, ZoneInfo("UTC")]))
def test_generated_calendars_read_as_from_the_copies(
        text: bytes, offset: int, days: int, zone: ZoneInfo) -> None:
    start = dt.datetime(2026, 1, 1, tzinfo=zone) + dt.timedelta(days=offset)
    uncopied, copied = _both(text, start, start + dt.timedelta(days=days), zone)
    assert uncopied == copied
