"""`syncd suggest`: free slots to make up a skipped 1:1, from what the calendar shows.

The shell around `core.schedule.make_ups`: read the calendar and history, gather the
busy time syncd can see (the lead's own events, every roster 1:1, and the person's
free/busy where Google shows it), and say plainly whose availability it could not see.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from syncd import reconcile
from syncd.config import Config, GoogleCalendarConfig
from syncd.core import cadence, schedule
from syncd.core.model import Person
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
    roster = seen.roster
    this = next(p for p in roster.people if p.email == person.email)
    end = now + dt.timedelta(weeks=schedule.CLASH_WEEKS)
    busy = list(schedule.owner_busy(roster, seen.observed, now, end).intervals)
    busy += [m for meetings in schedule.roster_meetings(roster, seen.observed, now).values()
             for m in meetings]
    # The lead's whole free/busy (the calendar read keeps only roster events) and theirs.
    shown = _free_busy(config, [roster.owner.email, person.email], now, end)
    busy += [i for seen_busy in shown.values() for i in seen_busy.intervals]
    ups = schedule.make_ups(roster, this, seen.rows.get(person.email, []), busy, now, count)
    hidden = () if shown[person.email].known else (person.email,)
    return Suggestions(person, tuple(ups), hidden, None)


def _free_busy(config: Config, emails: list[str], start: dt.datetime,
               end: dt.datetime) -> dict[str, schedule.Busy]:
    """Google's free/busy for each email; unknown for all on other calendars."""
    unknown = {email: schedule.Busy(email, known=False) for email in emails}
    if not isinstance(config.calendar, GoogleCalendarConfig):
        return unknown
    from syncd.google import auth, freebusy

    try:
        api = reconcile.connect_google(config)
    except auth.AuthError:
        return unknown
    assert api is not None  # the calendar is Google's
    return freebusy.query(api, emails, start, end)


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
