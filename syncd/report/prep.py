"""`syncd prep`: a short brief of one day's 1:1s (pure: data in, text out).

For each meeting of the day: who, when, the notes link, the follow-ups carried into
its agenda section, and the outcome lines of the last meeting held before it, so the
lead re-reads what was agreed before walking in.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from syncd.core.agenda import happens, sections_for
from syncd.core.model import AgendaSection, FollowUp, NotesDoc, Occurrence, Person, Roster
from syncd.core.oneline import one_line

_AHEAD = ("upcoming", "rescheduled", "held")


@dataclass(frozen=True)
class Meeting:
    """One 1:1 of the day and what to re-read before it."""

    person: Person
    start: dt.datetime
    notes_url: str | None
    follow_ups: tuple[FollowUp, ...]  # carried into its section (open ones)
    last_held: dt.date | None  # the day of the last meeting before it with a section
    outcome: tuple[str, ...]  # that meeting's outcome lines


@dataclass(frozen=True)
class Brief:
    """A day's 1:1s, earliest first."""

    day: dt.date
    meetings: tuple[Meeting, ...]


def day_of_next(rows: Mapping[str, Sequence[Occurrence]], now: dt.datetime,
                zone: ZoneInfo) -> dt.date:
    """The local day of the next 1:1 after `now` (today when none is ahead)."""
    starts = [happens(o) for occs in rows.values() for o in occs
              if o.status in _AHEAD and happens(o) >= now]
    return min(starts, default=now).astimezone(zone).date()


def build(roster: Roster, rows: Mapping[str, Sequence[Occurrence]],
          docs: Mapping[str, NotesDoc], day: dt.date) -> Brief:
    """The brief for `day`: every active person's 1:1 that takes place that day."""
    zone = ZoneInfo(roster.timezone)
    meetings = []
    for person in roster.people:
        if not person.active:
            continue
        for occ in rows.get(person.email, ()):
            when = happens(occ).astimezone(zone)
            if occ.status not in _AHEAD or when.date() != day:
                continue
            doc = docs.get(person.email)
            key = occ.expected.astimezone(zone).date()
            sections = doc.agenda if doc is not None else ()
            mine = sections_for(sections, occ, zone)
            last = _last_held(sections, key)
            meetings.append(Meeting(
                person, when, doc.url if doc is not None else None,
                tuple(f for s in mine for f in s.open_items if f.carried),
                _held_day(last), last.outcome if last is not None else ()))
    meetings.sort(key=lambda m: (m.start, m.person.email))
    return Brief(day, tuple(meetings))


def _last_held(sections: Sequence[AgendaSection], key: dt.date) -> AgendaSection | None:
    before = [s for s in sections if s.key < key and not s.cancelled]
    return max(before, key=lambda s: s.key, default=None)


def _held_day(section: AgendaSection | None) -> dt.date | None:
    if section is None:
        return None
    return section.when.date() if section.when is not None else section.key


def subject(brief: Brief) -> str:
    """The email subject."""
    count = len(brief.meetings)
    return f"1:1 prep {brief.day:%a %Y-%m-%d}: {count} meeting{'' if count == 1 else 's'}"


def text(brief: Brief) -> str:
    """The brief as plain text."""
    lines = [f"1:1 prep for {brief.day:%a %Y-%m-%d}", ""]
    if not brief.meetings:
        lines.append("No 1:1s that day.")
    for meeting in brief.meetings:
        lines.append(f"{meeting.start:%H:%M}  {one_line(meeting.person.name)} "
                     f"({meeting.person.role})")
        if meeting.notes_url:
            lines.append(f"  notes: {meeting.notes_url}")
        if meeting.follow_ups:
            lines.append("  follow-ups:")
            lines += [f"    [ ] {one_line(f.text)} (from {f.since.isoformat()})"
                      for f in meeting.follow_ups]
        if meeting.outcome:
            lines.append(f"  last time ({meeting.last_held:%a %Y-%m-%d}):")
            lines += [f"    {one_line(line)}" for line in meeting.outcome]
        elif meeting.last_held is not None:
            lines.append(f"  last time ({meeting.last_held:%a %Y-%m-%d}): no outcome written")
        else:
            lines.append("  first 1:1 with notes")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def as_html(brief: Brief) -> str:
    """The brief for the HTML part of the email (the text, escaped, kept as it is)."""
    return f"<!doctype html><html><body><pre>{html.escape(text(brief))}</pre></body></html>\n"
