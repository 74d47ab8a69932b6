"""One reconcile: read the sources, plan, and (unless dry-run or refused) apply.

The imperative shell around the pure planner: it opens the backends named in
the config, turns a failed read into "nothing planned for that source", and
decides the exit code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from syncd import EXIT_FAILED, EXIT_OK
from syncd.apply import Outcome, apply
from syncd.calendars.base import (
    CachingCalendar,
    CalendarError,
    CalendarSource,
    WritableCalendar,
)
from syncd.config import (
    Backend,
    CalendarConfig,
    Config,
    FeedCalendarConfig,
    GoogleBackend,
    GoogleCalendarConfig,
    GoogleDocsNotesConfig,
    NotesConfig,
    resolve_state_dir,
)
from syncd.core import history, observe, planner, schedule
from syncd.core.identity import person_key
from syncd.core.model import Memory, NotesDoc, Occurrence, Plan, Roster, Series
from syncd.google.errors import AuthError
from syncd.notes.base import NotesError, NotesStore, WarningNotes
from syncd.state import State
from syncd.timeoff import with_time_off

# The backends are imported when the config names them: a run with a local calendar
# never loads the Google client, a Google one never loads the feed reader's HTTP stack.
if TYPE_CHECKING:
    from syncd.google.api import GoogleApi

log = logging.getLogger(__name__)



@dataclass
class Result:
    """A reconcile's plan, what applying it did, and the exit code it deserves."""

    plan: Plan
    dry_run: bool
    refused: str | None = None
    outcome: Outcome | None = None
    source_failed: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 when everything worked, 1 when a source or a write failed or the plan was refused."""
        failed = self.outcome is not None and bool(self.outcome.failed)
        return EXIT_FAILED if (self.source_failed or failed or
                               (self.refused and not self.dry_run)) else EXIT_OK


def connect_google(config: Config) -> GoogleApi | None:
    """Google clients when the calendar or the notes live at Google, else None.

    Raises AuthError when there are no usable credentials (no token, a token others
    can read, a revoked token).
    """
    if not config.uses_google:
        return None
    from syncd.google import auth
    from syncd.google.api import Endpoints, GoogleApi

    credentials = auth.credentials(config, resolve_state_dir(config, os.environ))
    calendar = Endpoints.at(_endpoint(config.calendar))
    drive = Endpoints.at(_endpoint(config.notes))
    return GoogleApi(credentials, dataclasses.replace(drive, calendar=calendar.calendar,
                                                      batch=calendar.batch))


def _endpoint(backend: Backend) -> str | None:
    return backend.api_endpoint if isinstance(backend, GoogleBackend) else None


def open_calendar(
    config: CalendarConfig, roster: Roster, state: State | None = None,
    google: GoogleApi | None = None, *, attach: bool = True,
) -> CalendarSource:
    """The calendar backend the config names, starting from what state remembers of it
    (an ics feed's validators, a Google calendar's sync token). `google` is needed for
    kind google; `attach` puts notes links in Google event attachments."""
    raw = state.get_value(_cache_key(config)) if state is not None and isinstance(
        config, FeedCalendarConfig | GoogleCalendarConfig) else None
    if isinstance(config, FeedCalendarConfig):
        from syncd.calendars.ics import FeedCache, ICSFeed

        return ICSFeed(
            url=config.url, path=config.path, default_timezone=roster.timezone,
            people=roster.people, owner_email=roster.owner.email,
            timeout=config.timeout, max_bytes=config.max_bytes,
            cache=FeedCache.from_json(raw) if raw else None, away_title=roster.away_title,
        )
    if isinstance(config, GoogleCalendarConfig):
        from syncd.calendars.google import GoogleCalendar, SyncCache

        if google is None:
            raise CalendarError("google calendar: no Google credentials were loaded")
        return GoogleCalendar(
            google, config.calendar_id, people=roster.people, owner_email=roster.owner.email,
            default_timezone=roster.timezone, attach=attach,
            cache=SyncCache.from_json(raw) if raw else None, away_title=roster.away_title)
    from syncd.calendars.local import LocalCalendar

    return LocalCalendar(config.path, roster.timezone)


def _cache_key(config: CalendarConfig) -> str:
    # Keyed by a hash, so the secret in a private feed URL is not stored in clear.
    if isinstance(config, GoogleCalendarConfig):
        source = f"google {config.api_endpoint or ''} {config.calendar_id}"
        return "calendar:" + hashlib.sha256(source.encode()).hexdigest()[:24]
    source = (config.url if isinstance(config, FeedCalendarConfig) else None) or str(config.path)
    return "feed:" + hashlib.sha256(source.encode()).hexdigest()[:24]


def save_calendar_cache(state: State, config: CalendarConfig, calendar: CalendarSource) -> None:
    """Remember what the calendar read learned (feed validators, sync token), inside an
    open transaction."""
    if isinstance(calendar, CachingCalendar):
        state.set_value(_cache_key(config), calendar.cache_json())


class StateReservations:
    """Notes Doc ids reserved before creation, kept in state (committed at once)."""

    def __init__(self, state: State) -> None:
        """Reservations in `state`'s key-value table."""
        self._state = state

    def reserved(self, person: str) -> str | None:
        """The Doc id reserved for `person`, if any."""
        return self._state.get_value(f"notes-id:{person_key(person)}")

    def reserve(self, person: str, doc_id: str) -> None:
        """Commit `doc_id` for `person` before the Doc is created."""
        with self._state.transaction():
            self._state.set_value(f"notes-id:{person_key(person)}", doc_id)


def open_notes(
    config: NotesConfig, state: State | None = None, google: GoogleApi | None = None
) -> NotesStore:
    """The notes backend the config names (kind google-docs needs `google` and `state`)."""
    if isinstance(config, GoogleDocsNotesConfig):
        from syncd.notes.gdocs import GoogleDocsNotes

        if google is None or state is None:
            raise NotesError("google docs: no Google credentials were loaded")
        return GoogleDocsNotes(google, folder_id=config.folder_id,
                               reservations=StateReservations(state))
    from syncd.notes.markdown import MarkdownNotes

    return MarkdownNotes(config.path)


def open_backends(config: Config, state: State) -> tuple[CalendarSource, NotesStore]:
    """The calendar and notes store the config names, with what state remembers of them.

    Raises AuthError when they live at Google and there are no usable credentials.
    """
    google = connect_google(config)
    return (open_calendar(config.calendar, config.roster, state, google,
                          attach=config.attach_notes),
            open_notes(config.notes, state, google))


def read_calendar(
    calendar: CalendarSource, start: dt.datetime, end: dt.datetime, warnings: list[str]
) -> tuple[Series, ...] | None:
    """Everything between start and end, or None (with a warning) when the read failed."""
    try:
        return calendar.read(start, end)
    except CalendarError as exc:
        warnings.append(f"{calendar.name}: not read, nothing planned for it: {exc}")
        return None


def read_notes(
    notes: NotesStore, config: Config, memory: Memory, warnings: list[str]
) -> dict[str, NotesDoc] | None:
    """Each active person's notes document, or None (with a warning) when notes failed."""
    known = {d.person: d.doc_id for d in memory.notes}
    found: dict[str, NotesDoc] = {}
    try:
        for person in config.roster.people:
            if person.active:
                doc = notes.find(person.email, known.get(person.email))
                if doc is not None:
                    found[person.email] = doc
    except NotesError as exc:
        warnings.append(f"notes: not read, nothing planned for them: {exc}")
        return None
    if isinstance(notes, WarningNotes):
        warnings.extend(notes.warnings)
    return found


def reconcile(
    config: Config, state: State, now: dt.datetime, *, dry_run: bool, force: bool,
    calendar: CalendarSource | None = None, notes: NotesStore | None = None,
    stop: Callable[[], bool] | None = None,
) -> Result:
    """Read, plan and apply (unless `dry_run`, or the safety limit refuses and not `force`).

    `calendar` and `notes` default to the backends the config names; `stop` is
    passed to apply, which asks it before each action.
    """
    warnings: list[str] = []
    if calendar is None or notes is None:
        try:
            opened = open_backends(config, state)
        except AuthError as exc:
            # Nothing can be read, so nothing is planned: one clear message, exit 1.
            return Result(Plan(), dry_run, source_failed=True, warnings=[f"google: {exc}"])
        calendar, notes = calendar or opened[0], notes or opened[1]
    memory = state.memory()
    window = planner.read_window(now)
    observed = read_calendar(calendar, *window, warnings)
    docs = read_notes(notes, config, memory, warnings)
    writable = calendar if isinstance(calendar, WritableCalendar) else None
    # Public holidays and the lead's out-of-office days pause the 1:1s they fall on.
    roster = with_time_off(config, observed or (), *window)
    plan = planner.plan(roster, observed, docs, memory, now)
    if writable is None:
        plan = dataclasses.replace(plan, read_only=True)
    clashing, paused = schedule_notes(roster, observed, now)
    plan = dataclasses.replace(plan, info=plan.info + tuple(paused))
    result = Result(plan, dry_run, source_failed=observed is None or docs is None,
                    warnings=warnings + list(plan.warnings) + clashing)
    refused = planner.refusal(plan, config.roster.max_changes)
    if refused and not force:
        result.refused = refused
        return result
    if dry_run:
        return result
    if observed is not None:
        record_history(roster, state, observed, window[0], now)
    # A read-only calendar is never written; the notes are still the lead's own.
    todo = dataclasses.replace(plan, actions=tuple(
        a for a in plan.actions if not (plan.read_only and a.writes_event)))
    templates = {str(role): text for role, text in (config.notes.templates or {}).items()}
    result.outcome = apply(todo, config.roster, writable, notes, state, now, docs or {},
                           stop=stop, templates=templates)
    if observed is not None:
        # After applying: the cache then holds syncd's own writes too.
        with state.transaction():
            save_calendar_cache(state, config.calendar, calendar)
    return result


def schedule_notes(roster: Roster, observed: tuple[Series, ...] | None,
                   now: dt.datetime) -> tuple[list[str], list[str]]:
    """Clash warnings over the next weeks (1:1s with each other, with the lead's other
    meetings as far as the calendar read shows them), and a note per coming 1:1 that time
    off pauses, with a free slot. Nothing when the read failed."""
    if observed is None:
        return [], []
    end = now + dt.timedelta(weeks=schedule.CLASH_WEEKS)
    meetings = schedule.roster_meetings(roster, observed, now)
    busy = schedule.owner_busy(roster, observed, now, end)
    taken = [*busy.intervals, *(m for found in meetings.values() for m in found)]
    return (schedule.clash_warnings(roster, meetings, busy),
            schedule.time_off_notes(roster, observed, taken, now))


def record_history(
    roster: Roster, state: State, observed: tuple[Series, ...], start: dt.datetime,
    now: dt.datetime,
) -> None:
    """Store the settled occurrences between `start` (where the read began) and now.

    Only the span actually read: an occurrence before it would look `missing`.
    """
    fresh = observe.classify_roster(roster, observed, start, now, now)
    with state.transaction():
        state.record_occurrences(history.settled(
            (o for rows in observe.with_history(fresh, state.occurrences(start, now)).values()
             for o in rows), now))


@dataclass(frozen=True)
class Observation:
    """What the calendar and stored history say about each active person's 1:1s."""

    rows: dict[str, list[Occurrence]]  # email → classified occurrences, history merged
    observed: tuple[Series, ...]  # every event read (empty when the read failed)
    failure: str | None  # why the calendar could not be read, else None
    roster: Roster  # the config's, with holidays and out-of-office days as pauses


def observe_people(
    config: Config, state: State, now: dt.datetime, start: dt.datetime, end: dt.datetime
) -> Observation:
    """Classify the calendar around [start, end) and merge stored history (reads only).

    The read reaches back far enough for every last held 1:1 and forward to the
    planning horizon; a failed read leaves stored history alone and says why.
    """
    first = min(start, now - observe.lookback(config.roster))
    last = max(end, now + planner.HORIZON)
    failure: str | None = None
    observed: tuple[Series, ...] = ()
    try:
        calendar = open_calendar(config.calendar, config.roster, state, connect_google(config))
        observed = calendar.read(first, last)
    except AuthError as exc:
        failure = f"google: {exc}"
    except CalendarError as exc:
        failure = f"{config.calendar.kind} calendar: not read: {exc}"
    roster = with_time_off(config, observed, first, last)
    fresh = observe.classify_roster(roster, observed, first, last, now)
    return Observation(observe.with_history(fresh, state.occurrences(first, last)),
                       observed, failure, roster)
