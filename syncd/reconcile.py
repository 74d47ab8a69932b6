"""One reconcile: read the sources, plan, and (unless dry-run or refused) apply.

The imperative shell around the pure planner: it opens the backends named in
the config, turns a failed read into "nothing planned for that source", and
decides the exit code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import gc
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import ParamSpec, TypeVar

from syncd import EXIT_FAILED, EXIT_OK, placing
from syncd.apply import Outcome, apply
from syncd.backends import (
    connect_google,
    open_backends,
    open_calendar,
    save_calendar_cache,
    save_notes_cache,
)
from syncd.calendars.base import (
    AccessError,
    CalendarError,
    CalendarSource,
    WarningCalendar,
    WritableCalendar,
)
from syncd.config import Config
from syncd.core import classify, history, matching, observe, placement, planner, schedule
from syncd.core.model import (
    Action,
    AttachNotes,
    BookMakeUp,
    CreateNotes,
    MakeUpRequest,
    Memory,
    NotesDoc,
    Occurrence,
    Plan,
    PrepareAgenda,
    Roster,
    Series,
    SeriesStep,
)
from syncd.google.errors import AuthError
from syncd.notes.base import NotesError, NotesStore, WarningNotes
from syncd.state import State
from syncd.timeoff import with_time_off

log = logging.getLogger(__name__)



# What needs a person's notes read: booking a make-up links them.
NOTES_ACTIONS = (CreateNotes, AttachNotes, PrepareAgenda, BookMakeUp)


class Source(enum.StrEnum):
    """The two things a run reads, each of which can fail (and be left out) on its own."""

    CALENDAR = "calendar"
    NOTES = "notes"


@dataclass
class Result:
    """A reconcile's plan, what applying it did, and the exit code it deserves."""

    plan: Plan
    dry_run: bool
    refused: str | None = None
    outcome: Outcome | None = None
    failed: frozenset[Source] = frozenset()  # sources that were tried and could not be read
    notes_failed: frozenset[str] = frozenset()  # people whose notes alone could not be read
    warnings: list[str] = field(default_factory=list)

    @property
    def source_failed(self) -> bool:
        """Whether some source, or some person's notes, could not be read."""
        return bool(self.failed or self.notes_failed)

    @property
    def exit_code(self) -> int:
        """0 when everything worked, 1 when a source or a write failed or the plan was refused."""
        failed = self.outcome is not None and bool(self.outcome.failed)
        return EXIT_FAILED if (self.source_failed or failed or
                               (self.refused and not self.dry_run)) else EXIT_OK


def read_calendar(
    calendar: CalendarSource, start: dt.datetime, end: dt.datetime, warnings: list[str]
) -> tuple[Series, ...] | None:
    """Everything between start and end, or None (with a warning) when the read failed.

    Raises AccessError when the calendar refused the credentials.
    """
    try:
        observed = calendar.read(start, end)
    except AccessError:
        raise
    except CalendarError as exc:
        warnings.append(f"{calendar.name}: not read, nothing planned for it: {exc}")
        return None
    if isinstance(calendar, WarningCalendar):
        warnings.extend(calendar.warnings)
    return observed


def read_notes(
    notes: NotesStore, config: Config, memory: Memory, warnings: list[str]
) -> tuple[dict[str, NotesDoc], frozenset[str]]:
    """Each active person's notes document, and the people whose notes could not be read
    (one warning each): one person's bad notes file does not hide the others'."""
    known = {d.person: d.doc_id for d in memory.notes}
    found: dict[str, NotesDoc] = {}
    failed: set[str] = set()
    for person in config.roster.people:
        if not person.active:
            continue
        try:
            doc = notes.find(person.email, known.get(person.email))
        except NotesError as exc:
            warnings.append(f"notes of {person.email}: not read, nothing planned for them: {exc}")
            failed.add(person.email)
            continue
        if doc is not None:
            found[person.email] = doc
    if isinstance(notes, WarningNotes):
        warnings.extend(notes.warnings)
    return found, frozenset(failed)


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _collector_paused(run: Callable[_P, _R]) -> Callable[_P, _R]:
    """`run` without automatic cyclic garbage collection, which then resumes as it was.

    A run builds a lot that lives until it ends (every event and instance read, the
    occurrences classified) and hardly any reference cycles: the collector would traverse
    it all again and again while it grows (a fifth of a steady 1,000-person run, more when
    every file is parsed) and free next to nothing. What a run leaves in cycles is
    collected after it; memory grows by a few percent meanwhile."""
    @functools.wraps(run)
    def paused(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        if not gc.isenabled():
            return run(*args, **kwargs)
        gc.disable()
        try:
            return run(*args, **kwargs)
        finally:
            gc.enable()
    return paused


@_collector_paused
def reconcile(
    config: Config, state: State, now: dt.datetime, *, dry_run: bool, force: bool,
    calendar: CalendarSource | None = None, notes: NotesStore | None = None,
    stop: Callable[[], bool] | None = None, skip: frozenset[Source] = frozenset(),
    makeups: Sequence[MakeUpRequest] = (), keep: Callable[[Action], bool] | None = None,
) -> Result:
    """Read, plan and apply (unless `dry_run`, or the safety limit refuses and not `force`).

    `calendar` and `notes` default to the backends the config names; `stop` is
    passed to apply, which asks it before each action. Sources in `skip` are not read
    (the service's backoff) and nothing is planned for them. A calendar that was not
    read makes the run write nothing at all: an agenda for a meeting the calendar may
    have moved or cancelled is no better than none. Which sources failed comes back in
    `Result.failed`. `makeups` are make-ups to book (`syncd makeup`; with `makeups: {book:
    auto}` the run finds its own); `keep`, when given, is the part of the plan to apply.
    """
    warnings: list[str] = []
    if calendar is None or notes is None:
        try:
            opened = open_backends(config, state)
        except AuthError as exc:
            # Nothing can be read, so nothing is planned: one clear message, exit 1.
            return Result(Plan(), dry_run, failed=frozenset(Source) - skip,
                          warnings=[f"google: {exc}"])
        except AccessError as exc:
            return Result(Plan(), dry_run, failed=frozenset(Source) - skip, warnings=[str(exc)])
        calendar, notes = calendar or opened[0], notes or opened[1]
    memory = state.memory()
    window = planner.read_window(now)
    try:
        observed = None if Source.CALENDAR in skip else read_calendar(calendar, *window,
                                                                       warnings)
    except AccessError as exc:
        return Result(Plan(), dry_run, failed=frozenset(Source) - skip, warnings=[str(exc)])
    docs: dict[str, NotesDoc] | None
    notes_failed: frozenset[str]
    if Source.NOTES in skip:
        docs, notes_failed = None, frozenset()
    else:
        docs, notes_failed = read_notes(notes, config, memory, warnings)
    failed = {Source.CALENDAR} if observed is None and Source.CALENDAR not in skip else set()
    active = sum(p.active for p in config.roster.people)
    if notes_failed and len(notes_failed) == active:
        # Nobody's notes could be read: the store itself is broken (its backoff applies).
        failed.add(Source.NOTES)
        docs = None
    writable = calendar if isinstance(calendar, WritableCalendar) else None
    # Public holidays and the lead's out-of-office days pause the 1:1s they fall on;
    # chosen slots, the rollout queue and cadence phases place the 1:1s (placing.py). A
    # run that applies only part of its plan (`syncd makeup`) decides nothing new.
    placed = placing.settle(config, with_time_off(config, observed or (), *window), state,
                            observed, now, decide=keep is None, record=not dry_run)
    roster = placed.roster
    if observed is not None and config.makeups is not None and config.makeups.book == "auto":
        from syncd import makeup  # only for configs that book make-ups themselves

        makeups = (*makeups, *makeup.auto_requests(config, state, roster, observed, now))
    # Each person's events are classified twice (their agenda, the history): read once.
    prepared = observe.prepare_roster(roster, observed) if observed is not None else None
    plan = planner.plan(roster, observed, docs, memory, now, roster_lines(config), makeups,
                        prepared)
    if keep is not None:
        plan = dataclasses.replace(plan, actions=tuple(filter(keep, plan.actions)))
    # Without the calendar nothing is done; without a person's notes, nothing about them.
    plan = dataclasses.replace(plan, read_only=plan.read_only or writable is None, actions=() if
                               observed is None else tuple(
        a for a in plan.actions if not (a.person in notes_failed and isinstance(a, NOTES_ACTIONS))))
    clashing, paused = schedule_notes(roster, observed, now)
    plan = dataclasses.replace(plan, info=placed.info + plan.info + tuple(paused))
    result = Result(plan, dry_run, failed=frozenset(failed),
                    notes_failed=notes_failed if Source.NOTES not in failed else frozenset(),
                    warnings=warnings + list(placed.warnings) + list(plan.warnings)
                    + clashing)
    refused = planner.refusal(plan, config.roster.max_changes)
    if refused and not force:
        result.refused = refused
        return result
    if dry_run or observed is None:
        return result
    record_history(roster, state, observed, window[0], now, prepared)
    # A read-only calendar is never written; the notes are still the lead's own.
    todo = dataclasses.replace(plan, actions=tuple(
        a for a in plan.actions if not (plan.read_only and isinstance(a, SeriesStep))))
    templates = {str(role): text for role, text in (config.notes.templates or {}).items()}
    result.outcome = apply(todo, config.roster, writable, notes, state, now, docs or {}, memory,
                           stop=stop, templates=templates)
    # After applying: the cache then holds syncd's own writes too.
    with state.transaction():
        save_calendar_cache(state, config.calendar, calendar)
        save_notes_cache(state, notes)
    return result


def roster_lines(config: Config) -> dict[str, str]:
    """Email → FILE:LINE of that person's slot in the config, for messages naming it."""
    return {person.email: f"{config.source}:{config.lines.of(('people', index, 'slot'))}"
            for index, person in enumerate(config.roster.people)}


def schedule_notes(roster: Roster, observed: tuple[Series, ...] | None,
                   now: dt.datetime) -> tuple[list[str], list[str]]:
    """Clash warnings over the next weeks (1:1s with each other, with the lead's other
    meetings as far as the calendar read shows them; a slot syncd chose gets a free one
    to move it to), and a note per coming 1:1 that time off pauses, with a free slot.
    Nothing when the read failed."""
    if observed is None:
        return [], []
    end = now + dt.timedelta(weeks=schedule.CLASH_WEEKS)
    # Who is in which event, worked out once for the four steps below.
    mine = matching.series_by_person(roster.people, roster.owner.email, observed)
    meetings = schedule.roster_meetings(roster, observed, now, mine=mine)
    busy = schedule.owner_busy(roster, observed, now, end, mine=mine)
    taken = [*busy.intervals, *(m for found in meetings.values() for m in found)]
    return (schedule.clash_warnings(roster, meetings, busy)
            + placement.move_suggestions(roster, meetings, busy.intervals, mine, now),
            schedule.time_off_notes(roster, observed, taken, now, mine=mine))


def record_history(
    roster: Roster, state: State, observed: tuple[Series, ...], start: dt.datetime,
    now: dt.datetime, prepared: Mapping[str, classify.Prepared] | None = None,
) -> None:
    """Store the settled occurrences between `start` (where the read began) and now
    (`prepared`: what `observe.prepare_roster` gave for `observed`, if at hand).

    Only the span actually read: an occurrence before it would look `missing`.
    """
    fresh = observe.classify_roster(roster, observed, start, now, now, prepared)
    with state.transaction():
        stored = state.occurrences(start, now)
        state.record_occurrences(history.settled(
            (o for rows in observe.with_history(fresh, stored).values() for o in rows), now),
            known=stored)


@dataclass(frozen=True)
class Observation:
    """What the calendar and stored history say about each active person's 1:1s."""

    rows: dict[str, list[Occurrence]]  # email → classified occurrences, history merged
    observed: tuple[Series, ...]  # every event read (empty when the read failed)
    failure: str | None  # why the calendar could not be read, else None
    roster: Roster  # the config's, with time off as pauses and the placements applied


def observe_people(
    config: Config, state: State, now: dt.datetime, start: dt.datetime, end: dt.datetime,
    calendar: CalendarSource | None = None,
) -> Observation:
    """Classify the calendar around [start, end) and merge stored history (reads only).

    The read reaches back far enough for every last held 1:1 and forward to the
    planning horizon; a failed read leaves stored history alone and says why.
    `calendar` defaults to the one the config names.
    """
    first = min(start, now - observe.lookback(config.roster))
    last = max(end, now + planner.HORIZON)
    failure: str | None = None
    observed: tuple[Series, ...] = ()
    try:
        if calendar is None:
            calendar = open_calendar(config.calendar, config.roster, state,
                                     connect_google(config))
        observed = calendar.read(first, last)
    except AuthError as exc:
        failure = f"google: {exc}"
    except CalendarError as exc:
        failure = f"{config.calendar.kind} calendar: not read: {exc}"
    roster = placing.stored_roster(with_time_off(config, observed, first, last), state, observed,
                            now)
    fresh = observe.classify_roster(roster, observed, first, last, now)
    return Observation(observe.with_history(fresh, state.occurrences(first, last)),
                       observed, failure, roster)
