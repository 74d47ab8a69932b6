"""Plain data shared by the core and the edges: roster, observed events, plan.

Everything here is a frozen dataclass with no behaviour beyond small derived
properties, so the planner can stay a pure function over these values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Literal

Role = Literal["report", "manager", "peer", "skip-level", "new-hire"]
CadenceKind = Literal["weekly", "every-n-weeks", "monthly", "quarterly", "rrule"]
# Working hours when the roster does not give them.
WORK_START = dt.time(8, 0)
WORK_END = dt.time(18, 0)
MAX_CHANGES = 20  # the safety limit: a plan with more actions is refused without --force


@dataclass(frozen=True)
class Slot:
    """When in the week (and optionally which week of the month) a 1:1 happens."""

    day: int  # 0 = Monday … 6 = Sunday
    time: dt.time
    week: int | None = None  # 1..4 = nth weekday of the month, -1 = last; None = not given


@dataclass(frozen=True)
class Cadence:
    """How often a 1:1 recurs.

    `weeks` is the interval for week-based cadences (1 weekly, 2 biweekly, N for
    "every N weeks"); `months` for month-based ones (1 monthly, 3 quarterly);
    `rrule` holds a raw RFC 5545 rule body (without DTSTART) for anything else.
    """

    kind: CadenceKind
    text: str  # what the roster said, for messages
    weeks: int = 0
    months: int = 0
    rrule: str = ""


TimeOff = Literal["holiday", "out-of-office"]


@dataclass(frozen=True)
class Pause:
    """A stretch of days (inclusive) with no 1:1s: leave, PTO.

    `time_off` is set for pauses syncd found rather than the roster gave: a public
    holiday, or the lead's own out-of-office. Those pause only 1:1s that did not
    take place anyway; a roster pause pauses every 1:1 in it.
    """

    start: dt.date
    end: dt.date
    reason: str = ""
    time_off: TimeOff | None = None


@dataclass(frozen=True)
class Preferences:
    """When a 1:1 may be suggested: which days, between which times, with what gap
    around other meetings. None means the working hours."""

    days: frozenset[int] = frozenset(range(5))  # 0 = Monday
    earliest: dt.time | None = None
    latest: dt.time | None = None  # the latest a 1:1 may end
    buffer: dt.timedelta = dt.timedelta(0)


@dataclass(frozen=True)
class Phase:
    """`then:`: the cadence a 1:1 switches to `after` the person's start (a new hire's
    weekly 1:1s becoming biweekly)."""

    after: dt.timedelta
    cadence: Cadence


@dataclass(frozen=True)
class Person:
    """One roster entry.

    `slot` is None for `slot: auto` until syncd chose one (`core/placement.py`); a roster
    handed to the planner has every active person's slot, or the person `queued`.
    """

    name: str
    email: str  # lower-cased
    cadence: Cadence
    slot: Slot | None
    duration: dt.timedelta
    role: Role = "report"
    start: dt.date | None = None
    pauses: tuple[Pause, ...] = ()
    active: bool = True
    # `match:` for calendars without attendees: more emails that mean this person,
    # and a regular expression searched in event titles (case-insensitive).
    aliases: tuple[str, ...] = ()
    title_pattern: str = ""
    # Meetings up to this day (inclusive) get the new-hire agenda whatever the role.
    onboarding_until: dt.date | None = None
    preferences: Preferences = Preferences()  # the roster's, with this person's own on top
    auto_slot: bool = False  # `slot: auto` (or no slot): syncd chooses it, once
    then: Phase | None = None  # the cadence after the first phase, counted from `start`
    # No series yet: the rollout (or a slot no free time was found for) holds them back;
    # `start` is then the day of their first 1:1 when one is known.
    queued: bool = False

    @property
    def fixed_slot(self) -> Slot:
        """The slot, for code that only sees placed people (the planner, classification)."""
        if self.slot is None:
            raise ValueError(f"{self.email}: no slot chosen yet")
        return self.slot


@dataclass(frozen=True)
class Placement:
    """What syncd decided, once, about where a person's 1:1s begin."""

    person: str  # email
    first: dt.date  # the day of the first 1:1 (or of the person's start): phases count from it
    slot: Slot | None = None  # the slot syncd chose for `slot: auto`; None: the roster's
    new: bool = False  # counted by the rollout: no series and no history when placed
    decided: dt.date | None = None  # when it was decided, for status


@dataclass(frozen=True)
class Owner:
    """The lead whose calendar syncd manages."""

    name: str
    email: str  # lower-cased


@dataclass(frozen=True)
class Roster:
    """The validated roster: who, how often, in which zone."""

    owner: Owner
    timezone: str
    people: tuple[Person, ...]
    work_start: dt.time = WORK_START
    work_end: dt.time = WORK_END
    max_changes: int = MAX_CHANGES
    # All-day events on the lead's calendar whose title matches mean the lead is away.
    away_title: str = ""
    max_new_per_week: int | None = None  # `rollout:`: new people's first series per week


# --- what a calendar holds -------------------------------------------------


@dataclass(frozen=True)
class Attendee:
    """A guest of an event; `partstat` is the RFC 5545 participation status."""

    email: str  # lower-cased, without "mailto:"
    name: str = ""
    partstat: str = "NEEDS-ACTION"
    cutype: str = "INDIVIDUAL"  # ROOM and RESOURCE are not people


@dataclass(frozen=True)
class Instance:
    """One occurrence of a series as the calendar shows it inside the read window.

    `recurrence_id` is the slot the rule gave it; `start` differs when a person
    moved it. Instances removed by EXDATE are simply absent.
    """

    recurrence_id: dt.datetime
    start: dt.datetime
    end: dt.datetime
    status: str = "CONFIRMED"  # CONFIRMED, TENTATIVE or CANCELLED
    attendees: tuple[Attendee, ...] = ()
    overridden: bool = False  # a RECURRENCE-ID component exists for it

    @property
    def moved(self) -> bool:
        """True when the instance no longer starts where the rule put it."""
        return self.start != self.recurrence_id


@dataclass(frozen=True)
class Series:
    """A calendar event (recurring or single) with its instances in the read window."""

    uid: str
    summary: str
    start: dt.datetime  # DTSTART of the master, timezone-aware
    end: dt.datetime
    timezone: str  # IANA key the master is written in
    rrule: str = ""  # RRULE value, "" for a single event
    exdates: tuple[dt.datetime, ...] = ()
    attendees: tuple[Attendee, ...] = ()
    organizer: str = ""
    status: str = "CONFIRMED"
    description: str = ""
    marker: str = ""  # X-SYNCD-ID: set on events syncd owns
    notes_url: str = ""  # the notes link syncd attached, if any
    instances: tuple[Instance, ...] = ()
    etag: str = ""  # changes whenever the stored event changes
    broken: str = ""  # why its instances could not be computed ("" when they could)
    transparent: bool = False  # shown as free (TRANSP:TRANSPARENT, Google "transparent")
    out_of_office: bool = False  # Google eventType outOfOffice, Outlook BUSYSTATUS:OOF
    all_day: bool = False  # dated, not timed (DTSTART;VALUE=DATE, Google start.date)
    # The calendar keeps properties private to the lead's copy (Google extendedProperties.
    # private), so a marker and notes link can go on an event someone else organizes.
    private_props: bool = False

    @property
    def duration(self) -> dt.timedelta:
        """Length of the master event."""
        return self.end - self.start


# --- what happened ----------------------------------------------------------

OccurrenceStatus = Literal[
    "held", "rescheduled", "skipped", "missing", "paused", "upcoming", "unknown"
]
SkipReason = Literal["cancelled", "deleted", "declined-by-them", "declined-by-me"]


@dataclass(frozen=True)
class Occurrence:
    """One expected 1:1 and what became of it."""

    person: str  # email
    expected: dt.datetime  # the roster's slot, aware
    status: OccurrenceStatus
    reason: SkipReason | TimeOff | None = None  # why skipped, or why paused by time off
    actual_start: dt.datetime | None = None  # when it really happened (moved or made up)
    series_uid: str = ""  # the event that held it, when there was one

    @property
    def skip_reason(self) -> SkipReason | None:
        """Why it was skipped, when it was (None for every other status)."""
        match self.reason:
            case "cancelled" | "deleted" | "declined-by-them" | "declined-by-me":
                return self.reason
        return None


# --- the plan ---------------------------------------------------------------


@dataclass(frozen=True)
class SeriesSpec:
    """Everything needed to write a new recurring 1:1 series."""

    uid: str
    marker: str
    summary: str
    start: dt.datetime  # first occurrence, aware, in `timezone`
    duration: dt.timedelta
    timezone: str
    rrule: str
    organizer: Attendee
    attendee: Attendee
    description: str = ""
    notes_url: str = ""  # the notes link written with the event ("" for none yet)


@dataclass(frozen=True)
class SeriesPatch:
    """Changes to an owned series' master; a None field is left as it is."""

    marker: str | None = None
    summary: str | None = None
    duration: dt.timedelta | None = None
    until: dt.datetime | None = None  # ends the series: RRULE UNTIL
    notes_url: str | None = None


@dataclass(frozen=True)
class FollowUp:
    """An open action item, as carried from one agenda section to the next."""

    text: str  # the item without its checkbox and carry note
    since: dt.date  # the day of the meeting it was first written for
    carried: int = 0  # how many sections it has been carried into so far

    @property
    def stale(self) -> bool:
        """Carried three times or more: worth a word in the report."""
        return self.carried >= 3


@dataclass(frozen=True)
class AgendaWrite:
    """What a notes action writes about one meeting's agenda section."""

    key: dt.date  # the roster slot (local date) the section prepares: its identity
    when: dt.datetime  # where the meeting really takes place, aware
    label: str = ""  # "moved from Tue 2026-01-19", "make-up for …": why `when` is not the slot
    follow_ups: tuple[FollowUp, ...] = ()  # prepare-notes: carried into the new section
    template: str = "report"  # prepare-notes: which agenda template (a role, or new-hire)
    reason: str = ""  # cancel-agenda: why the meeting is off


ActionKind = Literal[
    "create-notes",
    "create-series",
    "adopt-series",
    "update-series",
    "end-series",
    "attach-notes",
    "prepare-notes",
    "move-agenda",
    "cancel-agenda",
    "book-makeup",
]


@dataclass(frozen=True)
class Step:
    """What every action has: whose it is and one human line saying what and when.
    `kind` names the action in the audit log and the JSON output, nothing more."""

    kind: ClassVar[ActionKind]
    person: str  # email
    summary: str


@dataclass(frozen=True)
class CreateNotes(Step):
    """Create the person's private notes document."""

    kind = "create-notes"


@dataclass(frozen=True)
class SeriesStep(Step):
    """An action that writes one series on the calendar (the safety limit counts them)."""

    series_uid: str


@dataclass(frozen=True)
class CreateSeries(SeriesStep):
    """Write a new series under a deterministic uid."""

    kind = "create-series"
    spec: SeriesSpec
    generation: int  # ownership generation for this person
    written: str  # identity.Written.text() of the series after it
    replaces: str = ""  # the owned uid this one takes over from


@dataclass(frozen=True)
class EditSeries(SeriesStep):
    """An action that changes a series already on the calendar."""

    etag: str  # the series as the planner saw it; a changed event is not written


@dataclass(frozen=True)
class AdoptSeries(EditSeries):
    """Make a hand-made 1:1 syncd's: its marker (and the roster's duration) written."""

    kind = "adopt-series"
    patch: SeriesPatch
    generation: int
    written: str


@dataclass(frozen=True)
class UpdateSeries(EditSeries):
    """Set what the roster states on an owned series (title, duration)."""

    kind = "update-series"
    patch: SeriesPatch
    written: str


@dataclass(frozen=True)
class EndSeries(EditSeries):
    """End an owned series after `until` (RRULE UNTIL: its history stays)."""

    kind = "end-series"
    until: dt.datetime
    # A change the roster scheduled (a cadence phase ending): not counted by the safety
    # limit's guard against ending half the series at once.
    planned: bool = False

    @property
    def patch(self) -> SeriesPatch:
        """The write that ends it."""
        return SeriesPatch(until=self.until)


@dataclass(frozen=True)
class AttachNotes(EditSeries):
    """Put the notes document's link on the series (the link is read when it runs)."""

    kind = "attach-notes"


@dataclass(frozen=True)
class BookMakeUp(SeriesStep):
    """Write a one-off 1:1 that makes up a skipped slot; it carries the notes link."""

    kind = "book-makeup"
    spec: SeriesSpec
    makeup: BookedMakeUp  # what state records once it is booked


@dataclass(frozen=True)
class AgendaStep(Step):
    """An action on one meeting's agenda section in the person's notes."""

    agenda: AgendaWrite

    @property
    def section_date(self) -> dt.date:
        """The roster slot the section prepares."""
        return self.agenda.key


@dataclass(frozen=True)
class PrepareAgenda(AgendaStep):
    """Add the section for the next meeting, with the follow-ups it carries."""

    kind = "prepare-notes"


@dataclass(frozen=True)
class MoveAgenda(AgendaStep):
    """Re-head a section to where its meeting now takes place."""

    kind = "move-agenda"


@dataclass(frozen=True)
class CancelAgenda(AgendaStep):
    """Mark a section whose meeting was called off ahead."""

    kind = "cancel-agenda"


AgendaAction = PrepareAgenda | MoveAgenda | CancelAgenda
# One step of a plan: apply dispatches on the class, so mypy checks each has what it needs.
Action = (CreateNotes | CreateSeries | AdoptSeries | UpdateSeries | EndSeries | AttachNotes
          | BookMakeUp | AgendaAction)


@dataclass(frozen=True)
class Plan:
    """What a reconcile would do, and what it wants a person to know."""

    actions: tuple[Action, ...] = ()
    warnings: tuple[str, ...] = ()
    read_only: bool = False
    owned_series: int = 0  # active owned series before the plan, for the safety limit
    info: tuple[str, ...] = ()  # lines worth showing that are not problems
    # Series the calendar marks as syncd's that state does not know (a crash between a
    # write and its commit, or a lost state file): recorded before any action runs.
    recovered: tuple[OwnedSeries, ...] = ()
    # (uid, identity.Written.text()) for owned series whose written identity state lacks or
    # that the roster now agrees with: recorded with `recovered`.
    written: tuple[tuple[str, str], ...] = ()
    # Why the read looks incomplete (syncd's series all gone at once): then the plan is
    # refused like one over the safety limit.
    suspicious: str = ""
    # Make-ups syncd booked that the calendar shows and state does not know (a crash
    # between the booking and its commit): recorded with `recovered`.
    makeups_found: tuple[BookedMakeUp, ...] = ()


# --- what syncd remembers ---------------------------------------------------


@dataclass(frozen=True)
class MakeUpRequest:
    """A one-off 1:1 to book for a skipped or missing occurrence (`syncd makeup`, or
    `makeups: {book: auto}`)."""

    person: str  # email
    expected: dt.datetime  # the roster slot it makes up
    start: dt.datetime  # when the make-up takes place


@dataclass(frozen=True)
class BookedMakeUp:
    """A make-up syncd booked, as state keeps it: a person deleting the event is their
    decision, so `book: auto` never books that slot's make-up again."""

    uid: str
    person: str  # email
    expected: dt.datetime  # the roster slot it makes up
    start: dt.datetime


@dataclass(frozen=True)
class AgendaSection:
    """One agenda section syncd wrote in a notes document, as read back."""

    key: dt.date  # the roster slot it prepares
    when: dt.datetime | None  # local wall time its heading (or last pointer) gives; None: legacy
    cancelled: bool = False  # a line says the meeting at `when` is off
    open_items: tuple[FollowUp, ...] = ()  # unticked task items, in order
    leftovers: tuple[str, ...] = ()  # other items the lead wrote (topics), carried when cancelled
    outcome: tuple[str, ...] = ()  # lines under its outcome heading
    written: bool = False  # holds anything the lead wrote


@dataclass(frozen=True)
class NotesDoc:
    """A person's private notes document and the agenda sections it already holds."""

    person: str  # email
    doc_id: str
    url: str
    sections: frozenset[dt.date] = frozenset()
    agenda: tuple[AgendaSection, ...] = ()  # in document order
    blank: bool = False  # made, but not yet filled from the template (a run stopped)


OwnedStatus = Literal["active", "ended", "deleted"]


@dataclass(frozen=True)
class OwnedSeries:
    """A series syncd created or adopted, as recorded in state."""

    uid: str
    person: str  # email
    generation: int
    origin: Literal["created", "adopted"]
    status: OwnedStatus = "active"


@dataclass(frozen=True)
class Memory:
    """The part of state the planner reads: ownership, notes, what syncd last wrote,
    booked make-ups."""

    series: tuple[OwnedSeries, ...] = ()
    notes: tuple[NotesDoc, ...] = ()  # notes docs syncd created or found, sections unknown
    # uid → identity.Written.text() of what syncd last wrote on that series.
    written: Mapping[str, str] = field(default_factory=dict)
    makeups: tuple[BookedMakeUp, ...] = ()  # one-off make-ups syncd booked
