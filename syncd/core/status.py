"""Per-person status from classified occurrences: last held, next, skips, overdue (pure)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from syncd.core import cadence
from syncd.core.model import Occurrence, Person

SKIP_WINDOW = dt.timedelta(days=90)
OVERDUE_FACTOR = 1.5
_HAPPENED = ("held", "rescheduled")


@dataclass(frozen=True)
class PersonStatus:
    """What a lead wants to know about one person's 1:1s right now."""

    person: Person
    last_held: dt.datetime | None
    next_expected: dt.datetime | None
    skips_90d: int
    overdue: bool
    occurrences: tuple[Occurrence, ...]  # the ones inside the requested window
    days_since_last_held: int | None
    queued: dt.datetime | None = None  # no series yet: the first 1:1, when known


def _happened_at(occ: Occurrence) -> dt.datetime:
    return occ.actual_start or occ.expected


def person_status(
    person: Person, rows: Sequence[Occurrence], start: dt.datetime, end: dt.datetime,
    now: dt.datetime,
) -> PersonStatus:
    """Summarise one person's occurrences (all known rows, any window) as of `now`.

    Skips count `skipped` and `missing` (a 1:1 that fell off the calendar is a skip
    too). Overdue: no held 1:1 for more than 1.5 times the cadence interval, counted from
    the last held one, or from the earliest expected one when none was ever held;
    never while a pause covers today.
    """
    held = [_happened_at(o) for o in rows if o.status in _HAPPENED and _happened_at(o) <= now]
    last_held = max(held, default=None)
    ahead = [o for o in rows if o.status in ("upcoming", "rescheduled")
             and _happened_at(o) >= now]
    next_expected = min((_happened_at(o) for o in ahead), default=None)
    skips = sum(1 for o in rows if o.status in ("skipped", "missing")
                and now - SKIP_WINDOW <= o.expected < now)
    since = last_held or min((o.expected for o in rows if o.expected < now), default=None)
    limit = dt.timedelta(days=OVERDUE_FACTOR * cadence.interval_days(person.cadence))
    paused_now = cadence.in_pause(now, person.pauses) is not None
    overdue = since is not None and not paused_now and now - since > limit
    return PersonStatus(
        person=person, last_held=last_held, next_expected=next_expected, skips_90d=skips,
        overdue=overdue, occurrences=tuple(o for o in rows if start <= o.expected < end),
        # Calendar days in the lead's zone: held on the 12th is "13 days ago" on the 25th.
        days_since_last_held=(now.date() - last_held.astimezone(now.tzinfo).date()).days
        if last_held else None,
    )


def _iso(moment: dt.datetime | None, zone: dt.tzinfo) -> str | None:
    return moment.astimezone(zone).isoformat() if moment else None


def status_json(people: Sequence[PersonStatus], zone: dt.tzinfo) -> dict[str, Any]:
    """The `syncd status --json` contract."""
    return {"people": [
        {
            "email": s.person.email,
            "name": s.person.name,
            "cadence": s.person.cadence.text,
            "slot": _slot(s.person),
            "slot_chosen_by_syncd": s.person.auto_slot and s.person.slot is not None,
            "queued": s.person.queued,
            "first_expected": _iso(s.queued, zone),
            "last_held": _iso(s.last_held, zone),
            "days_since_last_held": s.days_since_last_held,
            "next_expected": _iso(s.next_expected, zone),
            "overdue": s.overdue,
            "skips_90d": s.skips_90d,
            "occurrences": [
                {"expected": _iso(o.expected, zone), "status": o.status, "reason": o.reason,
                 "actual_start": _iso(o.actual_start, zone)}
                for o in s.occurrences
            ],
        }
        for s in people
    ]}


def _slot(person: Person) -> str | None:
    if person.slot is None:
        return None
    return f"{_DAYS[person.slot.day]} {person.slot.time:%H:%M}"


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _days_ago(days: int) -> str:
    return "today" if days == 0 else "yesterday" if days == 1 else f"{days} days ago"


def _occurrence_line(occ: Occurrence, zone: dt.tzinfo) -> str:
    what = occ.status + (f" ({occ.reason})" if occ.reason else "")
    if occ.actual_start is not None and occ.actual_start != occ.expected:
        what += f", held {occ.actual_start.astimezone(zone):%a %Y-%m-%d %H:%M}"
    return f"    {occ.expected.astimezone(zone):%a %Y-%m-%d %H:%M}  {what}"


def status_lines(people: Sequence[PersonStatus], zone: dt.tzinfo) -> list[str]:
    """Per person a summary line (overdue flagged), then each occurrence of the window."""
    lines = []
    for s in people:
        last = (f"last held {s.last_held.astimezone(zone):%Y-%m-%d} "
                f"({_days_ago(s.days_since_last_held or 0)})") if s.last_held else "never held"
        nxt = f"next {s.next_expected.astimezone(zone):%a %Y-%m-%d %H:%M}" \
            if s.next_expected else "nothing ahead"
        flag = "  OVERDUE" if s.overdue else ""
        chosen = (f" (slot {_slot(s.person)}, chosen by syncd)"
                  if s.person.auto_slot and s.person.slot is not None else "")
        if s.person.queued:
            first = (f"first 1:1 on {s.queued.astimezone(zone):%a %Y-%m-%d %H:%M}"
                     if s.queued else "no slot chosen yet")
            lines.append(f"{s.person.name} <{s.person.email}>  {s.person.cadence.text}"
                         f"{chosen}: queued: {first}")
            continue
        lines.append(f"{s.person.name} <{s.person.email}>  {s.person.cadence.text}{chosen}: "
                     f"{last}; {nxt}; {s.skips_90d} skipped in 90 days{flag}")
        lines += [_occurrence_line(o, zone) for o in s.occurrences]
    return lines
