"""core/discover.py: which series are the owner's 1:1s and the roster entry each suggests."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from syncd.core import discover
from syncd.core.model import Attendee, Instance, Series

BERLIN = ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=BERLIN)
OWNER = "dana@example.com"


def series(uid: str, rrule: str, *, start: dt.datetime | None = None, minutes: int = 30,
           people: tuple[str, ...] = ("ann@example.com",), organizer: str = OWNER,
           zone: str = "Europe/Berlin", **more: object) -> Series:
    begin = start or dt.datetime(2026, 1, 6, 10, 0, tzinfo=ZoneInfo(zone))
    attendees = tuple(Attendee(p, cutype="ROOM" if p.startswith("room") else "INDIVIDUAL")
                      for p in (OWNER, *people))
    return Series(uid, f"1:1 {uid}", begin, begin + dt.timedelta(minutes=minutes), zone,
                  rrule, attendees=attendees, organizer=organizer, **more)  # type: ignore[arg-type]  # keyword fields of Series


def one(found: discover.Discovery) -> discover.Entry:
    (entry,) = found.people
    return entry


@pytest.mark.parametrize(("rrule", "start", "cadence", "week"), [
    ("FREQ=WEEKLY;WKST=SU;BYDAY=TU", dt.datetime(2026, 1, 6, 10, 0), "weekly", None),
    ("FREQ=WEEKLY;INTERVAL=4", dt.datetime(2026, 1, 6, 10, 0), "every 4 weeks", None),
    ("FREQ=MONTHLY;BYDAY=TU;BYSETPOS=3", dt.datetime(2026, 1, 20, 10, 0), "monthly", 3),
    ("FREQ=MONTHLY;INTERVAL=3;BYDAY=-1TU", dt.datetime(2026, 3, 31, 10, 0), "quarterly", -1),
    ("FREQ=MONTHLY;BYMONTHDAY=15", dt.datetime(2026, 1, 15, 10, 0),
     "rrule:FREQ=MONTHLY;BYMONTHDAY=15", None),
    ("FREQ=MONTHLY;BYDAY=5TU", dt.datetime(2026, 3, 31, 10, 0),
     "rrule:FREQ=MONTHLY;BYDAY=5TU", None),
])
def test_cadence_words(rrule: str, start: dt.datetime, cadence: str, week: int | None) -> None:
    entry = one(discover.discover([series("a", rrule, start=start.replace(tzinfo=BERLIN))],
                                  OWNER, NOW))
    assert (entry.cadence, entry.slot.week) == (cadence, week)
    assert "entry" not in entry.checks  # reconcile's adoption test accepts it


def test_a_rule_the_roster_cannot_hold_is_refused_with_its_reason() -> None:
    entry = one(discover.discover([series("a", "FREQ=HOURLY;INTERVAL=6")], OWNER, NOW))
    assert entry.refused == "its rule FREQ=HOURLY;INTERVAL=6 cannot be written as a roster cadence"


def test_what_is_left_out_is_counted() -> None:
    found = discover.discover([
        series("group", "FREQ=WEEKLY", people=("x@example.com", "y@example.com")),
        series("once", ""),
        series("off", "FREQ=WEEKLY", status="CANCELLED"),
        series("broken", "FREQ=WEEKLY", broken="too many"),
        Series("not-mine", "x and y", NOW, NOW + dt.timedelta(hours=1), "Europe/Berlin",
               "FREQ=WEEKLY", attendees=(Attendee("y@example.com"),), organizer="x@example.com"),
    ], OWNER, NOW)
    assert (found.people, found.one_offs, found.groups, found.unreadable) == ((), 1, 1, 1)


def test_a_room_does_not_make_a_group_and_case_does_not_matter() -> None:
    entry = one(discover.discover([series("a", "FREQ=WEEKLY", people=(
        "ann@example.com", "room-1@example.com"))], "Dana@Example.com", NOW))
    assert entry.email == "ann@example.com"


def test_only_utc_series_leave_the_zone_to_check() -> None:
    found = discover.discover([series("a", "FREQ=WEEKLY", zone="UTC")], OWNER, NOW)
    assert found.timezone == "UTC" and "--timezone" in found.timezone_check


def test_an_overlong_meeting_is_cut_to_eight_hours_with_a_check() -> None:
    entry = one(discover.discover([series("a", "FREQ=WEEKLY", minutes=600)], OWNER, NOW))
    assert entry.duration == dt.timedelta(hours=8) and "up to 8h" in entry.checks["duration"]


def test_a_this_and_future_change_inside_one_series_is_flagged() -> None:
    moved = [Instance(r, r + dt.timedelta(hours=2), r + dt.timedelta(hours=2, minutes=30),
                      overridden=True)
             for r in (dt.datetime(2026, 12, 1, 10, 0, tzinfo=BERLIN),
                       dt.datetime(2026, 12, 8, 10, 0, tzinfo=BERLIN))]
    entry = one(discover.discover([series("a", "FREQ=WEEKLY", instances=tuple(moved))],
                                  OWNER, NOW))
    assert "a change to this and future meetings" in entry.checks["slot"]
    assert entry.slot.time == dt.time(10, 0)  # the series' own rule, as reconcile sees it


def test_an_ended_series_says_when_it_ended_and_was_last_held() -> None:
    cancelled = Instance(dt.datetime(2026, 6, 30, 10, 0, tzinfo=BERLIN),
                         dt.datetime(2026, 6, 30, 10, 0, tzinfo=BERLIN),
                         dt.datetime(2026, 6, 30, 10, 30, tzinfo=BERLIN), status="CANCELLED")
    found = discover.discover([series("a", "FREQ=WEEKLY;COUNT=26", instances=(cancelled,))],
                              OWNER, NOW)
    (entry,) = found.ended
    assert (entry.ended, entry.last_held) == (dt.date(2026, 6, 30), dt.date(2026, 6, 23))


def test_late_and_early_slots_widen_the_working_hours() -> None:
    found = discover.discover([
        series("a", "FREQ=WEEKLY", start=dt.datetime(2026, 1, 6, 7, 10, tzinfo=BERLIN)),
        series("b", "FREQ=WEEKLY", people=("bob@example.com",), minutes=50,
               start=dt.datetime(2026, 1, 6, 17, 30, tzinfo=BERLIN))], OWNER, NOW)
    assert (found.work_start, found.work_end) == (dt.time(7, 0), dt.time(19, 0))


def test_the_owner_name_comes_from_their_events() -> None:
    named = series("a", "FREQ=WEEKLY")
    named = dataclasses.replace(named, attendees=(
        Attendee(OWNER, "Dana Lead"), Attendee("ann@example.com", "Ann")))
    found = discover.discover([named], OWNER, NOW)
    assert found.owner_name == "Dana Lead" and one(found).name == "Ann"


def test_an_owner_no_event_names_points_at_the_likely_address() -> None:
    found = discover.discover([series("a", "FREQ=WEEKLY")], "dana@example.org", NOW)
    assert found.people == () and found.likely_owner in (OWNER, "ann@example.com")
    assert discover.discover([series("a", "FREQ=WEEKLY")], OWNER, NOW).likely_owner == ""
