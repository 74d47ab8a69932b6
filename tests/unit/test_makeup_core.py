"""Make-ups in the pure core: their identity, classification, the plan, and `--at` checks."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from syncd.calendars.google import event_id
from syncd.core import cadence, classify, identity, planner, schedule
from syncd.core.model import (
    Attendee,
    BookedMakeUp,
    Instance,
    MakeUpRequest,
    Memory,
    NotesDoc,
    Owner,
    Pause,
    Person,
    Roster,
    Series,
    Slot,
)

BERLIN = ZoneInfo("Europe/Berlin")
DANA = Owner("Dana Lead", "dana@example.com")
# Weekly on Tuesdays at 10:00 from 2026-12-01.
ANA = Person("Ana Ruiz", "ana@example.com", cadence.parse_cadence("weekly"),
             Slot(1, dt.time(10)), dt.timedelta(minutes=45), start=dt.date(2026, 12, 1))
ROSTER = Roster(DANA, "Europe/Berlin", (ANA,))
SKIPPED = dt.datetime(2026, 12, 8, 10, tzinfo=BERLIN)
NOW = dt.datetime(2026, 12, 9, 9, tzinfo=BERLIN)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=BERLIN)


def one_off(uid: str, start: dt.datetime, marker: str = "", status: str = "CONFIRMED",
            partstat: str = "ACCEPTED") -> Series:
    end = start + dt.timedelta(minutes=45)
    people = (Attendee("dana@example.com", partstat="ACCEPTED"),
              Attendee("ana@example.com", partstat=partstat))
    return Series(uid=uid, summary="1:1", start=start, end=end, timezone="Europe/Berlin",
                  attendees=people, organizer="dana@example.com", marker=marker,
                  instances=(Instance(start, start, end, status, people),))


def weekly_without_the_8th() -> Series:
    start = at(1, 10)
    starts = [start + dt.timedelta(weeks=n) for n in range(6) if n != 1]
    uid = identity.series_uid(ANA.email, 1)
    return Series(uid=uid, summary="1:1", start=start, end=start + ANA.duration,
                  timezone="Europe/Berlin", rrule="FREQ=WEEKLY;BYDAY=TU",
                  exdates=(SKIPPED,), organizer="dana@example.com",
                  attendees=(Attendee("dana@example.com"), Attendee("ana@example.com")),
                  marker=identity.marker(ANA.email, 1),
                  instances=tuple(Instance(s, s, s + ANA.duration) for s in starts))


def rows(*events: Series) -> dict[dt.datetime, tuple[str, dt.datetime | None]]:
    found = classify.classify(ANA, "Europe/Berlin", "dana@example.com",
                              [weekly_without_the_8th(), *events], at(1, 0), at(31, 0), NOW,
                              dt.date(2026, 12, 1))
    return {o.expected: (o.status, o.actual_start) for o in found}


def test_a_makeup_marker_and_uid_name_the_person_and_slot_and_read_back() -> None:
    marker = identity.makeup_marker(ANA.email, SKIPPED)
    assert identity.parse_makeup_marker(marker) == (identity.person_key(ANA.email),
                                                    SKIPPED.astimezone(dt.UTC))
    assert identity.parse_marker(marker) is None  # never taken for a series generation
    uid = identity.makeup_uid(ANA.email, SKIPPED, 2)
    assert identity.parse_makeup_uid(uid) == (marker, 2)
    assert identity.parse_makeup_uid(identity.series_uid(ANA.email, 2)) is None
    # Google event ids are base32hex: lower-case 0-9 and a-v, 5 to 1024 characters.
    ident = event_id(uid)
    assert ident is not None and set(ident) <= set("0123456789abcdefghijklmnopqrstuv")
    assert ident != event_id(identity.makeup_uid(ANA.email, SKIPPED, 1))


def test_a_booked_makeup_counts_for_its_slot_however_far_from_it() -> None:
    # Monday the 14th is 6 days after the 8th: beyond the grace window of a weekly 1:1
    # (3.5 days), where an unmarked one-off would not count.
    plain = one_off("adhoc@example.com", at(14, 15))
    assert rows(plain)[SKIPPED] == ("skipped", None)
    booked = one_off(identity.makeup_uid(ANA.email, SKIPPED, 1), at(14, 15),
                     identity.makeup_marker(ANA.email, SKIPPED))
    assert rows(booked)[SKIPPED] == ("rescheduled", at(14, 15))
    declined = dataclasses.replace(booked, instances=tuple(
        dataclasses.replace(i, attendees=(Attendee("ana@example.com", partstat="DECLINED"),))
        for i in booked.instances))
    assert rows(declined)[SKIPPED] == ("skipped", None)


def plan(observed: tuple[Series, ...], memory: Memory | None = None) -> list[str]:
    memory = memory or Memory()
    doc = NotesDoc(ANA.email, "ana", "file:///notes/ana.md")
    made = planner.plan(ROSTER, observed, {ANA.email: doc}, memory, NOW, {},
                        [MakeUpRequest(ANA.email, SKIPPED, at(10, 14))])
    return [a.series_uid for a in made.actions if a.kind == "book-makeup"]


def test_the_plan_books_a_makeup_once_and_again_under_a_new_number_after_a_deletion() -> None:
    series = weekly_without_the_8th()
    first = identity.makeup_uid(ANA.email, SKIPPED, 1)
    assert plan((series,)) == [first]
    booked = one_off(first, at(10, 14), identity.makeup_marker(ANA.email, SKIPPED))
    assert plan((series, booked)) == []  # on the calendar: a re-run books nothing
    gone = Memory(makeups=(BookedMakeUp(first, ANA.email, SKIPPED, at(10, 14)),))
    assert plan((series,), gone) == [identity.makeup_uid(ANA.email, SKIPPED, 2)]


def test_a_makeup_state_does_not_know_is_recovered_from_its_marker() -> None:
    uid = identity.makeup_uid(ANA.email, SKIPPED, 1)
    booked = one_off(uid, at(10, 14), identity.makeup_marker(ANA.email, SKIPPED))
    made = planner.plan(ROSTER, (weekly_without_the_8th(), booked), None, Memory(), NOW)
    assert made.makeups_found == (BookedMakeUp(uid, ANA.email, SKIPPED.astimezone(dt.UTC),
                                               at(10, 14)),)
    assert uid not in [o.uid for o in made.recovered]  # not a series
    assert "book-makeup" not in [a.kind for a in made.actions]


def test_a_time_is_refused_for_hours_pauses_preferences_and_busy_time() -> None:
    ana = dataclasses.replace(ANA, pauses=(Pause(dt.date(2026, 12, 11), dt.date(2026, 12, 11),
                                                 "Away", "out-of-office"),))
    busy = [schedule.Interval(at(9, 10), at(9, 11), "Planning")]
    assert schedule.slot_problem(ROSTER, ana, busy, at(9, 11)) is None
    assert schedule.slot_problem(ROSTER, ana, busy, at(9, 10, 30)) == \
        "it overlaps 'Planning' (Wed 10:00-11:00)"
    assert schedule.slot_problem(ROSTER, ana, busy, at(9, 17, 30)) == \
        "it is outside your working hours (08:00-18:00)"
    assert schedule.slot_problem(ROSTER, ana, busy, at(11, 10)) == \
        "Ana Ruiz's 1:1s are paused that day (out-of-office: Away)"
    assert schedule.slot_problem(ROSTER, ana, busy, at(12, 10)) == \
        "it is outside the preferences for Ana Ruiz (days, earliest, latest)"  # Saturday
