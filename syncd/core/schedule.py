"""When the roster's 1:1s fall, and what they collide with (pure).

Clash warnings compare the roster's expected occurrences over the next weeks with
each other and with the lead's own busy time; the lead's out-of-office days become
pauses. Busy time comes
in as plain intervals, so the same check serves the lead's calendar and any
free/busy source; nothing here reads a calendar or the clock.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from syncd.core import cadence, matching, observe
from syncd.core.model import Occurrence, Pause, Person, Roster, Series

CLASH_WEEKS = 26  # how far ahead clashes are looked for
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Interval:
    """A stretch of time someone is taken; `title` names it where it is known."""

    start: dt.datetime
    end: dt.datetime
    title: str = ""

    def overlaps(self, other: Interval) -> bool:
        """True when the two share any time (touching ends do not count)."""
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class Busy:
    """Someone's busy time over a span; `known` is False when it could not be seen.

    Unknown is not free: a slot is never called free for a person whose
    availability was not visible.
    """

    who: str  # email
    intervals: tuple[Interval, ...] = ()
    known: bool = True


def owner_busy(roster: Roster, observed: Iterable[Series], start: dt.datetime,
               end: dt.datetime, mine: Mapping[str, Sequence[Series]] | None = None) -> Busy:
    """The lead's busy time in [start, end) from their own calendar's events.

    Left out: the roster's 1:1s (compared separately), cancelled events and
    instances, events marked free (transparent), all-day events (holidays and
    out-of-office markers rather than meetings), and events the lead declined.
    `mine`: `matching.series_by_person` of the roster's people for `observed`, when the
    caller has it (each person's matches are their own: any superset serves).
    """
    owner = roster.owner.email
    series = list(observed)
    active = [p for p in roster.people if p.active]
    ones = matching.series_by_person(active, owner, series) if mine is None else mine
    roster_uids = {s.uid for p in active for s in ones.get(p.email, ())}
    intervals = [
        Interval(max(i.start, start), min(i.end, end), s.summary)
        for s in series
        if s.uid not in roster_uids and _blocks_time(s, owner)
        for i in s.instances
        if i.status != "CANCELLED" and i.start < end and start < i.end and i.end > i.start
    ]
    return Busy(owner, tuple(sorted(intervals, key=lambda i: (i.start, i.end, i.title))))


def _blocks_time(series: Series, owner: str) -> bool:
    return not (series.transparent or series.all_day) and _stands(series, owner)


def _stands(series: Series, owner: str) -> bool:
    """Not cancelled, and not declined by the lead."""
    declined = any(a.email == owner and a.partstat == "DECLINED" for a in series.attendees)
    return series.status != "CANCELLED" and not declined


def roster_meetings(roster: Roster, observed: Sequence[Series], now: dt.datetime,
                    weeks: int = CLASH_WEEKS,
                    mine: Mapping[str, Sequence[Series]] | None = None,
                    ) -> dict[str, list[Interval]]:
    """Every active person's expected 1:1s over the next `weeks`, phased like reconcile
    (`mine` as for `owner_busy`)."""
    zone = ZoneInfo(roster.timezone)
    today = now.astimezone(zone).date()
    end = now + dt.timedelta(weeks=weeks)
    people = [p for p in roster.people if p.active and p.slot is not None]
    if mine is None:
        mine = matching.series_by_person(people, roster.owner.email, observed)
    return {
        p.email: [
            Interval(s, s + p.duration, p.name)
            for s in cadence.expected(p, roster.timezone, now, end,
                                      observe.anchor(p, mine.get(p.email, []), today))
        ]
        for p in people
    }


def roster_events(roster: Roster, observed: Sequence[Series], start: dt.datetime,
                  end: dt.datetime) -> list[Interval]:
    """The roster's 1:1s in [start, end) as the calendar holds them: moved meetings and
    booked make-ups included (the expected slots are `roster_meetings`); cancelled ones
    and ones the lead declined left out."""
    owner = roster.owner.email
    people = {p.email: p for p in roster.people if p.active}
    mine = matching.series_by_person(list(people.values()), owner, observed)
    return [
        Interval(i.start, i.end, people[email].name)
        for email, found in mine.items() for s in found if _stands(s, owner)
        for i in s.instances
        if i.status != "CANCELLED" and i.start < end and start < i.end and not any(
            a.email == owner and a.partstat == "DECLINED" for a in i.attendees)
    ]


def clash_warnings(roster: Roster, meetings: Mapping[str, Sequence[Interval]],
                   busy: Busy | None = None, weeks: int = CLASH_WEEKS) -> list[str]:
    """One line per clash: 1:1s overlapping each other or the lead's busy time.

    Working hours need no check here: the config refuses a slot outside them.
    """
    people = {p.email: p for p in roster.people if p.active and p.email in meetings}
    zone = ZoneInfo(roster.timezone)
    lines = _pair_clashes(people, meetings, zone, weeks)
    if busy is not None:
        lines += _busy_clashes(people, meetings, busy, weeks)
    return lines


def _pair_clashes(people: Mapping[str, Person], meetings: Mapping[str, Sequence[Interval]],
                  zone: ZoneInfo, weeks: int) -> list[str]:
    emails = list(people)
    # (first, second) in roster order → the indexes of first's meetings that overlap one
    # of second's. One sweep over every meeting in start order compares each only with
    # those still running when it starts: the work follows the overlaps, not the pairs
    # of people (a thousand people are half a million pairs).
    overlapping: dict[tuple[int, int], set[int]] = defaultdict(set)
    timeline = sorted((m.start, m.end, n, k) for n, email in enumerate(emails)
                      for k, m in enumerate(meetings[email]))
    running: list[tuple[dt.datetime, dt.datetime, int, int]] = []  # (end, start, person, k)
    for start, end, person, k in timeline:
        # Those still running end after this one starts; it overlaps one of them when that
        # one also started before this one ends.
        running = [r for r in running if r[0] > start]
        for _, began, other, j in running:
            if other == person or not began < end:
                continue
            if other < person:
                overlapping[(other, person)].add(j)
            else:
                overlapping[(person, other)].add(k)
        running.append((end, start, person, k))
    lines = []
    shown: dict[dt.datetime, str] = {}  # many pairs first clash at the same time
    for (first, second), found in sorted(overlapping.items()):
        start = meetings[emails[first]][min(found)].start
        if start not in shown:
            when = start.astimezone(zone)
            shown[start] = f"{DAY_NAMES[when.weekday()]} {when:%Y-%m-%d %H:%M}"
        lines.append(
            f"{people[emails[first]].name} and {people[emails[second]].name}: 1:1s overlap on "
            f"{len(found)} of the next {weeks} weeks, first {shown[start]}")
    return lines


def _busy_clashes(people: Mapping[str, Person], meetings: Mapping[str, Sequence[Interval]],
                  busy: Busy, weeks: int) -> list[str]:
    # A meeting is compared only with the busy intervals that start less than the
    # longest of them before it ends (found by bisection), in their own order.
    intervals = busy.intervals
    order = sorted(range(len(intervals)), key=lambda i: intervals[i].start)
    starts = [intervals[i].start for i in order]
    longest = max((b.end - b.start for b in intervals), default=dt.timedelta(0))
    lines = []
    for email, person in people.items():
        by_title: dict[str, int] = {}
        for meeting in meetings[email]:
            near = sorted(order[bisect.bisect_right(starts, meeting.start - longest):
                                bisect.bisect_left(starts, meeting.end)])
            for title in dict.fromkeys(intervals[i].title for i in near
                                       if intervals[i].overlaps(meeting)):
                by_title[title] = by_title.get(title, 0) + 1
        slot = f"{DAY_NAMES[person.fixed_slot.day]} {person.fixed_slot.time:%H:%M}"
        lines += [f"{person.name} {slot} overlaps {title!r} on {count} of the next {weeks} weeks"
                  for title, count in by_title.items()]
    return lines



def out_of_office(roster: Roster, observed: Iterable[Series], start: dt.datetime,
                  end: dt.datetime) -> tuple[Pause, ...]:
    """Days in [start, end) the lead's own calendar says they are away.

    An event counts when the calendar marks it out-of-office (Google's eventType,
    Outlook's BUSYSTATUS:OOF) or when it is an all-day event whose title matches
    the roster's `away_title`; a day counts when the event covers its working hours, so an
    afternoon off does not pause a morning 1:1. Cancelled and declined ones do not.
    """
    zone = ZoneInfo(roster.timezone)
    owner = roster.owner.email
    pauses = []
    for series in observed:
        titled = series.all_day and away_titled(roster, series.summary)
        if not (series.out_of_office or titled) or not _stands(series, owner):
            continue
        for instance in series.instances:
            if instance.status == "CANCELLED" or instance.end <= start or instance.start >= end:
                continue
            days = _covered_days(instance.start.astimezone(zone), instance.end.astimezone(zone),
                                 roster)
            if days:
                pauses.append(Pause(days[0], days[-1], series.summary, "out-of-office"))
    return tuple(sorted(set(pauses), key=lambda p: (p.start, p.end, p.reason)))


def away_titled(roster: Roster, summary: str) -> bool:
    """True when an event title says the lead is away (the roster's `away_title`)."""
    return bool(roster.away_title) and re.search(
        roster.away_title, summary, re.IGNORECASE) is not None


def _covered_days(start: dt.datetime, end: dt.datetime, roster: Roster) -> list[dt.date]:
    days = []
    day = start.date()
    while day <= end.date():
        opens = dt.datetime.combine(day, roster.work_start, start.tzinfo)
        closes = dt.datetime.combine(day, roster.work_end, start.tzinfo)
        if start <= opens and end >= closes:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def with_time_off(roster: Roster, time_off: Sequence[Pause]) -> Roster:
    """The roster with `time_off` added to every person's pauses."""
    if not time_off:
        return roster
    return dataclasses.replace(roster, people=tuple(
        dataclasses.replace(p, pauses=(*p.pauses, *time_off)) for p in roster.people))


# --- make-ups -------------------------------------------------------------------

SUGGEST_STEP = dt.timedelta(minutes=15)  # candidate starts lie on this grid
_SKIPPED = ("skipped", "missing")


@dataclass(frozen=True)
class MakeUp:
    """A skipped or missing 1:1 that can still be made up, with free slots for it."""

    expected: dt.datetime  # the roster slot that was skipped
    reason: str  # the skip reason, or "missing"
    before: dt.datetime  # the next regular 1:1: a make-up after it is just that one
    slots: tuple[dt.datetime, ...]


def make_ups(roster: Roster, person: Person, rows: Sequence[Occurrence],
             busy: Sequence[Interval], now: dt.datetime, count: int = 3) -> list[MakeUp]:
    """Each skipped or missing 1:1 of `person` not made up yet whose next regular 1:1 is
    still ahead, with up to `count` free slots (one a day) between now and that one.

    `rows` are the person's classified occurrences (a made-up one is `rescheduled`, so
    it is not here); `busy` is every interval known to be taken, the lead's and the
    person's. Days the person is paused (leave, holidays, the lead's time off) are left out.
    """
    ordered = sorted(rows, key=lambda o: o.expected)
    found = []
    for n, occ in enumerate(ordered):
        if occ.status not in _SKIPPED:
            continue
        later = [o.expected for o in ordered[n + 1:]]
        before = later[0] if later else occ.expected + dt.timedelta(
            days=cadence.interval_days(person.cadence))
        if before <= now:
            continue
        found.append(MakeUp(occ.expected, occ.reason or "missing", before,
                            free_slots(roster, person, busy, max(now, occ.expected), before,
                                       count)))
    return found


def free_slots(roster: Roster, person: Person, busy: Sequence[Interval],
               after: dt.datetime, before: dt.datetime, count: int) -> tuple[dt.datetime, ...]:
    """The first free start of each day in (after, before), up to `count` days.

    A start is free when the person's preferences allow it (days, earliest, latest, a
    buffer around other meetings), it lies in working hours, the day is not paused,
    and nothing in `busy` overlaps it.
    """
    zone = ZoneInfo(roster.timezone)
    prefs = person.preferences
    opens = max(roster.work_start, prefs.earliest or roster.work_start)
    closes = min(roster.work_end, prefs.latest or roster.work_end)
    taken = sorted(busy, key=lambda i: i.start)
    slots: list[dt.datetime] = []
    day = after.astimezone(zone).date()
    while len(slots) < count and day <= before.astimezone(zone).date():
        if day.weekday() in prefs.days and cadence.in_pause(
                dt.datetime.combine(day, opens, zone), person.pauses) is None:
            start = _first_free(day, opens, closes, person.duration, prefs.buffer, taken,
                                after, before, zone)
            if start is not None:
                slots.append(start)
        day += dt.timedelta(days=1)
    return tuple(slots)


def slot_problem(roster: Roster, person: Person, busy: Sequence[Interval],
                 start: dt.datetime) -> str | None:
    """Why a make-up at `start` would not be one `free_slots` offers, or None when it would:
    outside working hours or the person's preferences, on a paused day (leave, a holiday,
    the lead's time off), or overlapping something in `busy`."""
    zone = ZoneInfo(roster.timezone)
    local = start.astimezone(zone)
    end = (start + person.duration).astimezone(zone)
    hours = f"{roster.work_start:%H:%M}-{roster.work_end:%H:%M}"
    if local.date() != end.date() or local.time() < roster.work_start or \
            end.time() > roster.work_end:
        return f"it is outside your working hours ({hours})"
    pause = cadence.in_pause(local, person.pauses)
    if pause is not None:
        why = pause.time_off or "paused"
        return f"{person.name}'s 1:1s are paused that day ({why}: {pause.reason or 'no reason'})"
    prefs = person.preferences
    if local.weekday() not in prefs.days or (prefs.earliest and local.time() < prefs.earliest) \
            or (prefs.latest and end.time() > prefs.latest):
        return f"it is outside the preferences for {person.name} (days, earliest, latest)"
    meeting = Interval(start, start + person.duration)
    clash = next((b for b in sorted(busy, key=lambda i: i.start) if b.overlaps(meeting)), None)
    if clash is not None:
        what = repr(clash.title) if clash.title else "busy time"
        return (f"it overlaps {what} ({clash.start.astimezone(zone):%a %H:%M}-"
                f"{clash.end.astimezone(zone):%H:%M})")
    return None


def _first_free(day: dt.date, opens: dt.time, closes: dt.time, length: dt.timedelta,
                buffer: dt.timedelta, taken: Sequence[Interval], after: dt.datetime,
                before: dt.datetime, zone: ZoneInfo) -> dt.datetime | None:
    start = dt.datetime.combine(day, opens, zone)
    last = dt.datetime.combine(day, closes, zone) - length
    while start <= last:
        wanted = Interval(start - buffer, start + length + buffer)
        if after < start and start + length <= before and not any(
                wanted.overlaps(t) for t in taken):
            return start
        start += SUGGEST_STEP
    return None


def time_off_notes(roster: Roster, observed: Sequence[Series], busy: Sequence[Interval],
                   now: dt.datetime, weeks: int = 4,
                   mine: Mapping[str, Sequence[Series]] | None = None) -> list[str]:
    """A line per 1:1 in the coming `weeks` that a holiday or the lead's time off pauses,
    with the first free slot before the person's next 1:1 (`roster` carries time off;
    `mine` as for `owner_busy`)."""
    zone = ZoneInfo(roster.timezone)
    today = now.astimezone(zone).date()
    if mine is None:
        mine = matching.series_by_person([p for p in roster.people if p.active],
                                         roster.owner.email, observed)
    lines = []
    for person in (p for p in roster.people if p.active and p.slot is not None):
        plain = person if all(p.time_off is None for p in person.pauses) else \
            dataclasses.replace(person, pauses=tuple(p for p in person.pauses
                                                     if p.time_off is None))
        anchor = observe.anchor(person, mine.get(person.email, []), today)
        starts = cadence.expected(plain, roster.timezone, now, now + dt.timedelta(weeks=weeks),
                                  anchor)
        for n, when in enumerate(starts):
            pause = cadence.in_pause(when, person.pauses)
            if pause is None or pause.time_off is None:
                continue
            before = starts[n + 1] if n + 1 < len(starts) else when + dt.timedelta(
                days=cadence.interval_days(person.cadence))
            after = max(now, starts[n - 1]) if n else now
            free = free_slots(roster, person, busy, after, before, 1)
            offer = (f"a free slot: {free[0].astimezone(zone):%a %Y-%m-%d %H:%M}" if free
                     else "no free slot before the next one")
            lines.append(f"{person.name}: {when.astimezone(zone):%a %Y-%m-%d %H:%M} is paused "
                         f"({pause.time_off}: {pause.reason}); {offer}")
    return lines
