"""Which observed events are a person's 1:1s: marker, people, aliases, title patterns."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from syncd.core import cadence, identity
from syncd.core.matching import belongs_to, series_by_person
from syncd.core.model import Attendee, Person, Series, Slot

BERLIN = ZoneInfo("Europe/Berlin")
OWNER = "dana@example.com"
ALICE = Person("Alice Example", "alice@example.com", cadence.parse_cadence("weekly"),
               Slot(1, dt.time(10, 0)), dt.timedelta(minutes=45))
BOB = Person("Bob Example", "bob@example.com", cadence.parse_cadence("weekly"),
             Slot(2, dt.time(11, 0)), dt.timedelta(minutes=30))


def event(uid: str, *guests: Attendee, summary: str = "1:1", organizer: str = OWNER,
          marker: str = "") -> Series:
    start = dt.datetime(2026, 9, 1, 10, 0, tzinfo=BERLIN)
    return Series(uid=uid, summary=summary, start=start, end=start + dt.timedelta(minutes=45),
                  timezone="Europe/Berlin", rrule="FREQ=WEEKLY;BYDAY=TU", attendees=guests,
                  organizer=organizer, marker=marker)


def guest(email: str, cutype: str = "INDIVIDUAL") -> Attendee:
    return Attendee(email, partstat="ACCEPTED", cutype=cutype)


def test_owner_and_person_make_a_one_to_one() -> None:
    series = event("a", guest(OWNER), guest("alice@example.com"))
    assert belongs_to(series, ALICE, OWNER)
    assert not belongs_to(series, BOB, OWNER)


def test_person_as_organizer_counts() -> None:
    series = event("a", guest(OWNER), organizer="alice@example.com")
    assert belongs_to(series, ALICE, OWNER)


def test_third_person_makes_it_a_group_meeting() -> None:
    series = event("a", guest("alice@example.com"), guest("bob@example.com"))
    assert not belongs_to(series, ALICE, OWNER)
    assert not belongs_to(series, BOB, OWNER)


def test_rooms_and_resources_are_not_people() -> None:
    series = event("a", guest("alice@example.com"), guest("room-4@example.com", "ROOM"),
                   guest("beamer@example.com", "RESOURCE"))
    assert belongs_to(series, ALICE, OWNER)


def test_alias_matches_the_person() -> None:
    alice = dataclasses.replace(ALICE, aliases=("alice@old-company.example",))
    series = event("a", guest("alice@old-company.example"))
    assert belongs_to(series, alice, OWNER)
    assert not belongs_to(series, ALICE, OWNER)


def test_marker_matches_whatever_the_guests() -> None:
    mine = event("a", marker=identity.marker("alice@example.com", 3))
    assert belongs_to(mine, ALICE, OWNER)
    assert not belongs_to(mine, BOB, OWNER)


def test_event_without_attendees_matched_by_title_pattern() -> None:
    alice = dataclasses.replace(ALICE, title_pattern=r"\balice\b")
    bare = event("a", summary="Weekly ALICE / Dana")
    assert belongs_to(bare, alice, OWNER)
    assert not belongs_to(event("b", summary="Malice review"), alice, OWNER)
    # Without a pattern, a bare event is nobody's.
    assert not belongs_to(bare, ALICE, OWNER)


def test_title_pattern_ignored_when_someone_else_attends() -> None:
    alice = dataclasses.replace(ALICE, title_pattern="alice")
    series = event("a", guest("bob@example.com"), summary="alice and bob")
    assert not belongs_to(series, alice, OWNER)


def test_series_by_person_agrees_with_belongs_to() -> None:
    alice = dataclasses.replace(ALICE, aliases=("ally@example.com",), title_pattern="alice")
    bob = dataclasses.replace(BOB, title_pattern="alice|bob")
    observed = [
        event("pair", guest("alice@example.com")),
        event("alias", guest("ally@example.com")),
        event("marker", marker=identity.marker("bob@example.com", 1), summary="alice?"),
        event("title", summary="Alice sync"),
        event("group", guest("alice@example.com"), guest("bob@example.com")),
        event("stranger", guest("carol@example.com")),
        event("room", guest("bob@example.com"), guest("r@example.com", "ROOM")),
    ]
    found = series_by_person([alice, bob], OWNER, observed)
    for person in (alice, bob):
        expect = [s.uid for s in observed if belongs_to(s, person, OWNER)]
        assert [s.uid for s in found.get(person.email, [])] == expect
    assert [s.uid for s in found["alice@example.com"]] == ["pair", "alias", "marker", "title"]
    assert [s.uid for s in found["bob@example.com"]] == ["marker", "title", "room"]


# --- each person's matches are their own --------------------------------------------------

_POOL = (ALICE, BOB, dataclasses.replace(ALICE, email="ann@example.com", aliases=(
    "ally@example.com",), title_pattern="ann|alice"), dataclasses.replace(
    BOB, email="ben@example.com", title_pattern="sync"))
_GUESTS = ("alice@example.com", "bob@example.com", "ally@example.com", "ben@example.com",
           "carol@example.com")
_events = st.lists(st.builds(
    lambda n, guests, title, marked: event(
        f"e{n}", *(guest(g) for g in guests), summary=title,
        marker=identity.marker(marked, 1) if marked else ""),
    st.integers(0, 999), st.lists(st.sampled_from(_GUESTS), max_size=2, unique=True),
    st.sampled_from(("1:1", "Alice sync", "ann", "weekly sync")),
    st.sampled_from(("", "", "bob@example.com", "ann@example.com"))), max_size=8)


@settings(max_examples=150, deadline=None)
@given(observed=_events, chosen=st.lists(st.sampled_from(range(len(_POOL))), unique=True))
def test_matching_fewer_people_gives_each_the_same_events(
        observed: list[Series], chosen: list[int]) -> None:
    """Callers that worked out everyone's events once hand them to steps that need only some
    people's (the active ones, those with a slot): the same as matching those alone."""
    everyone = series_by_person(_POOL, OWNER, observed)
    some = [_POOL[n] for n in chosen]
    assert series_by_person(some, OWNER, observed) == {
        p.email: everyone[p.email] for p in some if p.email in everyone}
