"""The 1:1 series syncd would write, with notes links, as one importable calendar file.

For read-only sources (ICS feeds): a person imports or subscribes to this file
instead of syncd writing to their calendar. It holds only syncd's own series: one
a person already has (a hand-made 1:1 syncd would adopt, one someone else
organizes) is listed as already on the calendar, never exported again beside it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from syncd.calendars.vevent import calendar_bytes, series_event, set_notes
from syncd.core import identity, planner
from syncd.core.model import CreateSeries, Memory, Roster, Series, SeriesSpec, SeriesStep


@dataclass(frozen=True)
class Export:
    """The file's bytes, who is in it, and the 1:1s left out because the calendar has them."""

    data: bytes
    exported: tuple[str, ...]  # emails
    on_calendar: tuple[str, ...]  # one line each: person, the event's title and uid


def export_calendar(
    roster: Roster, memory: Memory, notes_urls: Mapping[str, str], now: dt.datetime,
    observed: tuple[Series, ...],
) -> Export:
    """Per active person, the series the planner would create from `observed`, or the one
    syncd created that is already there (under its own UID, so importing it again replaces
    rather than duplicates it); any other 1:1 of theirs stays out."""
    zone = ZoneInfo(roster.timezone)
    plan = planner.plan(roster, observed, None, memory, now)
    creates = {a.person: a.spec for a in plan.actions if isinstance(a, CreateSeries)}
    touched = {a.person: a.series_uid for a in plan.actions
               if isinstance(a, SeriesStep) and a.series_uid}
    events, exported, on_calendar = [], [], []
    for person in roster.people:
        if not person.active:
            continue
        if person.queued:
            on_calendar.append(f"{person.email}: not yet: queued (the rollout, or no slot "
                               "chosen yet: run reconcile)")
            continue
        spec = creates.get(person.email) or _created(roster, person.email, observed, now)
        if spec is None:
            uid = touched.get(person.email) or _theirs(plan.warnings, person.email)
            on_calendar.append(f"{person.email}: already on the calendar"
                               + (f" ({uid})" if uid else ""))
            continue
        event = series_event(spec, zone)
        if person.email in notes_urls:
            set_notes(event, notes_urls[person.email])
        events.append(event)
        exported.append(person.email)
    return Export(calendar_bytes(events), tuple(exported), tuple(on_calendar))


def _created(roster: Roster, email: str, observed: tuple[Series, ...],
             now: dt.datetime) -> SeriesSpec | None:
    """The roster's series under the UID of one syncd created that the calendar holds live."""
    key = identity.person_key(email)
    for series in observed:
        parsed = identity.parse_marker(series.marker) if series.marker else None
        if (parsed is not None and parsed[0] == key
                and series.uid == identity.series_uid(email, parsed[1])
                and planner.is_live(series, now)):
            person = next(p for p in roster.people if p.email == email)
            return planner.desired_spec(roster, person, now, parsed[1])
    return None


def _theirs(warnings: tuple[str, ...], email: str) -> str:
    """The planner's own words about a person's 1:1 it leaves alone, if it said any."""
    return next((w.removeprefix(f"{email}: ") for w in warnings if w.startswith(f"{email}: ")),
                "")
