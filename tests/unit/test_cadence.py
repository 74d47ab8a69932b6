"""Cadence engine: expected occurrences in local wall time, pauses and start respected."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from hypothesis import given, settings
from hypothesis import strategies as st

from syncd.core import cadence
from syncd.core.model import Pause, Person, Slot

BERLIN = ZoneInfo("Europe/Berlin")


def person(spec: str, day: int = 1, hour: int = 10, week: int | None = None,
           start: dt.date | None = None, pauses: tuple[Pause, ...] = ()) -> Person:
    return Person("P", "p@example.com", cadence.parse_cadence(spec),
                  Slot(day, dt.time(hour, 0), week), dt.timedelta(minutes=45),
                  start=start, pauses=pauses)


def window(a: str, b: str) -> tuple[dt.datetime, dt.datetime]:
    return (dt.datetime.fromisoformat(a).replace(tzinfo=BERLIN),
            dt.datetime.fromisoformat(b).replace(tzinfo=BERLIN))


def test_weekly_stays_at_ten_local_across_both_dst_changes() -> None:
    p = person("weekly", start=dt.date(2026, 3, 1))
    got = cadence.expected(p, "Europe/Berlin", *window("2026-03-01", "2026-11-30"),
                           anchor=dt.date(2026, 3, 1))
    assert len(got) == 39
    assert {g.hour for g in got} == {10}
    offsets = {g.utcoffset() for g in got}
    assert offsets == {dt.timedelta(hours=1), dt.timedelta(hours=2)}
    # The instants move by an hour in UTC, the wall clock does not.
    assert {g.astimezone(dt.UTC).hour for g in got} == {8, 9}


def test_pauses_are_removed_inclusive() -> None:
    pause = Pause(dt.date(2026, 12, 21), dt.date(2027, 1, 8), "leave")
    p = person("weekly", day=1, start=dt.date(2026, 12, 1), pauses=(pause,))
    got = cadence.expected(p, "Europe/Berlin", *window("2026-12-01", "2027-01-31"),
                           anchor=dt.date(2026, 12, 1))
    days = [g.date() for g in got]
    assert dt.date(2026, 12, 15) in days
    assert dt.date(2026, 12, 22) not in days and dt.date(2027, 1, 5) not in days
    assert dt.date(2027, 1, 12) in days


def test_start_date_is_respected_and_anchors_biweekly_phase() -> None:
    p = person("biweekly", day=3, hour=16, start=dt.date(2026, 9, 3))
    got = cadence.expected(p, "Europe/Berlin", *window("2026-08-01", "2026-10-31"),
                           anchor=dt.date(2026, 1, 1))
    assert [g.date() for g in got] == [dt.date(2026, 9, 3) + dt.timedelta(weeks=2 * i)
                                       for i in range(5)]


def test_monthly_nth_and_last_weekday() -> None:
    first_thu = person("monthly", day=3, hour=14, week=1)
    last_fri = person("monthly", day=4, hour=9, week=-1)
    a, b = window("2026-01-01", "2026-04-01")
    assert [g.day for g in cadence.expected(first_thu, "Europe/Berlin", a, b,
                                            anchor=dt.date(2026, 1, 1))] == [1, 5, 5]
    assert [g.day for g in cadence.expected(last_fri, "Europe/Berlin", a, b,
                                            anchor=dt.date(2026, 1, 1))] == [30, 27, 27]


def test_quarterly_follows_the_start_month() -> None:
    p = person("quarterly", day=2, hour=11, week=2, start=dt.date(2026, 2, 1))
    got = cadence.expected(p, "Europe/Berlin", *window("2026-01-01", "2027-01-01"),
                           anchor=dt.date(2026, 2, 1))
    assert [(g.month, g.day) for g in got] == [(2, 11), (5, 13), (8, 12), (11, 11)]


def test_every_n_weeks_and_raw_rrule() -> None:
    assert cadence.parse_cadence("every 3 weeks").weeks == 3
    p = person("rrule:FREQ=MONTHLY;BYDAY=-1FR", hour=15)
    got = cadence.expected(p, "Europe/Berlin", *window("2026-05-01", "2026-07-01"),
                           anchor=dt.date(2026, 5, 1))
    assert [(g.month, g.day, g.hour) for g in got] == [(5, 29, 15), (6, 26, 15)]
    assert cadence.interval_days(p.cadence) == pytest.approx(30.4, abs=1)


@pytest.mark.parametrize("bad", ["daily-ish", "every 0 weeks", "rrule:FREQ=SECONDLY",
                                 "rrule:FREQ=WEEKLY;COUNT=3", "rrule:FREQ=WEEKLY;BYDAY=XX"])
def test_bad_cadences_are_refused_with_a_reason(bad: str) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        cadence.parse_cadence(bad)


def test_quarterly_without_start_begins_at_the_first_slot_on_or_after_today() -> None:
    p = person("quarterly", day=2, hour=11, week=2)
    first = cadence.first_start(p, dt.date(2026, 11, 25), "Europe/Berlin")
    assert first == dt.datetime(2026, 12, 9, 11, 0, tzinfo=BERLIN)
    got = cadence.expected(p, "Europe/Berlin", *window("2026-11-25", "2027-07-01"),
                           anchor=dt.date(2026, 11, 25))
    assert [(g.year, g.month, g.day) for g in got] == [(2026, 12, 9), (2027, 3, 10),
                                                       (2027, 6, 9)]


def _from_the_first_date(rule: str, first: dt.datetime, start: dt.datetime,
                         end: dt.datetime) -> list[dt.datetime]:
    """The reference: dateutil walking every period from the series' first date."""
    zone = first.tzinfo
    walk = rrulestr(rule, dtstart=first.replace(tzinfo=None), ignoretz=True)
    return [w for n in walk.between(first.replace(tzinfo=None),
                                    end.replace(tzinfo=None) + dt.timedelta(days=1), inc=True)
            if start <= (w := n.replace(tzinfo=zone)) < end]


_RULES = st.builds(
    lambda freq, interval, byday, extra: f"FREQ={freq}" + (
        f";INTERVAL={interval}" if interval > 1 else "") + byday + extra,
    st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]),
    st.integers(1, 5),
    st.sampled_from(["", ";BYDAY=MO", ";BYDAY=SU", ";BYDAY=TU,TH", ";BYDAY=-1FR", ";BYDAY=2WE",
                     ";BYDAY=5MO", ";BYDAY=-5SA", ";BYDAY=+3SU"]),
    st.sampled_from(["", ";WKST=SU", ";BYSETPOS=1", ";BYMONTH=3,10", ";BYMONTHDAY=15", ";WKST=TH",
                     ";UNTIL=20280101T000000", ";UNTIL=20270304T101500", ";COUNT=40"]),
).filter(lambda r: not (("WEEKLY" in r or "DAILY" in r) and re.search(r"BYDAY=[+-]?\d", r))
         and not ("BYSETPOS" in r and "BYDAY" not in r and "BYMONTHDAY" not in r))


# Window bounds are instants, given in any zone: the farthest offsets from Berlin's too.
_SHOWN_IN = (BERLIN, dt.UTC, ZoneInfo("Pacific/Kiritimati"), ZoneInfo("Pacific/Pago_Pago"))


@settings(max_examples=300, deadline=None)
@given(rule=_RULES,
       first=st.datetimes(dt.datetime(2015, 1, 1), dt.datetime(2026, 6, 1)),
       offset=st.integers(0, 4000), length=st.integers(1, 400),
       minutes=st.integers(-24 * 60, 24 * 60), shown=st.sampled_from(_SHOWN_IN))
def test_expanding_a_window_gives_what_walking_from_the_first_date_gives(
        rule: str, first: dt.datetime, offset: int, length: int, minutes: int,
        shown: ZoneInfo) -> None:
    """expand() starts near the window, not at the series' first date (a year-old series is
    expanded on every run): the instances must be exactly those the full walk gives, for
    every frequency, interval, week start, day of month (29th-31st too), COUNT and UNTIL,
    and window bounds anywhere (on an occurrence or not) in any zone."""
    first = first.replace(second=0, microsecond=0, tzinfo=BERLIN)
    start = (first + dt.timedelta(days=offset, minutes=minutes)).astimezone(shown)
    end = (start + dt.timedelta(days=length, minutes=minutes)).astimezone(shown)
    assert cadence.expand(rule, first, start, end) == _from_the_first_date(
        rule, first, start, end)


@settings(max_examples=200, deadline=None)
@given(spec=st.sampled_from(["weekly", "biweekly", "every 3 weeks", "rrule: FREQ=WEEKLY",
                             "rrule: FREQ=WEEKLY;INTERVAL=2;WKST=SU",
                             "rrule: FREQ=WEEKLY;BYDAY=SU;INTERVAL=3;WKST=WE"]),
       day=st.integers(0, 6), hour=st.integers(0, 23),
       anchor=st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)))
def test_the_first_weekly_start_is_the_one_dateutil_finds(
        spec: str, day: int, hour: int, anchor: dt.date) -> None:
    """A week-based cadence's first 1:1 (which sets its phase) is found by adding days, and
    is the first occurrence dateutil gives from the same seed."""
    who = person(spec, day=day, hour=hour)
    seed = dt.datetime.combine(anchor, dt.time(hour))
    if who.cadence.kind != "rrule":
        seed += dt.timedelta(days=(day - anchor.weekday()) % 7)
    rule = rrulestr(cadence.rrule_text(who.cadence, who.fixed_slot), dtstart=seed)
    assert cadence.first_start(who, anchor, "Europe/Berlin") == rule.after(
        seed, inc=True).replace(tzinfo=BERLIN)
