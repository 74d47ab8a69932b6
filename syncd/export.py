"""The roster's desired 1:1 series, with notes links, as one importable calendar file.

For read-only sources (ICS feeds): a person imports or subscribes to this file
instead of syncd writing to their calendar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from syncd.calendars.local import calendar_bytes, series_event, set_notes
from syncd.core import planner
from syncd.core.model import Memory, Roster


def export_calendar(
    roster: Roster, memory: Memory, notes_urls: Mapping[str, str], now: dt.datetime
) -> bytes:
    """One VEVENT per active person: their current generation's UID, so re-exports
    replace rather than duplicate what a calendar imported before."""
    zone = ZoneInfo(roster.timezone)
    events = []
    for person in roster.people:
        if not person.active:
            continue
        gens = [row.generation for row in memory.series if row.person == person.email]
        spec = planner.desired_spec(roster, person, now, max(gens, default=1))
        event = series_event(spec, zone)
        if person.email in notes_urls:
            set_notes(event, notes_urls[person.email])
        events.append(event)
    return calendar_bytes(events)


