"""Booking make-ups: `syncd makeup PERSON`, and `makeups: {book: auto}` in reconcile.

A make-up is a one-off 1:1 syncd books for a skipped or missing occurrence: owned (its
marker names the person and the slot it makes up, so classification counts it for that
slot however far from it it lies), under a deterministic uid (a re-run finds it), with
the notes link in it and an agenda section, written by reconcile's plan and apply (the
safety limit, the audit log and crash recovery as for every write). Where it goes is
chosen as `syncd suggest` chooses (docs/scheduling.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from syncd import reconcile
from syncd.calendars.base import CalendarSource
from syncd.config import Config, FeedCalendarConfig
from syncd.core import cadence, identity, observe, planner, schedule
from syncd.core.model import (
    Action,
    BookMakeUp,
    CreateNotes,
    MakeUpRequest,
    MoveAgenda,
    Person,
    PrepareAgenda,
    Roster,
    Series,
)
from syncd.core.oneline import one_line
from syncd.notes.base import NotesStore
from syncd.state import State
from syncd.suggest import busy_time, find_person


class NotBooked(Exception):
    """Why no make-up is booked, in one line (exit 1)."""


@dataclass(frozen=True)
class Choice:
    """What `syncd makeup` books: the request, or the make-ups already on the calendar."""

    person: Person
    request: MakeUpRequest | None  # None: nothing left to make up
    booked: tuple[tuple[dt.datetime, dt.datetime], ...]  # (slot made up, start) ahead
    zone: ZoneInfo  # the roster's: agenda sections are keyed by the local day of the slot

    @property
    def keys(self) -> frozenset[dt.date]:
        """The agenda sections this booking prepares (the slots it makes up, local days)."""
        slots = [self.request.expected] if self.request else []
        return frozenset(s.astimezone(self.zone).date()
                         for s in slots + [slot for slot, _ in self.booked])


def choose(config: Config, state: State, query: str, now: dt.datetime,
           at: dt.datetime | None, anyway: bool, calendar: CalendarSource | None = None
           ) -> Choice:
    """The make-up to book for the person's first skipped 1:1 that can still be made up:
    at `at` (refused when it is busy or outside hours, unless `anyway`), else at the first
    free slot `syncd suggest` offers. Raises NotBooked (and UnknownPerson). `calendar`
    defaults to the one the config names."""
    person = find_person(config, query)
    span = dt.timedelta(days=2 * cadence.interval_days(person.cadence))
    seen = reconcile.observe_people(config, state, now, now - span, now + span, calendar)
    if seen.failure:
        raise NotBooked(f"{seen.failure}; nothing booked")
    this = next(p for p in seen.roster.people if p.email == person.email)
    taken = busy_time(config, seen.roster, seen.observed, [this], now).of(person.email)
    ups = schedule.make_ups(seen.roster, this, seen.rows.get(person.email, []), taken, now, 1)
    zone = ZoneInfo(config.roster.timezone)
    if isinstance(config.calendar, FeedCalendarConfig):
        offer = next((f"; the first free slot is {_when(u.slots[0], zone)}" for u in ups
                      if u.slots), "")
        raise NotBooked(f"{person.name}: the calendar is a read-only ICS feed, so syncd cannot "
                        f"book a make-up there: add one yourself{offer} (syncd suggest lists "
                        "more)")
    booked = _booked(this, seen.observed, now)
    if not ups:
        return Choice(person, None, booked, zone)
    if at is None:
        up = next((u for u in ups if u.slots), None)
        if up is None:
            first = ups[0]
            raise NotBooked(f"{person.name}: no free slot to make up {_when(first.expected, zone)}"
                            f" before the next 1:1 on {_when(first.before, zone)}; nothing "
                            "booked (pick a time with --at and --anyway)")
        return Choice(person, MakeUpRequest(person.email, up.expected, up.slots[0]), booked,
                      zone)
    fits = [u for u in ups if at + this.duration <= u.before]
    if not fits:
        raise NotBooked(f"{person.name}: {_when(at, zone)} is not before the next regular 1:1 "
                        f"({_when(ups[-1].before, zone)}), which a make-up must precede; "
                        "nothing booked")
    problem = schedule.slot_problem(seen.roster, this, taken, at)
    if problem is not None and not anyway:
        raise NotBooked(f"{person.name}: not booked at {_when(at, zone)}: {one_line(problem)}; "
                        f"pick another time (syncd suggest {person.email}) or add --anyway")
    return Choice(person, MakeUpRequest(person.email, fits[0].expected, at), booked, zone)


def book(config: Config, state: State, choice: Choice, now: dt.datetime, *, dry_run: bool,
         force: bool, calendar: CalendarSource | None = None, notes: NotesStore | None = None,
         ) -> reconcile.Result:
    """Book `choice` through reconcile's plan and apply, keeping only the make-up and its
    notes (creating the document, its agenda section). With nothing left to book, the
    same run completes what a crash may have left of an earlier booking. `calendar` and
    `notes` default to the backends the config names."""
    wanted = [choice.request] if choice.request else []
    return reconcile.reconcile(config, state, now, dry_run=dry_run, force=force,
                               makeups=wanted, keep=serving(choice), calendar=calendar,
                               notes=notes)


def serving(choice: Choice) -> Callable[[Action], bool]:
    """Whether an action of a plan books the chosen make-up or prepares its notes."""
    email, keys = choice.person.email, choice.keys

    def keep(action: Action) -> bool:
        if action.person != email:
            return False
        if isinstance(action, PrepareAgenda | MoveAgenda):
            return action.section_date in keys
        return isinstance(action, BookMakeUp | CreateNotes)
    return keep


def _booked(person: Person, observed: Sequence[Series],
            now: dt.datetime) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
    """(slot made up, start) of the person's make-ups syncd booked that are still ahead."""
    key = identity.person_key(person.email)
    found = []
    for series in observed:
        parsed = identity.parse_makeup_marker(series.marker) if series.marker else None
        if parsed is not None and parsed[0] == key and series.status != "CANCELLED" \
                and series.start >= now:
            found.append((parsed[1], series.start))
    return tuple(sorted(found))


def auto_requests(config: Config, state: State, roster: Roster, observed: Sequence[Series],
                  now: dt.datetime) -> list[MakeUpRequest]:
    """The make-ups `makeups: {book: auto}` books this run: for each skip (not a 1:1 that
    was never on the calendar) whose slot has passed, that syncd never booked one for and
    that the first free slot lies within `within` of; each one booked counts as busy for
    the next."""
    assert config.makeups is not None
    within = config.makeups.within
    start, end = planner.read_window(now)
    fresh = observe.classify_roster(roster, observed, start, end, now)
    rows = observe.with_history(fresh, state.occurrences(start, end))
    asked = {(m.person, m.expected.astimezone(dt.UTC)) for m in state.memory().makeups}
    people = [p for p in roster.people if p.active and any(
        o.status == "skipped" and now - within <= o.expected <= now
        and (p.email, o.expected.astimezone(dt.UTC)) not in asked
        for o in rows.get(p.email, []))]
    if not people:
        return []  # the common case: no free/busy asked for
    taken = busy_time(config, roster, observed, people, now)
    chosen: list[schedule.Interval] = []
    out = []
    for person in people:
        ups = schedule.make_ups(roster, person, rows[person.email],
                                [*taken.of(person.email), *chosen], now, 1)
        for up in ups:
            if up.reason == "missing" or up.expected > now or (
                    person.email, up.expected.astimezone(dt.UTC)) in asked:
                continue
            if up.slots and up.slots[0] <= up.expected + within:
                out.append(MakeUpRequest(person.email, up.expected, up.slots[0]))
                chosen.append(schedule.Interval(up.slots[0], up.slots[0] + person.duration))
                break  # one a person per run: the next run sees it on the calendar
    return out


def _when(moment: dt.datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%a %Y-%m-%d %H:%M")
