"""Events prepared once and classified over several windows give exactly the rows each
window gives on its own: reconcile classifies a person's events for their agenda and for
the history, and reads them once for both."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from syncd.core import cadence, identity, observe
from syncd.core.classify import classify, classify_prepared, prepare
from syncd.core.model import (
    Attendee,
    Instance,
    Owner,
    Pause,
    Person,
    Phase,
    Roster,
    Series,
    Slot,
)

BERLIN = ZoneInfo("Europe/Berlin")
OWNER = "dana@example.com"
ALICE = "alice@example.com"
FIRST = dt.datetime(2026, 3, 3, 10, 0, tzinfo=BERLIN)  # a Tuesday, before the DST change
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=BERLIN)
WEEKLY = "FREQ=WEEKLY;BYDAY=TU"
_GUESTS = {(them, me): (Attendee(OWNER, partstat=me), Attendee(ALICE, partstat=them))
           for them in ("ACCEPTED", "DECLINED") for me in ("ACCEPTED", "DECLINED")}

_cadences = st.sampled_from(("weekly", "biweekly", "monthly", "every 3 weeks"))
_pauses = st.lists(st.builds(
    lambda day, days, off: Pause(day, day + dt.timedelta(days=days), "away", off),
    st.dates(dt.date(2026, 6, 1), dt.date(2027, 3, 1)), st.integers(0, 20),
    st.sampled_from((None, "holiday", "out-of-office"))), max_size=2).map(tuple)


@st.composite
def _people(draw: st.DrawFn) -> Person:
    then = draw(st.none() | st.builds(
        lambda weeks, spec: Phase(dt.timedelta(weeks=weeks), cadence.parse_cadence(spec)),
        st.integers(4, 60), _cadences))
    return Person("Alice", ALICE, cadence.parse_cadence(draw(_cadences)),
                  Slot(1, dt.time(10, 0), week=2), dt.timedelta(minutes=45),
                  start=draw(st.none() | st.just(FIRST.date())) if then is None
                  else FIRST.date(), pauses=draw(_pauses), then=then)


def _instance(draw: st.DrawFn, slot: dt.datetime, shared: tuple[Attendee, ...]) -> Instance:
    """The slot's instance as a person may have left it."""
    what = draw(st.sampled_from(("as is", "as is", "moved", "cancelled", "declined",
                                 "all day", "elsewhere")))
    if what == "as is":
        return Instance(slot, slot, slot + dt.timedelta(minutes=45), attendees=shared)
    if what == "moved":
        moved = slot + dt.timedelta(hours=draw(st.integers(-24 * 9, 24 * 9)))
        return Instance(slot, moved, moved + dt.timedelta(minutes=45), attendees=shared,
                        overridden=True)
    if what == "cancelled":
        return Instance(slot, slot, slot + dt.timedelta(minutes=45), "CANCELLED", shared, True)
    if what == "declined":
        guests = _GUESTS[draw(st.sampled_from(sorted(_GUESTS)))]
        return Instance(slot, slot, slot + dt.timedelta(minutes=45), attendees=guests,
                        overridden=True)
    if what == "all day":
        day = dt.datetime.combine(slot.date(), dt.time(0), BERLIN)
        return Instance(day, day, day + dt.timedelta(days=1), attendees=shared, overridden=True)
    elsewhere = slot.astimezone(dt.UTC)  # the same slot, shown in another zone
    return Instance(elsewhere, elsewhere, elsewhere + dt.timedelta(minutes=45),
                    attendees=shared)


@st.composite
def _calendars(draw: st.DrawFn) -> tuple[Series, ...]:
    """Alice's 1:1 series (on the roster's slot or another one), one-off meetings near
    it and syncd's booked make-ups, with their instances in the read window."""
    found = []
    shared = _GUESTS[("ACCEPTED", "ACCEPTED")]
    for n in range(draw(st.integers(0, 2))):
        first = FIRST + dt.timedelta(hours=draw(st.sampled_from((0, 0, 1, 24, -24 * 7))))
        rule = draw(st.sampled_from((WEEKLY, "FREQ=WEEKLY", "FREQ=WEEKLY;INTERVAL=2")))
        exdates = tuple(first + dt.timedelta(weeks=w)
                        for w in draw(st.lists(st.integers(0, 80), max_size=2)))
        slots = cadence.expand(rule, first, NOW - dt.timedelta(days=100),
                               NOW + dt.timedelta(days=410), exdates)
        found.append(Series(
            uid=f"s{n}@x", summary="1:1", start=first, end=first + dt.timedelta(minutes=45),
            timezone="Europe/Berlin", rrule=rule, exdates=exdates, attendees=shared,
            organizer=OWNER, status=draw(st.sampled_from(("CONFIRMED",) * 5 + ("CANCELLED",))),
            instances=tuple(_instance(draw, s, shared) for s in slots),
            broken=draw(st.sampled_from(("",) * 9 + ("no rule",)))))
    for n in range(draw(st.integers(0, 3))):
        when = NOW + dt.timedelta(hours=draw(st.integers(-24 * 90, 24 * 90)))
        marker = ""
        if draw(st.booleans()):
            slot = FIRST + dt.timedelta(weeks=draw(st.integers(20, 50)))
            marker = identity.makeup_marker(ALICE, slot)
        found.append(Series(
            uid=f"o{n}@x", summary="catch-up", start=when,
            end=when + dt.timedelta(minutes=45), timezone="Europe/Berlin", attendees=shared,
            organizer=OWNER, marker=marker,
            instances=(Instance(when, when, when + dt.timedelta(minutes=45),
                                attendees=shared),)))
    return tuple(draw(st.permutations(found)))


_windows = st.lists(st.builds(
    lambda begin, days: (NOW + dt.timedelta(days=begin), NOW + dt.timedelta(days=begin + days)),
    st.integers(-120, 30), st.integers(0, 420)), min_size=1, max_size=3)


@settings(max_examples=150, deadline=None)
@given(person=_people(), found=_calendars(), windows=_windows,
       now=st.integers(-60, 60).map(lambda days: NOW + dt.timedelta(days=days)))
def test_prepared_once_classified_anywhere_is_classified_afresh(
        person: Person, found: tuple[Series, ...], windows: list[tuple[dt.datetime, dt.datetime]],
        now: dt.datetime) -> None:
    events = prepare(person, OWNER, found)
    anchor = FIRST.date()
    for start, end in windows:
        # repr, not ==: the same instants in the same zones, not only equal ones.
        assert repr(classify_prepared(events, person, "Europe/Berlin", start, end, now,
                                      anchor)) == repr(
            classify(person, "Europe/Berlin", OWNER, found, start, end, now, anchor))


@settings(max_examples=50, deadline=None)
@given(person=_people(), found=_calendars(), now=st.integers(-60, 60).map(
    lambda days: NOW + dt.timedelta(days=days)))
def test_a_roster_prepared_once_is_classified_as_without(
        person: Person, found: tuple[Series, ...], now: dt.datetime) -> None:
    roster = Roster(Owner("Dana", OWNER), "Europe/Berlin", (person,))
    prepared = observe.prepare_roster(roster, found)
    start, end = now - dt.timedelta(days=90), now
    assert repr(observe.classify_roster(roster, found, start, end, now, prepared)) == repr(
        observe.classify_roster(roster, found, start, end, now))


def test_events_prepared_for_someone_else_are_refused() -> None:
    events = prepare(dataclasses.replace(
        Person("Bob", "bob@example.com", cadence.parse_cadence("weekly"), Slot(1, dt.time(10)),
               dt.timedelta(minutes=45))), OWNER, ())
    alice = Person("Alice", ALICE, cadence.parse_cadence("weekly"), Slot(1, dt.time(10)),
                   dt.timedelta(minutes=45))
    try:
        classify_prepared(events, alice, "Europe/Berlin", NOW, NOW + dt.timedelta(days=7), NOW,
                          NOW.date())
    except ValueError as exc:
        assert "another person" in str(exc)
    else:
        raise AssertionError("events of bob classified as alice's")
