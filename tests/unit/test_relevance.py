"""The one rule every calendar reader keeps events by (syncd.core.relevance)."""

from __future__ import annotations

import datetime as dt

from syncd.core.model import Cadence, Person, Slot
from syncd.core.relevance import Relevance, addresses

OWNER = "lea@example.com"


def _person(email: str, *, aliases: tuple[str, ...] = (), title: str = "") -> Person:
    return Person(name=email, email=email, cadence=Cadence("weekly", "weekly", weeks=1),
                  slot=Slot(1, dt.time(10)), duration=dt.timedelta(minutes=30),
                  aliases=aliases, title_pattern=title)


ANN = _person("ann@example.com", aliases=("Ann.Private@example.org",), title=r"^1:1 ann\b")
RULE = Relevance.of([ANN, _person(OWNER)], OWNER, away_title="vacation")


def test_a_roster_address_or_alias_among_the_people_concerns_the_roster() -> None:
    assert RULE.concerns(people=["ANN@example.com"])
    assert RULE.concerns(people=[OWNER, "ann.private@example.org"])
    assert not RULE.concerns(people=[OWNER, "joann@example.com"])


def test_the_leads_own_address_selects_nothing() -> None:
    assert not RULE.concerns(people=[OWNER.upper()])


def test_titles_markers_and_time_off() -> None:
    assert RULE.concerns(title="1:1 Ann / Lea")
    assert not RULE.concerns(title="Team 1:1 Ann")
    assert RULE.concerns(marked=True) and RULE.concerns(out_of_office=True)
    assert RULE.concerns(title="Vacation")
    assert not RULE.concerns(title="Vacation planning", timed=True)
    assert not RULE.concerns()


def test_a_changed_roster_or_away_title_changes_the_fingerprint() -> None:
    prints = {Relevance.of([ANN], OWNER).fingerprint,
              Relevance.of([ANN], OWNER, away_title="vacation").fingerprint,
              Relevance.of([ANN, _person("bo@example.com")], OWNER).fingerprint,
              Relevance.of([ANN], "other@example.com").fingerprint}
    assert len(prints) == 4
    assert Relevance.of([ANN], OWNER).fingerprint == Relevance.of([ANN], OWNER).fingerprint


def test_addresses_are_found_between_the_separators_calendars_write() -> None:
    line = 'ATTENDEE;CN="Ann <Ann@Example.com>";DELEGATED-FROM="mailto:b@x.org":mailto:c@y.org'
    assert addresses(line) == ["ann@example.com", "b@x.org", "c@y.org"]


def test_an_everyone_rule_keeps_any_event_naming_someone_but_the_owner() -> None:
    """`syncd init` has no roster yet: every event with another person in it may be a 1:1."""
    rule = Relevance.of([], OWNER, everyone=True)
    assert rule.concerns(people=[OWNER, "joann@example.com"])
    assert not rule.concerns(people=[OWNER.upper(), ""], title="Focus time")
    assert rule.fingerprint != Relevance.of([], OWNER).fingerprint
