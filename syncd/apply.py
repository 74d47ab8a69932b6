"""Carry out a Plan one journaled step at a time.

Each action is a single write followed by one state commit. A crash between
the two is safe: the next run recognises the written series by its marker and
the notes file by its name, so nothing is created twice and nothing is lost.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import assert_never

from syncd.calendars.base import BatchCreating, CalendarError, WritableCalendar
from syncd.core.model import (
    Action,
    AdoptSeries,
    AgendaAction,
    AttachNotes,
    BookMakeUp,
    CancelAgenda,
    CreateNotes,
    CreateSeries,
    EditSeries,
    EndSeries,
    Memory,
    MoveAgenda,
    NotesDoc,
    OwnedSeries,
    Plan,
    PrepareAgenda,
    Roster,
    SeriesPatch,
    SeriesSpec,
    SeriesStep,
    UpdateSeries,
)
from syncd.core.planner import agenda_title
from syncd.notes.base import (
    BatchCreatingNotes,
    DeferringNotes,
    NotesError,
    NotesStore,
)
from syncd.notes.text import shipped_agenda
from syncd.state import State

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What happened to each action of an applied plan."""

    done: list[Action] = field(default_factory=list)
    failed: list[tuple[Action, str]] = field(default_factory=list)


class _Skipped(Exception):
    """An action that cannot run because an earlier one for the same person failed."""


class _Runner:
    def __init__(
        self, plan: Plan, roster: Roster, calendar: WritableCalendar | None,
        notes: NotesStore, state: State, now: dt.datetime, docs: Mapping[str, NotesDoc],
        templates: Mapping[str, str], memory: Memory,
    ) -> None:
        # People whose new notes get an agenda section in this run (it takes the template).
        self.preparing = {a.person for a in plan.actions if isinstance(a, PrepareAgenda)}
        self.roster = roster
        self.templates = templates  # the lead's own agenda templates, by role
        self.calendar = calendar
        self.notes = notes
        self.state = state
        self.now = now
        self.recorded = {d.person for d in memory.notes}
        self.docs = dict(docs)  # found by reconcile; a crash may have kept them out of state
        self.etags: dict[str, str] = {}  # series written in this run → their new etag
        self.linked: dict[str, str] = {}  # series this run wrote a notes link on → the link
        # Series this plan links to their notes: a write to one before that carries the link.
        self.attaching = {a.series_uid for a in plan.actions if isinstance(a, AttachNotes)}
        self.people = {p.email: p for p in roster.people}

    def cal(self) -> WritableCalendar:
        if self.calendar is None:
            raise _Skipped("the calendar is read-only")
        return self.calendar

    def patch(self, action: EditSeries, patch: SeriesPatch) -> None:
        etag = self.etags.get(action.series_uid, action.etag)
        self.etags[action.series_uid] = self.cal().patch(action.series_uid, patch, etag)

    def run(self, action: Action) -> None:
        """Do one action: one write, then one state commit with its audit line."""
        match action:
            case CreateNotes():
                person = self.people[action.person]
                create = self.notes.create
                if isinstance(self.notes, DeferringNotes) and person.email in self.preparing:
                    create = self.notes.create_unfilled  # the template goes with the agenda
                created = create(person.email, person.name, self.roster.owner.name)
                self.docs[person.email] = created
                with self.state.transaction():
                    self.state.record_notes(created)
                    self.recorded.add(person.email)
                    self.audit(action, created.doc_id)
            case CreateSeries():
                spec = self.spec(action)
                self.etags[action.series_uid] = self.cal().create(spec)
                if spec.notes_url:
                    self.linked[action.series_uid] = spec.notes_url
                with self.state.transaction():
                    self.state.record_series(OwnedSeries(
                        action.series_uid, action.person, action.generation, "created"))
                    if action.replaces:
                        self.state.set_series_status(action.replaces, "deleted")
                    self.remember(action.series_uid, action.written)
                    self.audit(action, action.series_uid)
            case AdoptSeries():
                patch = self.adoption(action)
                self.patch(action, patch)
                if patch.notes_url is not None:
                    self.linked[action.series_uid] = patch.notes_url
                with self.state.transaction():
                    self.state.record_series(OwnedSeries(
                        action.series_uid, action.person, action.generation, "adopted"))
                    self.remember(action.series_uid, action.written)
                    self.audit(action, action.series_uid)
            case UpdateSeries():
                self.patch(action, action.patch)
                with self.state.transaction():
                    self.remember(action.series_uid, action.written)
                    self.audit(action, action.series_uid)
            case EndSeries():
                self.patch(action, action.patch)
                with self.state.transaction():
                    self.state.set_series_status(action.series_uid, "ended")
                    self.audit(action, action.series_uid)
            case BookMakeUp():
                doc = self.docs.get(action.person)
                if doc is None:
                    raise _Skipped("no notes document to link from the make-up")
                spec = dataclasses.replace(action.spec, notes_url=doc.url)
                self.etags[action.series_uid] = self.cal().create(spec)
                with self.state.transaction():
                    self.state.record_makeup(action.makeup)
                    self.audit(action, action.series_uid)
            case AttachNotes():
                doc = self.docs.get(action.person)
                if doc is None:
                    raise _Skipped("no notes document to attach")
                if self.linked.get(action.series_uid) != doc.url:  # else written with it
                    self.patch(action, SeriesPatch(notes_url=doc.url))
                with self.state.transaction():
                    if action.person not in self.recorded:
                        self.state.record_notes(doc)
                        self.recorded.add(action.person)
                    self.audit(action, action.series_uid)
            case PrepareAgenda() | MoveAgenda() | CancelAgenda():
                self.agenda(action)
            case _:
                assert_never(action)

    def spec(self, action: CreateSeries) -> SeriesSpec:
        """The series to create, with its person's notes link when the Doc is known already
        (its attach-notes then has nothing left to write)."""
        doc = self.docs.get(action.person)
        return dataclasses.replace(action.spec, notes_url=doc.url) if doc else action.spec

    def adoption(self, action: AdoptSeries) -> SeriesPatch:
        """The adoption's patch, with the person's notes link when the Doc is known already
        and this plan attaches it to this series anyway: one write, not two."""
        doc = self.docs.get(action.person)
        if doc is None or action.series_uid not in self.attaching \
                or action.patch.notes_url is not None:
            return action.patch
        return dataclasses.replace(action.patch, notes_url=doc.url)

    def agenda(self, action: AgendaAction) -> None:
        """Write one agenda section change in the person's notes document."""
        write = action.agenda
        person = self.people[action.person]
        doc = self.docs.get(person.email)
        if doc is None:
            raise _Skipped("no notes document to prepare")
        if isinstance(action, PrepareAgenda):
            self.notes.append_section(doc, write, agenda_title(self.roster, person),
                                      self.agenda_body(action))
        elif isinstance(action, MoveAgenda):
            self.notes.move_section(doc, write, agenda_title(self.roster, person))
        else:
            self.notes.cancel_section(doc, write)
        with self.state.transaction():
            self.audit(action, doc.doc_id)

    def agenda_body(self, action: PrepareAgenda) -> str:
        """The agenda template a section is prepared from: the lead's own for its role, else
        syncd's."""
        name = action.agenda.template
        return self.templates.get(name) or shipped_agenda(name)

    def remember(self, uid: str, written: str) -> None:
        """Keep what this write left on the series, to prove it is syncd's next run."""
        if written:
            self.state.record_written(uid, written)

    def audit(self, action: Action, target: str) -> None:
        self.state.audit(self.now, action.kind, action.person, target, action.summary)


def _families(action: Action) -> tuple[str, ...]:
    """What an action writes or builds on: attaching a notes link, or booking a make-up
    that carries one, needs both."""
    if isinstance(action, AttachNotes | BookMakeUp):
        return ("calendar", "notes")
    return ("calendar",) if isinstance(action, SeriesStep) else ("notes",)


def _notes_first(actions: Sequence[Action]) -> list[Action]:
    """The plan's actions in the order they are carried out: a person's new notes before
    their new or adopted series, which then gets its link in the same write (no second
    write to attach it)."""
    started: set[str] = set()  # people with a new or adopted series so far
    late: dict[str, CreateNotes] = {}  # person → their new notes, planned after their series
    for action in actions:
        if isinstance(action, CreateSeries | AdoptSeries):
            started.add(action.person)
        elif isinstance(action, CreateNotes) and action.person in started:
            late[action.person] = action
    ordered: list[Action] = []
    moved: set[str] = set()
    for action in actions:
        if isinstance(action, CreateNotes) and late.get(action.person) is action:
            continue
        if isinstance(action, CreateSeries | AdoptSeries) and action.person in late \
                and action.person not in moved:
            ordered.append(late[action.person])
            moved.add(action.person)
        ordered.append(action)
    return ordered


def apply(
    plan: Plan,
    roster: Roster,
    calendar: WritableCalendar | None,
    notes: NotesStore,
    state: State,
    now: dt.datetime,
    docs: Mapping[str, NotesDoc],
    memory: Memory,
    *,
    stop: Callable[[], bool] | None = None,
    templates: Mapping[str, str] | None = None,
) -> Outcome:
    """Apply every action in order. `docs` are the notes documents found while planning,
    `memory` what state held when the plan was made (not read again).

    A failed action is reported and the person's later actions of the same kind
    (calendar or notes) are skipped, since they build on it; the other kind and other
    people go on (a calendar that cannot be written does not stop the notes). `stop` is
    asked before each action: once it says True the rest is left for the next run (an
    action already begun always completes, with its state commit). `templates`: role → the
    lead's own agenda template text (syncd's own is used for a role without one)."""
    runner = _Runner(plan, roster, calendar, notes, state, now, docs, templates or {}, memory)
    outcome = Outcome()
    if isinstance(notes, BatchCreatingNotes):
        # The new Docs first, together: each new series then goes out with its link.
        people = {p.email: p for p in roster.people}
        new = [people[a.person] for a in plan.actions if isinstance(a, CreateNotes)]
        if new:
            runner.docs.update(notes.create_many(new))
    if isinstance(calendar, BatchCreating):
        # Only creates that are their person's first action go out early. One that follows
        # another (ending the series it replaces) waits its turn: sent ahead, it would leave
        # two live series whenever that earlier write fails or the run dies before it.
        first = {a.person: a for a in reversed(plan.actions)}
        specs = [runner.spec(a) for a in plan.actions
                 if isinstance(a, CreateSeries) and first[a.person] is a]
        if specs:
            calendar.create_many(specs)
    if plan.recovered or plan.written or plan.makeups_found:
        with state.transaction():
            for booked in plan.makeups_found:
                state.record_makeup(booked)
                state.audit(now, "recover-makeup", booked.person, booked.uid,
                            "make-up recovered from the calendar's marker")
            for owned in plan.recovered:
                state.record_series(owned)
                state.audit(now, "recover-series", owned.person, owned.uid,
                            "ownership recovered from the calendar's marker")
            for uid, written in plan.written:
                state.record_written(uid, written)
    broken: set[tuple[str, str]] = set()  # (person, "calendar" or "notes") that failed
    actions = _notes_first(plan.actions)
    for index, action in enumerate(actions):
        if stop is not None and stop():
            log.info("stopping: %d action(s) left for the next run", len(actions) - index)
            break
        blocked = sorted(f for f in _families(action) if (action.person, f) in broken)
        if blocked:
            outcome.failed.append(
                (action, f"skipped: an earlier {blocked[0]} step for this person failed"))
            continue
        try:
            runner.run(action)
        except (CalendarError, NotesError, _Skipped, OSError) as exc:
            log.warning("%s %s failed: %s", action.kind, action.person, exc)
            outcome.failed.append((action, str(exc)))
            # Attaching a link writes the event: its failure is the calendar's.
            broken.add((action.person, _families(action)[0]))
            continue
        log.debug("%s %s: %s", action.kind, action.person, action.summary)
        outcome.done.append(action)
    return outcome
