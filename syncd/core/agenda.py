"""Which agenda sections a person's notes need: one per meeting that really takes place.

Pure: classified occurrences + the sections the document holds + now → notes actions.
A section is keyed by the roster slot it prepares and headed with the time the
meeting really takes place, so a moved meeting keeps its section (re-headed), a
make-up gets the section of the slot it makes up, and a meeting cancelled or
declined ahead gets none (an existing one gets a line saying so). Open items of the
last held meeting, and whatever a cancelled one left unfinished, are carried into
the next section. docs/notes.md has the rules with examples.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from zoneinfo import ZoneInfo

from syncd.core.model import (
    AgendaAction,
    AgendaSection,
    AgendaWrite,
    CancelAgenda,
    FollowUp,
    MoveAgenda,
    NotesDoc,
    Occurrence,
    Person,
    PrepareAgenda,
)

_REASONS = {"cancelled": "cancelled", "deleted": "removed from the calendar",
            "declined-by-them": "declined by them", "declined-by-me": "declined by you"}


def template_for(person: Person, day: dt.date) -> str:
    """The agenda template a meeting on `day` gets: new-hire while onboarding, else the role."""
    if person.role == "new-hire" or (person.onboarding_until is not None
                                     and day <= person.onboarding_until):
        return "new-hire"
    return person.role


def happens(occ: Occurrence) -> dt.datetime:
    """When an occurrence takes (or took) place."""
    return occ.actual_start or occ.expected


def next_meeting(occurrences: Sequence[Occurrence], now: dt.datetime) -> Occurrence | None:
    """The next 1:1 that really takes place: upcoming, or a past slot made up ahead."""
    ahead = [o for o in occurrences if o.status == "upcoming" or (
        o.status == "rescheduled" and o.actual_start is not None and o.actual_start >= now)]
    return min(ahead, key=happens, default=None)


def _local(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=None, second=0, microsecond=0)


def _label(occ: Occurrence, local: dt.datetime, key: dt.date, one_offs: frozenset[str]) -> str:
    if local.date() == key:
        return ""
    what = "make-up for" if occ.series_uid in one_offs else "moved from"
    return f"{what} {key:%a %Y-%m-%d}"


def _matches(section: AgendaSection, key: dt.date, day: dt.date) -> bool:
    # Sections written before keys existed were dated on the day the meeting took place.
    return section.key == key or (section.when is None and section.key == day)


def sections_for(sections: Sequence[AgendaSection], occ: Occurrence,
                 zone: ZoneInfo) -> list[AgendaSection]:
    """The sections that prepare the meeting `occ` stands for: those keyed by its roster
    slot, or else one already headed with the very time it takes place (the roster slot
    moved, and the meeting it now stands for was prepared under the old slot: one meeting,
    one section)."""
    key = occ.expected.astimezone(zone).date()
    local = _local(happens(occ).astimezone(zone))
    mine = [s for s in sections if _matches(s, key, local.date())]
    return mine or [s for s in sections if s.when == local and not s.cancelled]


def carried(sections: Sequence[AgendaSection], key: dt.date) -> tuple[FollowUp, ...]:
    """The follow-ups a new section for slot `key` starts with: the open items of the last
    held meeting's section, and what cancelled ones since then left unfinished."""
    before = sorted((s for s in sections if s.key < key), key=lambda s: s.key)
    held = [i for i, s in enumerate(before) if not s.cancelled]
    sources = before[held[-1]:] if held else before
    out: dict[str, FollowUp] = {}
    for section in sources:
        since = section.when.date() if section.when is not None else section.key
        items = list(section.open_items)
        if section.cancelled:
            items += [FollowUp(text, since) for text in section.leftovers]
        for item in items:
            out.setdefault(item.text.casefold(), FollowUp(item.text, item.since,
                                                          item.carried + 1))
    return tuple(out.values())


def plan(
    person: Person, occurrences: Sequence[Occurrence], doc: NotesDoc | None,
    now: dt.datetime, zone: ZoneInfo, one_offs: frozenset[str] = frozenset(),
) -> list[AgendaAction]:
    """The agenda actions for one person: prepare or re-head the next meeting's section,
    and mark the sections of meetings called off ahead. `doc` None: the document is
    about to be created. `one_offs`: uids of single events (a moved day is a make-up)."""
    found = doc.agenda if doc is not None else ()
    actions: list[AgendaAction] = []
    for occ in occurrences:
        if occ.status != "skipped" or occ.expected <= now:
            continue
        key = occ.expected.astimezone(zone).date()
        for section in found:
            if section.key == key and not section.cancelled:
                at = section.when or _local(occ.expected.astimezone(zone))
                reason = _REASONS.get(occ.reason or "", "cancelled")
                actions.append(CancelAgenda(
                    person.email, f"mark the agenda of {at:%a %Y-%m-%d %H:%M} as off ({reason})",
                    AgendaWrite(key, at.replace(tzinfo=zone), reason=reason)))
    target = next_meeting(occurrences, now)
    if target is None:
        return actions
    # What this run calls off counts as off for carrying already.
    off = {a.section_date for a in actions}
    found = tuple(replace(s, cancelled=True) if s.key in off else s for s in found)
    when = happens(target).astimezone(zone)
    key = target.expected.astimezone(zone).date()
    local = _local(when)
    label = _label(target, local, key, one_offs)
    mine = sections_for(found, target, zone)
    if mine:
        section = mine[-1]
        if section.when is not None and section.when != local:
            actions.append(MoveAgenda(
                person.email,
                f"re-head the agenda of {section.when:%a %Y-%m-%d %H:%M} to "
                f"{local:%a %Y-%m-%d %H:%M}", AgendaWrite(key, when, label)))
        return actions
    follow_ups = carried(found, key)
    carry = f", {len(follow_ups)} follow-up{'s' if len(follow_ups) != 1 else ''} carried" \
        if follow_ups else ""
    actions.append(PrepareAgenda(
        person.email,
        f"add agenda for {local:%a %Y-%m-%d %H:%M}{f' ({label})' if label else ''}{carry}",
        AgendaWrite(key, when, label, follow_ups, template_for(person, local.date()))))
    return actions
