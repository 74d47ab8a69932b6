"""Where and when a person's 1:1s begin (pure): the slot syncd chooses for `slot: auto`,
the rollout queue that staggers new people's first series, and the day cadence phases
(`then:`) count from.

Each decision is made once, recorded in state by the shell (`syncd/placing.py`) and then
kept: a slot syncd chose is never moved on its own (a later clash is a warning with a
suggestion), a queued person keeps their week. Busy time comes in as plain intervals;
nothing here reads a calendar or the clock.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from syncd.core import cadence, observe
from syncd.core.model import Person, Placement, Roster, Series, Slot
from syncd.core.schedule import DAY_NAMES, SUGGEST_STEP, Busy, Interval

AUTO_OCCURRENCES = 8  # a slot is free when both are free for this many meetings
# Other 1:1s are kept clear of for longer: a quarterly one may be months away.
CLEAR_OF_ONE_ON_ONES = dt.timedelta(weeks=26)
MAX_QUEUE_WEEKS = 104  # how far the rollout queue may reach
NOTICE = dt.timedelta(days=7)  # a queued person's series is made this long before it starts


@dataclass(frozen=True)
class Placing:
    """The decisions one run makes, and what to tell the lead about them."""

    made: tuple[Placement, ...] = ()
    info: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def needs_placement(roster: Roster, person: Person, new: bool) -> bool:
    """Whether syncd must decide something for the person: their slot, their start for a
    cadence phase, or their week in the rollout."""
    return person.active and (person.auto_slot or person.then is not None
                              or (new and roster.max_new_per_week is not None))


def resolve(roster: Roster, placements: Mapping[str, Placement],
            mine: Mapping[str, Sequence[Series]], now: dt.datetime) -> Roster:
    """The roster with the recorded decisions applied: chosen slots, the start phases count
    from, and `queued` for new people whose first 1:1 is in a later week (the rollout) or
    whose slot is still to be chosen. `mine`: each person's 1:1 events on the calendar."""
    people = []
    for person in roster.people:
        placed = placements.get(person.email)
        if placed is None:
            # Auto without a decision yet: nothing is planned until a slot is chosen.
            people.append(dataclasses.replace(person, queued=person.active and
                                              person.slot is None))
            continue
        slot = placed.slot if person.auto_slot and placed.slot is not None else person.slot
        # The series is made a week ahead of the first 1:1 (the invitation with it).
        waiting = (placed.new and roster.max_new_per_week is not None and slot is not None
                   and not any(s.rrule for s in mine.get(person.email, ()))
                   and now < _first_start(roster, dataclasses.replace(person, slot=slot),
                                          placed.first) - NOTICE)
        people.append(dataclasses.replace(person, slot=slot, start=placed.first,
                                          queued=slot is None or waiting))
    return dataclasses.replace(roster, people=tuple(people))


def place(roster: Roster, placements: Mapping[str, Placement],
          mine: Mapping[str, Sequence[Series]], history: frozenset[str],
          busy: Sequence[Interval], visible: Mapping[str, Busy], now: dt.datetime) -> Placing:
    """Decide what is still undecided, in roster order: each `slot: auto` person's slot
    (the first one in working hours on their preferred days where the lead, and the person
    as far as their free/busy is visible, are free for the next 8 meetings, on the day
    with the fewest 1:1s), the start cadence phases count from, and for new people (no
    1:1 on the calendar, no history) the week of their first 1:1 under `rollout:`.

    `history`: people syncd has history or an owned series of (never new).
    `busy`: the lead's busy time (their calendar's other events, and free/busy where
    shown); the roster's 1:1s are added here. `visible`: free/busy by email, where known.
    A queued person whose first 1:1 passed with no series made (syncd did not run that
    week) is placed again, in the next week the rollout has room in.
    """
    zone = ZoneInfo(roster.timezone)
    today = now.astimezone(zone).date()
    kept = _kept(roster, placements, mine, history, now)
    made: list[Placement] = []
    info: list[str] = []
    warnings: list[str] = []
    todo = set(undecided(roster, placements, mine, history, now))
    for person in roster.people:
        if person.email not in todo:
            continue
        series = _series(mine, person.email)
        new = not series and person.email not in history
        current = resolve(roster, {**kept, **{p.person: p for p in made}}, mine, now)
        taken = [*busy, *_one_on_ones(current, mine, person.email, now)]
        seen = visible.get(person.email)
        if seen is not None and seen.known:
            taken += seen.intervals
        if not new:
            known = _existing(roster, person, series, taken, now)
            if known is None:
                warnings.append(_no_slot(person))
                continue
            if person.auto_slot and not series and known.slot is not None:
                info.append(_chosen(person, known.slot, seen))
            made.append(known)
            continue
        counts = _week_counts([*kept.values(), *made], zone)
        queued = _queue(roster, person, taken, counts, now, zone, today)
        if queued is None:
            warnings.append(_no_slot(person))
            continue
        made.append(queued)
        if person.auto_slot and queued.slot is not None:
            info.append(_chosen(person, queued.slot, seen))
    return Placing(tuple(made), tuple(info), tuple(warnings))


def undecided(roster: Roster, placements: Mapping[str, Placement],
              mine: Mapping[str, Sequence[Series]], history: frozenset[str],
              now: dt.datetime) -> list[str]:
    """The people `place` has to decide something for, in roster order (for the shell:
    whose free/busy to ask for)."""
    kept = _kept(roster, placements, mine, history, now)
    return [p.email for p in roster.people if p.email not in kept and needs_placement(
        roster, p, not _series(mine, p.email) and p.email not in history)]


def calendar_one_on_ones(mine: Mapping[str, Sequence[Series]], now: dt.datetime
                         ) -> list[Interval]:
    """The roster's 1:1s as the calendar holds them from `now` (moved, winding down), as
    busy time beside the roster's own idea of them."""
    return [Interval(i.start, i.end, _ONE_ON_ONE)
            for found in mine.values() for s in found if not s.broken
            for i in s.instances if i.status != "CANCELLED" and i.end > now]


def first_meeting(roster: Roster, person: Person) -> dt.datetime | None:
    """A queued person's first 1:1 (None when no slot is chosen yet)."""
    if person.slot is None or person.start is None:
        return None
    return _first_start(roster, person, person.start)


def queued_lines(roster: Roster, placements: Mapping[str, Placement]) -> list[str]:
    """"Ana: queued: first 1:1 on Tue 2026-12-15 10:00" for each queued person."""
    zone = ZoneInfo(roster.timezone)
    lines = []
    for person in roster.people:
        if not (person.active and person.queued):
            continue
        first = first_meeting(roster, person)
        if first is None or person.email not in placements:
            lines.append(f"{person.name}: queued: no slot chosen yet (slot: auto)")
            continue
        first = first.astimezone(zone)
        lines.append(f"{person.name}: queued: first 1:1 on {first:%a %Y-%m-%d %H:%M}"
                     + (f" (rollout: at most {roster.max_new_per_week} new a week)"
                        if roster.max_new_per_week is not None else ""))
    return lines


def move_suggestions(roster: Roster, meetings: Mapping[str, Sequence[Interval]],
                     busy: Sequence[Interval], mine: Mapping[str, Sequence[Series]],
                     now: dt.datetime) -> list[str]:
    """For each slot syncd chose that now clashes (with the lead's busy time or another
    1:1, over `meetings`, the roster's coming 1:1s): it stays where it is, and here is a
    free one to move it to by hand."""
    lines = []
    for person in roster.people:
        if not (person.active and person.auto_slot and person.slot is not None):
            continue
        own = meetings.get(person.email, ())
        others = [m for email, found in meetings.items() if email != person.email
                  for m in found]
        if not any(m.overlaps(b) for m in own for b in (*busy, *others)):
            continue
        taken = [*busy, *_one_on_ones(roster, mine, person.email, now)]
        free = choose_slot(roster, person, taken, now)
        where = (f"a free slot now is {_slot_text(free)} (set slot: {{day: "
                 f"{DAY_NAMES[free.day].lower()}, time: \"{free.time:%H:%M}\"}} to take it)"
                 if free is not None else "no other slot is free for the next 8 meetings")
        lines.append(f"{person.name}: syncd chose {_slot_text(person.slot)}, which now clashes;"
                     f" it is not moved on its own: {where}")
    return lines


def choose_slot(roster: Roster, person: Person, busy: Sequence[Interval],
                since: dt.datetime) -> Slot | None:
    """The first free slot for the person's cadence from `since`: on their preferred days
    (the day with the fewest other 1:1s first, then the earliest day), between the
    working hours and their preferences, the earliest time where none of the next 8
    meetings (with the buffer around them) overlaps `busy`. None when no slot is free."""
    zone = ZoneInfo(roster.timezone)
    prefs = person.preferences
    opens = max(roster.work_start, prefs.earliest or roster.work_start)
    closes = min(roster.work_end, prefs.latest or roster.work_end)
    by_day = _by_day(busy, since.astimezone(zone).date(), zone)
    load = [0] * 7
    for interval in busy:
        if interval.title == _ONE_ON_ONE:
            load[interval.start.astimezone(zone).weekday()] += 1
    latest = dt.datetime.combine(dt.date(2000, 1, 1), closes) - person.duration
    for weekday in sorted(prefs.days, key=lambda d: (load[d], d)):
        dates, later = _dates(roster, person, weekday, opens, since)
        time = dt.datetime.combine(dt.date(2000, 1, 1), opens)
        while time <= latest:
            starts = [dt.datetime.combine(d, time.time(), zone) for d in dates]
            starts = [s for s in starts if s > since][:AUTO_OCCURRENCES]
            horizon = [dt.datetime.combine(d, time.time(), zone) for d in later]
            if starts and _clear(starts, person.duration, prefs.buffer, by_day, zone) and \
                    _clear(horizon, person.duration, dt.timedelta(0), by_day, zone,
                           only=_ONE_ON_ONE):
                return Slot(weekday, time.time())
            time += SUGGEST_STEP
    return None


# --- helpers ------------------------------------------------------------------------


def _series(mine: Mapping[str, Sequence[Series]], email: str) -> list[Series]:
    return [s for s in mine.get(email, ()) if s.rrule and not s.broken]


def _kept(roster: Roster, placements: Mapping[str, Placement],
          mine: Mapping[str, Sequence[Series]], history: frozenset[str],
          now: dt.datetime) -> dict[str, Placement]:
    """The recorded decisions that still stand: all but a queued person's whose first 1:1
    went by with no series ever made (syncd did not run that week): queued again."""
    people = {p.email: p for p in roster.people}
    kept = dict(placements)
    for email, placed in placements.items():
        person = people.get(email)
        if person is not None and (not person.active or (person.auto_slot and placed.slot
                                                         is None)):
            # Decided again when they come back (their slot may be taken), or when their
            # slot became `auto` after syncd had placed them with one.
            del kept[email]
            continue
        slot = placed.slot or (person.slot if person is not None else None)
        if (person is None or slot is None or not placed.new or _series(mine, email)
                or email in history):
            continue
        if _first_start(roster, dataclasses.replace(person, slot=slot), placed.first) <= now:
            del kept[email]
    return kept

_ONE_ON_ONE = "\x001:1"  # the title roster 1:1s carry in `busy` (for the day load)
_MAX_SPAN = dt.timedelta(days=CLEAR_OF_ONE_ON_ONES.days + 14)  # how far a choice looks


def _one_on_ones(roster: Roster, mine: Mapping[str, Sequence[Series]], but: str,
                 now: dt.datetime) -> list[Interval]:
    """Every other placed person's 1:1s over the clear-of span, as busy time."""
    end = now + CLEAR_OF_ONE_ON_ONES
    today = now.astimezone(ZoneInfo(roster.timezone)).date()
    return [Interval(s, s + p.duration, _ONE_ON_ONE)
            for p in roster.people
            if p.active and p.email != but and p.slot is not None
            for s in cadence.expected(p, roster.timezone, now, end,
                                      observe.anchor(p, mine.get(p.email, ()), today))]


def _by_day(busy: Sequence[Interval], first: dt.date, zone: ZoneInfo
            ) -> dict[dt.date, list[Interval]]:
    """`busy` under every day from `first` it covers: a week's offsite blocks each day."""
    by_day: dict[dt.date, list[Interval]] = defaultdict(list)
    for interval in busy:
        day = max(interval.start.astimezone(zone).date(), first)
        last = min(interval.end.astimezone(zone).date(), first + _MAX_SPAN)
        while day <= last:
            by_day[day].append(interval)
            day += dt.timedelta(days=1)
    return by_day


def _dates(roster: Roster, person: Person, day: int, opens: dt.time,
           since: dt.datetime) -> tuple[list[dt.date], list[dt.date]]:
    """The days the person's cadence meets on weekday `day` from `since`: enough for the
    free check (with a spare for a first one earlier that day), and all within the
    clear-of span."""
    trial = dataclasses.replace(person, slot=Slot(day, opens), start=None, then=None)
    local = since.astimezone(ZoneInfo(roster.timezone))
    first = cadence.first_start(trial, local.date(), roster.timezone)
    rule = cadence.rrule_text(trial.cadence, Slot(day, opens))
    found = cadence.expand(rule, first, first, since + CLEAR_OF_ONE_ON_ONES)
    dates = [w.date() for w in found]
    return dates[:AUTO_OCCURRENCES + 1], dates


def _clear(starts: Sequence[dt.datetime], length: dt.timedelta, buffer: dt.timedelta,
           by_day: Mapping[dt.date, Sequence[Interval]], zone: ZoneInfo,
           only: str | None = None) -> bool:
    for start in starts:
        wanted = Interval(start - buffer, start + length + buffer)
        for day in {wanted.start.astimezone(zone).date(), wanted.end.astimezone(zone).date()}:
            if any(wanted.overlaps(b) for b in by_day.get(day, ())
                   if only is None or b.title == only):
                return False
    return True


def _queue(roster: Roster, person: Person, taken: Sequence[Interval],
           counts: Mapping[tuple[int, int], int], now: dt.datetime, zone: ZoneInfo,
           today: dt.date) -> Placement | None:
    """The first week the rollout has room in, the slot there, and the first 1:1."""
    limit = roster.max_new_per_week
    monday = today - dt.timedelta(days=today.weekday())
    slot = person.slot
    for week in range(MAX_QUEUE_WEEKS):
        start = monday + dt.timedelta(weeks=week)
        if person.start is not None and person.start > start:
            start = person.start
        if limit is not None and counts.get(_week(start), 0) >= limit:
            continue
        since = max(now, dt.datetime.combine(start, dt.time(0), zone))
        if person.auto_slot and (slot is None or week == 0):
            slot = choose_slot(roster, person, taken, since)
            if slot is None:
                return None
        assert slot is not None
        placed = dataclasses.replace(person, slot=slot, start=None, then=None)
        first = _next_start(roster, placed, since)
        if limit is None or counts.get(_week(first.date()), 0) < limit:
            return Placement(person.email, first.date(), slot if person.auto_slot else None,
                             True, today)
    return None


def _existing(roster: Roster, person: Person, series: Sequence[Series],
              taken: Sequence[Interval], now: dt.datetime) -> Placement | None:
    """A person syncd already meets (or met): phases count from their first 1:1 on the
    calendar; `slot: auto` takes the slot their latest live 1:1 series has, else a free
    one."""
    zone = ZoneInfo(roster.timezone)
    today = now.astimezone(zone).date()
    first = person.start or min((s.start.astimezone(zone).date() for s in series),
                                default=today)
    slot: Slot | None = None
    if person.auto_slot:
        live = [s for s in series if cadence.expand(s.rrule, s.start, now,
                                                    now + CLEAR_OF_ONE_ON_ONES)]
        latest = max(live, key=lambda s: s.start, default=None)
        if latest is not None:
            local = latest.start.astimezone(zone)
            slot = Slot(local.weekday(), local.time().replace(tzinfo=None))
        else:
            slot = choose_slot(roster, person, taken, now)
            if slot is None:
                return None
    return Placement(person.email, first, slot, False, today)


def _first_start(roster: Roster, person: Person, first: dt.date) -> dt.datetime:
    """The first 1:1 on or after the day `first` (the person's slot)."""
    placed = dataclasses.replace(person, start=None, then=None)
    return cadence.first_start(placed, first, roster.timezone)


def _next_start(roster: Roster, person: Person, since: dt.datetime) -> dt.datetime:
    """The person's first meeting after `since`, counting their cadence from that day."""
    local = since.astimezone(ZoneInfo(roster.timezone))
    first = cadence.first_start(person, local.date(), roster.timezone)
    rule = cadence.rrule_text(person.cadence, person.fixed_slot)
    after = cadence.expand(rule, first, since, since + dt.timedelta(days=400))
    return after[0] if after else first


def _week(day: dt.date) -> tuple[int, int]:
    iso = day.isocalendar()
    return iso.year, iso.week


def _week_counts(placements: Iterable[Placement], zone: ZoneInfo) -> dict[tuple[int, int], int]:
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for placed in placements:
        if placed.new:
            counts[_week(placed.first)] += 1
    return counts


def _slot_text(slot: Slot) -> str:
    return f"{DAY_NAMES[slot.day]} {slot.time:%H:%M}"


def _chosen(person: Person, slot: Slot, seen: Busy | None) -> str:
    visible = seen is not None and seen.known
    whose = "you and them" if visible else "your calendar"
    line = (f"{person.name}: slot chosen: {_slot_text(slot)} (free on {whose} for the next "
            f"{AUTO_OCCURRENCES} meetings; kept from now on)")
    if not visible:
        line += (f"; {person.name}'s availability was not visible, so only yours was "
                 "checked: unknown is not free, ask them")
    return line


def _no_slot(person: Person) -> str:
    return (f"{person.name}: no free slot on the preferred days for the next "
            f"{AUTO_OCCURRENCES} meetings; nothing created: widen preferences or set slot:")
