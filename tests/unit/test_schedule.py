"""Clash warnings: 1:1s against each other, the lead's busy time and working hours."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from syncd.core import cadence, schedule
from syncd.core.model import (
    Attendee,
    Instance,
    Occurrence,
    Owner,
    Pause,
    Person,
    Preferences,
    Roster,
    Series,
    Slot,
)

BERLIN = ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2027, 1, 4, 9, 0, tzinfo=BERLIN)  # a Monday
LEAD = Owner("Dana Lead", "dana@example.com")


def person(name: str, cadence_text: str, day: int, hour: int, minute: int = 0,
           minutes: int = 45) -> Person:
    return Person(name, f"{name.lower()}@example.com", cadence.parse_cadence(cadence_text),
                  Slot(day, dt.time(hour, minute)), dt.timedelta(minutes=minutes),
                  start=dt.date(2027, 1, 4))


ANA = person("Ana", "weekly", 1, 10)
BEN = person("Ben", "biweekly", 1, 10)
CAI = person("Cai", "weekly", 3, 14)


def roster(*people: Person) -> Roster:
    return Roster(LEAD, "Europe/Berlin", people)


def weekly_event(uid: str, summary: str, day: dt.date, hour: int, minutes: int = 30,
                 weeks: int = 26, **fields: object) -> Series:
    start = dt.datetime.combine(day, dt.time(hour), BERLIN)
    length = dt.timedelta(minutes=minutes)
    instances = tuple(Instance(start + dt.timedelta(weeks=n), start + dt.timedelta(weeks=n),
                               start + dt.timedelta(weeks=n) + length) for n in range(weeks))
    base = Series(uid=uid, summary=summary, start=start, end=start + length,
                  timezone="Europe/Berlin", rrule="FREQ=WEEKLY", organizer="dana@example.com",
                  attendees=(Attendee("dana@example.com", partstat="ACCEPTED"),
                             Attendee("team@example.com")),
                  instances=instances)
    return dataclasses.replace(base, **fields)  # type: ignore[arg-type]


def warnings(r: Roster, *events: Series) -> list[str]:
    meetings = schedule.roster_meetings(r, events, NOW)
    busy = schedule.owner_busy(r, events, NOW, NOW + dt.timedelta(weeks=schedule.CLASH_WEEKS))
    return schedule.clash_warnings(r, meetings, busy)


def test_two_1on1s_on_the_same_slot_are_named_with_the_first_clash_and_count() -> None:
    assert warnings(roster(ANA, BEN, CAI)) == [
        "Ana and Ben: 1:1s overlap on 13 of the next 26 weeks, first Tue 2027-01-05 10:00"]


def test_back_to_back_1on1s_do_not_clash() -> None:
    later = dataclasses.replace(BEN, slot=Slot(1, dt.time(10, 45)))
    assert warnings(roster(ANA, later)) == []


def test_a_slot_on_the_leads_own_meeting_names_the_meeting_and_how_often() -> None:
    standup = weekly_event("standup", "Team standup", dt.date(2027, 1, 5), 10, weeks=12)
    assert warnings(roster(ANA), standup) == [
        "Ana Tue 10:00 overlaps 'Team standup' on 12 of the next 26 weeks"]


def test_free_cancelled_declined_and_all_day_events_do_not_count_as_busy() -> None:
    day = dt.date(2027, 1, 5)
    free = weekly_event("free", "Focus", day, 10, transparent=True)
    cancelled = weekly_event("cancelled", "Old sync", day, 10, status="CANCELLED")
    declined = weekly_event("declined", "Optional talk", day, 10, attendees=(
        Attendee("dana@example.com", partstat="DECLINED"), Attendee("x@example.com")))
    all_day = weekly_event("allday", "Conference", day, 0, minutes=24 * 60, all_day=True)
    assert warnings(roster(ANA), free, cancelled, declined, all_day) == []


def test_the_roster_1on1s_themselves_are_not_the_leads_other_meetings() -> None:
    own = weekly_event("ana-1on1", "Ana / Dana", dt.date(2027, 1, 5), 10, minutes=45,
                       attendees=(Attendee("dana@example.com"), Attendee("ana@example.com")))
    assert warnings(roster(ANA), own) == []


def test_make_up_slots_keep_the_buffer_preferred_days_and_pauses() -> None:
    prefs = Preferences(days=frozenset({1, 2, 4}), earliest=dt.time(10), latest=dt.time(12),
                        buffer=dt.timedelta(minutes=15))
    ana = dataclasses.replace(ANA, preferences=prefs, pauses=(
        Pause(dt.date(2027, 1, 8), dt.date(2027, 1, 8), "Away", "out-of-office"),))
    skipped = Occurrence(ANA.email, dt.datetime(2027, 1, 5, 10, tzinfo=BERLIN), "skipped",
                         "cancelled")
    nxt = Occurrence(ANA.email, dt.datetime(2027, 1, 12, 10, tzinfo=BERLIN), "upcoming")
    # Wednesday 10:00-11:00 is taken: with 15 minutes around it, 11:15 is the first start.
    busy = [schedule.Interval(dt.datetime(2027, 1, 6, 10, tzinfo=BERLIN),
                              dt.datetime(2027, 1, 6, 11, tzinfo=BERLIN))]
    (up,) = schedule.make_ups(roster(ana), ana, [skipped, nxt], busy,
                              dt.datetime(2027, 1, 5, 12, tzinfo=BERLIN), count=5)
    assert up.before == nxt.expected and up.reason == "cancelled"
    # Thursday is not a preferred day, Friday the lead is away, Tuesday 12th is the next 1:1.
    assert [s.strftime("%a %d %H:%M") for s in up.slots] == ["Wed 06 11:15"]


def test_a_skip_whose_next_1on1_has_passed_is_not_offered() -> None:
    rows = [Occurrence(ANA.email, dt.datetime(2027, 1, 5, 10, tzinfo=BERLIN), "missing"),
            Occurrence(ANA.email, dt.datetime(2027, 1, 12, 10, tzinfo=BERLIN), "held")]
    assert schedule.make_ups(roster(ANA), ANA, rows, [],
                             dt.datetime(2027, 1, 13, 9, tzinfo=BERLIN)) == []


# --- the sweep finds what comparing every pair finds ------------------------------------

_MINUTES = st.integers(min_value=0, max_value=3 * 24 * 60)


@st.composite
def _timelines(draw: st.DrawFn) -> tuple[dict[str, list[schedule.Interval]], schedule.Busy]:
    """A few people's meetings and some busy time, in 15-minute steps (ties and touching
    ends are common), zero-length ones included; busy time in no particular order."""
    def interval(title: str = "") -> schedule.Interval:
        start = NOW + dt.timedelta(minutes=15 * (draw(_MINUTES) // 15))
        return schedule.Interval(start, start + dt.timedelta(minutes=15 * draw(
            st.integers(min_value=0, max_value=12))), title)
    people = draw(st.integers(min_value=2, max_value=5))
    meetings = {f"p{n}@example.com": sorted(
        (interval() for _ in range(draw(st.integers(min_value=0, max_value=6)))),
        key=lambda i: i.start) for n in range(people)}
    busy = [interval(draw(st.sampled_from(("Standup", "Review", "Lunch"))))
            for _ in range(draw(st.integers(min_value=0, max_value=8)))]
    return meetings, schedule.Busy(LEAD.email, tuple(busy))


def _pairwise(r: Roster, meetings: dict[str, list[schedule.Interval]],
              busy: schedule.Busy) -> list[str]:
    """Clash lines by the definition: every pair of people, every pair of meetings."""
    people = [p for p in r.people if p.email in meetings]
    lines = []
    for n, first in enumerate(people):
        for second in people[n + 1:]:
            both = [a for a in meetings[first.email]
                    if any(a.overlaps(b) for b in meetings[second.email])]
            if both:
                when = both[0].start.astimezone(BERLIN)
                lines.append(
                    f"{first.name} and {second.name}: 1:1s overlap on {len(both)} of the next "
                    f"{schedule.CLASH_WEEKS} weeks, first "
                    f"{schedule.DAY_NAMES[when.weekday()]} {when:%Y-%m-%d %H:%M}")
    for p in people:
        by_title: dict[str, int] = {}
        for meeting in meetings[p.email]:
            for title in dict.fromkeys(b.title for b in busy.intervals if b.overlaps(meeting)):
                by_title[title] = by_title.get(title, 0) + 1
        slot = f"{schedule.DAY_NAMES[p.slot.day]} {p.slot.time:%H:%M}"
        lines += [f"{p.name} {slot} overlaps {title!r} on {count} of the next "
                  f"{schedule.CLASH_WEEKS} weeks" for title, count in by_title.items()]
    return lines


@settings(max_examples=150, deadline=None)
@given(_timelines())
def test_clashes_are_those_of_every_pair_of_meetings(
        drawn: tuple[dict[str, list[schedule.Interval]], schedule.Busy]) -> None:
    meetings, busy = drawn
    r = roster(*(dataclasses.replace(ANA, name=f"P{n}", email=email)
                 for n, email in enumerate(meetings)))
    assert schedule.clash_warnings(r, meetings, busy) == _pairwise(r, meetings, busy)
