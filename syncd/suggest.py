"""`syncd suggest`: free slots to make up a skipped 1:1, from what the calendar shows.

The shell around `core.schedule.make_ups`: read the calendar and history, gather the
busy time syncd can see (the lead's own events, every roster 1:1, and the person's
free/busy where Google shows it), and say plainly whose availability it could not see.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from syncd import placing, reconcile
from syncd.config import Config
from syncd.core import cadence, schedule
from syncd.core.model import Person, Roster, Series
from syncd.core.oneline import one_line
from syncd.state import State


class UnknownPerson(Exception):
    """The name or email matches no active roster person."""


@dataclass(frozen=True)
class Suggestions:
    """What `suggest` found for one person."""

    person: Person
    make_ups: tuple[schedule.MakeUp, ...]
    not_visible: tuple[str, ...]  # emails whose busy time syncd could not see
    failure: str | None  # why the calendar could not be read, else None


def find_person(config: Config, query: str) -> Person:
    """The active person whose email or name is `query` (case-insensitive)."""
    wanted = query.strip().lower()
    for person in config.roster.people:
        if person.active and wanted in (person.email, person.name.lower()):
            return person
    raise UnknownPerson(f"no active person {query!r} on the roster (give an email or a name)")


def suggest(config: Config, state: State, query: str, now: dt.datetime,
            count: int) -> Suggestions:
    """Free slots for each of the person's skipped 1:1s that can still be made up."""
    person = find_person(config, query)
    span = dt.timedelta(days=2 * cadence.interval_days(person.cadence))
    seen = reconcile.observe_people(config, state, now, now - span, now + span)
    if seen.failure:
        return Suggestions(person, (), (), seen.failure)
    this = next(p for p in seen.roster.people if p.email == person.email)
    taken = busy_time(config, seen.roster, seen.observed, [this], now)
    ups = schedule.make_ups(seen.roster, this, seen.rows.get(person.email, []),
                            taken.of(person.email), now, count)
    return Suggestions(person, tuple(ups), taken.not_visible, None)


@dataclass(frozen=True)
class Taken:
    """The busy time a make-up must avoid: the lead's and every roster 1:1 (`common`), and
    what free/busy shows of each person (`theirs`); `not_visible`: whose it could not see."""

    common: tuple[schedule.Interval, ...]
    theirs: dict[str, tuple[schedule.Interval, ...]]
    not_visible: tuple[str, ...]

    def of(self, email: str) -> list[schedule.Interval]:
        """Everything a make-up with `email` must not overlap."""
        return [*self.common, *self.theirs.get(email, ())]


def busy_time(config: Config, roster: Roster, observed: Sequence[Series],
              people: Sequence[Person], now: dt.datetime) -> Taken:
    """What syncd can see is taken from now on over the clash horizon, for make-ups with
    `people`: the lead's own events, every roster 1:1 (expected, moved and made up), the
    lead's whole free/busy and each person's where Google shows it."""
    end = now + dt.timedelta(weeks=schedule.CLASH_WEEKS)
    busy = list(schedule.owner_busy(roster, observed, now, end).intervals)
    busy += [m for meetings in schedule.roster_meetings(roster, observed, now).values()
             for m in meetings]
    busy += schedule.roster_events(roster, observed, now, end)
    # The lead's whole free/busy (the calendar read keeps only roster events) and theirs.
    emails = [p.email for p in people]
    shown = placing.free_busy(config, [roster.owner.email, *emails], now, end)
    busy += shown[roster.owner.email].intervals
    return Taken(tuple(busy), {e: shown[e].intervals for e in emails},
                 tuple(e for e in emails if not shown[e].known))


def first_slots(config: Config, seen: reconcile.Observation,
                now: dt.datetime) -> dict[tuple[str, dt.datetime], dt.datetime]:
    """(email, skipped slot in UTC) → the first free slot to make it up, for every active
    person's skipped 1:1 that has no make-up and can still have one (the weekly report)."""
    people = [p for p in seen.roster.people if p.active]
    taken = busy_time(config, seen.roster, seen.observed, people, now)
    return {(p.email, up.expected.astimezone(dt.UTC)): up.slots[0] for p in people
            for up in schedule.make_ups(seen.roster, p, seen.rows.get(p.email, []),
                                        taken.of(p.email), now, 1) if up.slots}


def suggestion_lines(found: Suggestions, zone: ZoneInfo) -> list[str]:
    """Readable lines: each skipped 1:1, its deadline and the free slots."""
    name = one_line(found.person.name)
    if not found.make_ups:
        return [f"{name}: no skipped 1:1 to make up"]
    lines = []
    for up in found.make_ups:
        lines.append(f"{name}: {_when(up.expected, zone)} was {_said(up.reason)}; "
                     f"make it up before {_when(up.before, zone)}:")
        lines += [f"  {_when(s, zone)}" for s in up.slots] or ["  no free slot found"]
    lines += [f"(availability of {email} not visible: only your own calendar was checked)"
              for email in found.not_visible]
    return lines


def suggestion_json(found: Suggestions, zone: ZoneInfo) -> dict[str, Any]:
    """The contract of `suggest --json` (docs/suggest-schema.json)."""
    return {
        "person": found.person.email,
        "name": found.person.name,
        "make_ups": [{"expected": _iso(up.expected, zone), "reason": up.reason,
                      "before": _iso(up.before, zone),
                      "slots": [_iso(s, zone) for s in up.slots]} for up in found.make_ups],
        "not_visible": list(found.not_visible),
    }


def _said(reason: str) -> str:
    return "missing from the calendar" if reason == "missing" else f"skipped ({reason})"


def _when(moment: dt.datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%a %Y-%m-%d %H:%M")


def _iso(moment: dt.datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).isoformat()
