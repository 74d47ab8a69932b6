"""The weekly skipped-meeting report as data (pure: no I/O, no clock, no backend).

The shell hands over the roster, every active person's classified occurrences (stored
history merged in), the events it read, the notes links and whether each coming
agenda has been written; `build` turns them into a `Report` that `render` shows as
text, Markdown, JSON or HTML. docs/report.md says how every number is counted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from syncd.core import cadence, matching, placement, status
from syncd.core.model import (
    FollowUp,
    Occurrence,
    OccurrenceStatus,
    Owner,
    Pause,
    Person,
    Roster,
    Series,
)

HEATMAP_WEEKS = 12
LONG_WEEKS = 26  # "the last 6 months"
NEXT_WEEK = dt.timedelta(days=7)
_WEEK = dt.timedelta(days=7)
_DAY = dt.timedelta(days=1)

CellStatus = Literal[
    "missing", "skipped", "unknown", "rescheduled", "held", "upcoming", "paused", "none"
]
# Worst first: a heat-map cell shows the worst status among its week's occurrences.
SEVERITY: tuple[CellStatus, ...] = (
    "missing", "skipped", "unknown", "rescheduled", "held", "upcoming", "paused", "none"
)
SkipKind = Literal["cancelled", "deleted", "declined-by-them", "declined-by-me", "missing"]
# "written": notes beyond the template; "empty": the bare template; "missing": no section
# (or no document) yet; "unknown": the notes could not be read.
AgendaState = Literal["written", "empty", "missing", "unknown"]

_HAPPENED: tuple[OccurrenceStatus, ...] = ("held", "rescheduled")
_SKIPS: tuple[OccurrenceStatus, ...] = ("skipped", "missing")


@dataclass(frozen=True)
class Period:
    """A span of whole days in the roster's zone: [start, end), both local midnights."""

    start: dt.datetime
    end: dt.datetime
    label: str  # "2026-W47", or "2026-11-02..2026-11-15" for a span of days

    @property
    def is_week(self) -> bool:
        """True for an ISO week (as opposed to a span of days)."""
        return "-W" in self.label

    @property
    def last_day(self) -> dt.date:
        """The last day inside the period."""
        return (self.end - _DAY).date()


def _days(first: dt.date, after: dt.date, zone: ZoneInfo, label: str) -> Period:
    return Period(dt.datetime.combine(first, dt.time(0), zone),
                  dt.datetime.combine(after, dt.time(0), zone), label)


def iso_week(year: int, week: int, zone: ZoneInfo) -> Period:
    """ISO week `year`-W`week`, Monday 00:00 to the next Monday 00:00 (ValueError if none)."""
    monday = dt.date.fromisocalendar(year, week, 1)
    return _days(monday, monday + _WEEK, zone, f"{year}-W{week:02d}")


def week_of(day: dt.date, zone: ZoneInfo) -> Period:
    """The ISO week holding `day`."""
    year, week, _ = day.isocalendar()
    return iso_week(year, week, zone)


def last_complete_week(now: dt.datetime, zone: ZoneInfo) -> Period:
    """The last ISO week that ended at or before `now`."""
    return week_of(now.astimezone(zone).date() - _WEEK, zone)


def day_span(first: dt.date, last: dt.date, zone: ZoneInfo) -> Period:
    """The days `first` to `last`, both included."""
    return _days(first, last + _DAY, zone, f"{first.isoformat()}..{last.isoformat()}")


def columns(period: Period, weeks: int = HEATMAP_WEEKS) -> tuple[Period, ...]:
    """The `weeks` ISO weeks ending with the week that holds the period's last day."""
    zone = period.start.tzinfo
    assert isinstance(zone, ZoneInfo)
    last = week_of(period.last_day, zone).start.date()
    return tuple(week_of(last - _WEEK * back, zone) for back in range(weeks - 1, -1, -1))


def read_start(period: Period) -> dt.datetime:
    """How far back the occurrences must reach for every number in the report."""
    return min(period.start, columns(period, LONG_WEEKS)[0].start)


def _happened_at(occ: Occurrence) -> dt.datetime:
    return occ.actual_start or occ.expected


def _ahead(occ: Occurrence, now: dt.datetime) -> bool:
    """A 1:1 still to come: upcoming, or a past slot made up at a time after now."""
    if occ.status == "upcoming":
        return True
    return occ.status == "rescheduled" and occ.actual_start is not None \
        and occ.actual_start >= now


def next_meetings(
    rows: Mapping[str, Sequence[Occurrence]], now: dt.datetime
) -> dict[str, list[Occurrence]]:
    """Email → that person's 1:1s in the week after `now`, by the time they take place.

    The shell asks the notes store about these dates before calling `build`.
    """
    out: dict[str, list[Occurrence]] = {}
    for email, occs in rows.items():
        found = sorted((o for o in occs if _ahead(o, now)
                        and now <= _happened_at(o) < now + NEXT_WEEK), key=_happened_at)
        if found:
            out[email] = found
    return out


def agenda_day(occ: Occurrence, zone: ZoneInfo) -> dt.date:
    """The key of the agenda section for a 1:1: the day of the roster slot it stands for
    (a moved meeting or a make-up keeps its slot's section)."""
    return occ.expected.astimezone(zone).date()


# --- the report ---------------------------------------------------------------


@dataclass(frozen=True)
class Skip:
    """An expected 1:1 in the period that did not take place."""

    person: Person
    expected: dt.datetime
    reason: SkipKind
    make_up: dt.datetime | None  # a 1:1 with them after the slot, before their next one
    suggestion: dt.datetime | None = None  # without a make-up: the first free slot for one


@dataclass(frozen=True)
class Adherence:
    """Held (or rescheduled) 1:1s out of the settled expected ones in a window."""

    happened: int
    expected: int

    @property
    def rate(self) -> float | None:
        """happened / expected, or None when nothing was expected."""
        return self.happened / self.expected if self.expected else None


@dataclass(frozen=True)
class Cell:
    """One heat-map square: a person's worst status in one ISO week."""

    week: str  # "2026-W47"
    status: CellStatus


@dataclass(frozen=True)
class PersonReport:
    """Everything the report says about one person."""

    person: Person
    occurrences: tuple[Occurrence, ...]  # expected inside the period
    skipped: tuple[Skip, ...]
    skip_streak: int
    last_held: dt.datetime | None
    days_since_last_held: int | None
    overdue: bool
    adherence_12w: Adherence
    adherence_6m: Adherence
    cells: tuple[Cell, ...]  # one per heat-map week, oldest first


@dataclass(frozen=True)
class Upcoming:
    """A 1:1 in the week after now and the state of its agenda."""

    person: Person
    start: dt.datetime  # when it takes place
    expected: dt.datetime  # the roster's slot it stands for
    on_calendar: bool | None  # False: no event holds it yet; None: calendar not read
    notes_url: str | None
    agenda: AgendaState
    stale: tuple[FollowUp, ...] = ()  # follow-ups in its section carried three times or more

    @property
    def nudge(self) -> bool:
        """True when the lead should write the agenda (or get one prepared) first."""
        return self.agenda in ("empty", "missing")


@dataclass(frozen=True)
class Away:
    """A person on (or about to start) a roster pause."""

    person: Person
    pause: Pause
    returns: dt.date  # the first day after the pause


@dataclass(frozen=True)
class Stranger:
    """Someone in a recurring 1:1 with the lead who is not on the roster."""

    email: str
    name: str  # as the calendar spells it
    summary: str  # the event's title


@dataclass(frozen=True)
class Report:
    """The whole report; `render` turns it into text, Markdown, JSON or HTML."""

    period: Period
    generated_at: dt.datetime
    timezone: str
    owner: Owner
    weeks: tuple[Period, ...]  # heat-map columns, oldest first
    people: tuple[PersonReport, ...]  # active roster people, roster order
    next_week: tuple[Upcoming, ...]
    away: tuple[Away, ...]
    no_series: tuple[Person, ...] | None  # None when the calendar was not read
    strangers: tuple[Stranger, ...] | None  # None when the calendar was not read
    # New people the rollout holds back (`rollout:`), with their first 1:1 when known.
    queued: tuple[tuple[Person, dt.datetime | None], ...] = ()

    @property
    def calendar_read(self) -> bool:
        """False when the report comes from stored history alone."""
        return self.no_series is not None

    @property
    def skipped(self) -> tuple[Skip, ...]:
        """Every skip in the period, earliest first."""
        return tuple(sorted((s for p in self.people for s in p.skipped),
                            key=lambda s: (s.expected, s.person.email)))

    @property
    def overdue(self) -> tuple[PersonReport, ...]:
        """Overdue people, longest without a held 1:1 first (never held before all)."""
        late = [p for p in self.people if p.overdue]
        return tuple(sorted(late, key=lambda p: (p.days_since_last_held is not None,
                                                 -(p.days_since_last_held or 0))))

    @property
    def nudges(self) -> tuple[Upcoming, ...]:
        """Coming 1:1s whose agenda is still empty or missing."""
        return tuple(u for u in self.next_week if u.nudge)


def build(
    roster: Roster,
    rows: Mapping[str, Sequence[Occurrence]],
    observed: Sequence[Series] | None,
    notes_urls: Mapping[str, str],
    agendas: Mapping[tuple[str, dt.date], bool | None] | None,
    period: Period,
    now: dt.datetime,
    stale: Mapping[tuple[str, dt.date], tuple[FollowUp, ...]] | None = None,
    suggestions: Mapping[tuple[str, dt.datetime], dt.datetime] | None = None,
) -> Report:
    """The report on `period` as of `now`.

    `rows`: email → every classified occurrence known for each active person (history
    merged). `observed`: the events read, None when the calendar could not be read.
    `notes_urls`: email → notes link. `agendas`: (email, day) → the notes store's
    `agenda_written` for the 1:1s `next_meetings` found (None when the notes could not
    be read; a missing key means the person has no notes document). `stale`: the same
    keys → follow-ups carried three times or more. `suggestions`: (email, skipped slot in
    UTC) → the first free slot `syncd suggest` offers to make it up.
    """
    zone = ZoneInfo(roster.timezone)
    people = [p for p in roster.people if p.active]
    weeks = columns(period)
    long_start = columns(period, LONG_WEEKS)[0].start
    theirs = matching.series_by_person(people, roster.owner.email, observed or ())
    reports = []
    for person in people:
        mine = sorted(rows.get(person.email, ()), key=lambda o: o.expected)
        meetings = [_happened_at(o) for o in mine if o.status in (*_HAPPENED, "upcoming")]
        meetings += _usable_starts(person, roster.owner.email, theirs.get(person.email, ()))
        reports.append(_person_report(person, mine, meetings, period, weeks, long_start, now,
                                      suggestions or {}))
    ahead = next_meetings({p.email: rows.get(p.email, ()) for p in people}, now)
    by_email = {p.email: p for p in people}
    upcoming = [
        Upcoming(
            person=by_email[email], start=_happened_at(occ), expected=occ.expected,
            on_calendar=None if observed is None else _on_calendar(
                _happened_at(occ), theirs.get(email, ())),
            notes_url=notes_urls.get(email),
            agenda=_agenda(agendas, email, agenda_day(occ, zone)),
            stale=(stale or {}).get((email, agenda_day(occ, zone)), ()),
        )
        for email, occs in ahead.items() for occ in occs
    ]
    upcoming.sort(key=lambda u: (u.start, u.person.email))
    return Report(
        period=period, generated_at=now, timezone=roster.timezone, owner=roster.owner,
        weeks=weeks, people=tuple(reports), next_week=tuple(upcoming),
        away=_away(people, now.astimezone(zone).date()),
        no_series=None if observed is None else tuple(
            p for p in people if not p.queued
            and not _has_live_series(theirs.get(p.email, ()), now)),
        queued=tuple((p, placement.first_meeting(roster, p)) for p in people if p.queued),
        strangers=None if observed is None else _strangers(roster, observed, weeks[0].start),
    )


def _person_report(
    person: Person, rows: Sequence[Occurrence], meetings: Sequence[dt.datetime],
    period: Period, weeks: Sequence[Period], long_start: dt.datetime, now: dt.datetime,
    suggestions: Mapping[tuple[str, dt.datetime], dt.datetime],
) -> PersonReport:
    summary = status.person_status(person, rows, period.start, period.end, now)
    interval = dt.timedelta(days=cadence.interval_days(person.cadence))
    skipped = []
    for index, occ in enumerate(rows):
        if occ.status in _SKIPS and period.start <= occ.expected < period.end:
            # The make-up must come before their next slot, else it is just the next 1:1.
            until = rows[index + 1].expected if index + 1 < len(rows) \
                else occ.expected + interval
            make_up = min((t for t in meetings if occ.expected < t < until), default=None)
            reason: SkipKind = occ.skip_reason or "missing"
            offer = None if make_up else suggestions.get(
                (person.email, occ.expected.astimezone(dt.UTC)))
            skipped.append(Skip(person, occ.expected, reason, make_up, offer))
    return PersonReport(
        person=person,
        occurrences=summary.occurrences,
        skipped=tuple(skipped),
        skip_streak=_streak(o for o in rows if o.expected < period.end),
        last_held=summary.last_held,
        days_since_last_held=summary.days_since_last_held,
        overdue=summary.overdue,
        adherence_12w=_adherence(rows, weeks[0].start, weeks[-1].end),
        adherence_6m=_adherence(rows, long_start, weeks[-1].end),
        cells=tuple(Cell(w.label, _worst(o.status for o in rows
                                         if w.start <= o.expected < w.end)) for w in weeks),
    )


def _streak(rows: Iterable[Occurrence]) -> int:
    """Skips in a row, counting back from the latest settled occurrence.

    Paused and upcoming ones neither break nor extend it; an unknown one ends it,
    since it may have been held.
    """
    count = 0
    for occ in sorted(rows, key=lambda o: o.expected, reverse=True):
        if occ.status in ("paused", "upcoming"):
            continue
        if occ.status not in _SKIPS:
            break
        count += 1
    return count


def _adherence(rows: Iterable[Occurrence], start: dt.datetime, end: dt.datetime) -> Adherence:
    """Only settled outcomes count: paused, upcoming and unknown ones are left out."""
    inside = [o for o in rows if start <= o.expected < end]
    happened = sum(1 for o in inside if o.status in _HAPPENED)
    return Adherence(happened, happened + sum(1 for o in inside if o.status in _SKIPS))


def _worst(statuses: Iterable[OccurrenceStatus]) -> CellStatus:
    return min(statuses, key=SEVERITY.index, default="none")


def _usable_starts(person: Person, owner: str, series: Iterable[Series]) -> list[dt.datetime]:
    """Starts of the person's event instances that can stand for a 1:1 that takes place:
    not cancelled, declined by neither side."""
    emails = matching.person_emails(person) | {owner}
    return [
        inst.start for s in series if s.status != "CANCELLED" for inst in s.instances
        if inst.status != "CANCELLED" and not any(
            a.email in emails and a.partstat.upper() == "DECLINED" for a in inst.attendees)
    ]


def _on_calendar(start: dt.datetime, series: Iterable[Series]) -> bool:
    return any(inst.start == start and inst.status != "CANCELLED" and s.status != "CANCELLED"
               for s in series for inst in s.instances)


def _agenda(
    agendas: Mapping[tuple[str, dt.date], bool | None] | None, email: str, day: dt.date
) -> AgendaState:
    if agendas is None:
        return "unknown"
    written = agendas.get((email, day))
    if written is None:
        return "missing"
    return "written" if written else "empty"


def _has_live_series(series: Iterable[Series], now: dt.datetime) -> bool:
    """A recurring event with them that still has an occurrence ahead (or that cannot be
    expanded, so might)."""
    return any(s.rrule and (s.broken or any(i.start >= now for i in s.instances))
               for s in series)


def _away(people: Iterable[Person], today: dt.date) -> tuple[Away, ...]:
    """Pauses that cover today or start within the coming week."""
    soon = today + NEXT_WEEK
    return tuple(Away(p, pause, pause.end + _DAY) for p in people for pause in p.pauses
                 if pause.start <= soon and pause.end >= today)


def _strangers(
    roster: Roster, observed: Iterable[Series], since: dt.datetime
) -> tuple[Stranger, ...]:
    """The other person of each recurring two-person event that is nobody on the roster
    (active or not), with an occurrence since `since`."""
    known = {e for p in roster.people for e in matching.person_emails(p)}
    owner = roster.owner.email
    found: dict[str, Stranger] = {}
    for series in observed:
        other = matching.other_person(series, owner)
        if (other is None or other in known or not series.rrule
                or series.status == "CANCELLED"
                or not any(i.start >= since for i in series.instances)):
            continue
        name = next((a.name for a in series.attendees if a.email == other), "")
        found.setdefault(other, Stranger(other, name, series.summary))
    return tuple(found[email] for email in sorted(found))
