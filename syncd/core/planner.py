"""Roster + what the calendar holds + what syncd remembers + now → a Plan.

Pure: no I/O, no clock, no backend imports. The rules that keep users' trust
live here: syncd only acts on series it owns (created, or adopted from a
hand-made 1:1 that already follows the roster), never duplicates a 1:1 a person
made, and leaves instance edits (moved, cancelled) exactly as they are.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from syncd.core import agenda, cadence, classify, identity
from syncd.core.matching import marker_key, other_person, participants, series_by_person
from syncd.core.model import (
    Action,
    AdoptSeries,
    AttachNotes,
    Attendee,
    BookedMakeUp,
    BookMakeUp,
    CreateNotes,
    CreateSeries,
    EndSeries,
    Instance,
    MakeUpRequest,
    Memory,
    NotesDoc,
    OwnedSeries,
    Person,
    Plan,
    Roster,
    Series,
    SeriesPatch,
    SeriesSpec,
    SeriesStep,
    UpdateSeries,
)

# How far ahead two schedules are compared: covers both DST changes and a
# couple of quarterly occurrences.
HORIZON = dt.timedelta(days=400)
# What a reconcile reads: some history for context, the horizon ahead.
LOOKBACK = dt.timedelta(days=90)


def read_window(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The window of events the planner needs around `now`."""
    return now - LOOKBACK, now + HORIZON


def title(roster: Roster, person: Person) -> str:
    """The title syncd gives a 1:1 series it creates (neutral: guests see it)."""
    return f"1:1 {person.name} / {roster.owner.name}"


def agenda_title(roster: Roster, person: Person) -> str:
    """The heading of a dated agenda section in a person's notes."""
    return f"1:1 with {person.name}"


def is_live(series: Series, now: dt.datetime) -> bool:
    """True when the series still has occurrences after `now` (an UNTIL in the past ends it)."""
    if series.status == "CANCELLED":
        return False
    return bool(cadence.expand(series.rrule, series.start, now, now + HORIZON)) if series.rrule \
        else series.start >= now


def anchor_for(person: Person, series: Series | None, today: dt.date) -> dt.date:
    """The date a cadence phase counts from: roster `start`, else the series, else today."""
    if person.start is not None:
        return person.start
    if series is not None:
        return series.start.date()
    return today


def desired_starts(
    person: Person, tz: str, anchor: dt.date, now: dt.datetime
) -> list[dt.datetime]:
    """The roster's occurrences for a person over the horizon (pauses included: they are the
    same series, only classified differently)."""
    first = cadence.first_start(person, anchor, tz)
    rule = cadence.rrule_text(person.cadence, person.fixed_slot)
    return cadence.expand(rule, first, now, now + HORIZON)


def follows_roster(series: Series, person: Person, tz: str, now: dt.datetime) -> bool:
    """True when the series' rule gives exactly the roster's starts over the horizon."""
    if not series.rrule:
        return False
    # From the series' own start when that is still ahead: slots before it were never its
    # to hold (a replacement that starts next week, seen by a clock that stepped back).
    since = max(now, series.start)
    wanted = desired_starts(person, tz, anchor_for(person, series, now.date()), since)
    actual = cadence.expand(series.rrule, series.start, since, since + HORIZON)
    if len(wanted) != len(actual):
        return False
    # The same wall times in the same zone and fold are the same instants (a rule kept to
    # the roster, run after run): only else are they compared as instants.
    # (`==` of two times in one zone compares wall times.)
    if all(w.tzinfo is a.tzinfo and w.fold == a.fold and w == a
           for w, a in zip(wanted, actual, strict=True)):
        return True
    return [w.astimezone(dt.UTC) for w in wanted] == [a.astimezone(dt.UTC) for a in actual]


def written_of(series: Series) -> identity.Written:
    """The identity of a series as the calendar shows it now."""
    return identity.written(participants(series), series.summary, series.start,
                            series.timezone, series.rrule)


def written_of_spec(spec: SeriesSpec) -> identity.Written:
    """The identity of the series syncd writes from `spec`."""
    return identity.written((spec.organizer.email, spec.attendee.email), spec.summary,
                            spec.start, spec.timezone, spec.rrule)


@dataclass(frozen=True)
class _Ownership:
    """A person's series that carry syncd's marker or are in state, sorted by what they are."""

    owned: list[tuple[int, Series]]  # (generation, series): proven syncd's
    copies: list[tuple[Series, str]]  # a marker on a foreign UID → the genuine series' uid
    foreign: list[tuple[Series, str]]  # known UID, no longer what syncd wrote → why


@dataclass(frozen=True)
class _Index:
    """Observed series looked up the ways the planner needs (no linear scans per person)."""

    by_uid: Mapping[str, Series]
    by_key: Mapping[str, list[tuple[int, Series]]]  # person key → (generation, series) via marker
    by_pair: Mapping[str, list[Series]]  # other person's email → unowned recurring 1:1s with owner


def _index(observed: Iterable[Series], owner: str, owned_uids: set[str]) -> _Index:
    by_uid: dict[str, Series] = {}
    by_key: dict[str, list[tuple[int, Series]]] = defaultdict(list)
    by_pair: dict[str, list[Series]] = defaultdict(list)
    for series in observed:
        by_uid[series.uid] = series
        parsed = identity.parse_marker(series.marker) if series.marker else None
        if parsed is not None:
            by_key[parsed[0]].append((parsed[1], series))
            continue
        if series.uid in owned_uids or not series.rrule:
            continue
        other = other_person(series, owner)
        if other is not None:
            by_pair[other].append(series)
    return _Index(by_uid, by_key, by_pair)


class _Planner:
    """Builds one plan; an object only to share inputs between the per-person steps."""

    def __init__(
        self, roster: Roster, observed: tuple[Series, ...] | None,
        notes: Mapping[str, NotesDoc] | None, memory: Memory, now: dt.datetime,
        roster_lines: Mapping[str, str], makeups: Sequence[MakeUpRequest] = (),
        prepared: Mapping[str, classify.Prepared] | None = None,
    ) -> None:
        self.roster = roster
        self.prepared = prepared or {}
        self.makeups: dict[str, list[MakeUpRequest]] = defaultdict(list)
        for request in makeups:
            self.makeups[request.person].append(request)
        self.roster_lines = roster_lines
        self.observed = observed
        self.notes = notes
        self.memory = memory
        self.now = now
        self.tz = roster.timezone
        self.zone = ZoneInfo(roster.timezone)
        self.today = now.astimezone(self.zone).date()
        self.owner = roster.owner.email
        self.rows: dict[str, list[OwnedSeries]] = defaultdict(list)
        for row in memory.series:
            self.rows[row.person].append(row)
        self.origins = {row.uid: row.origin for row in memory.series}
        self.index = _index(observed or (), self.owner, set(self.origins))
        # The one rule for "this is the person's 1:1", shared with classification and status.
        self.matches = series_by_person(roster.people, self.owner, observed or ())
        self.written: list[tuple[str, str]] = []
        self.one_offs = frozenset(s.uid for s in observed or () if not s.rrule)
        self.actions: list[Action] = []
        self.warnings: list[str] = []
        self.info: list[str] = []
        # Each a rule expansion over the horizon, asked several times per series by the
        # steps below: computed once per series (and person).
        self._live: dict[tuple[str, str, dt.datetime], bool] = {}
        self._follows: dict[tuple[str, str, dt.datetime, str], bool] = {}
        self._ownership: dict[str, _Ownership] = {}  # by email: asked by several steps

    def is_live(self, series: Series) -> bool:
        """`is_live(series, now)`, remembered for the run."""
        key = (series.status, series.rrule, series.start)
        if key not in self._live:
            self._live[key] = is_live(series, self.now)
        return self._live[key]

    def follows_roster(self, series: Series, person: Person) -> bool:
        """`follows_roster(series, person, tz, now)`, remembered for the run."""
        key = (series.uid, series.rrule, series.start, person.email)
        if key not in self._follows:
            self._follows[key] = follows_roster(series, person, self.tz, self.now)
        return self._follows[key]

    # --- ownership ---------------------------------------------------------

    def ownership(self, person: Person) -> _Ownership:
        """`_ownership_of(person)`, remembered for the run (it depends only on what the
        planner was given)."""
        if person.email not in self._ownership:
            self._ownership[person.email] = self._ownership_of(person)
        return self._ownership[person.email]

    def _ownership_of(self, person: Person) -> _Ownership:
        """The person's series that are syncd's, copies of them, and ones no longer syncd's.

        A series is syncd's only when its UID, its marker and what syncd recorded at write
        time agree: the marker's generation held by that UID in state (or, with no row for
        it, by the UID syncd gives what it creates, when that is on the calendar); and not
        people, title and slot all changed since syncd wrote it. With no state at all the
        marker alone decides, so lost state is recovered without duplicates.
        """
        key = identity.person_key(person.email)
        rows = self.rows.get(person.email, [])
        holder = {row.generation: row.uid for row in rows}
        owned: list[tuple[int, Series]] = []
        copies: list[tuple[Series, str]] = []
        foreign: list[tuple[Series, str]] = []
        for gen, series in self.index.by_key.get(key, []):
            genuine = holder.get(gen)
            if genuine is None:
                made = identity.series_uid(person.email, gen)
                genuine = made if made in self.index.by_uid else None
            if genuine is not None and genuine != series.uid:
                copies.append((series, genuine))
                continue
            why = self.not_as_written(series)
            if why:
                foreign.append((series, why))
            else:
                owned.append((gen, series))
        seen = {s.uid for _, s in owned} | {s.uid for s, _ in copies + foreign}
        for row in rows:
            known = self.index.by_uid.get(row.uid)
            if known is not None and row.status != "deleted" and row.uid not in seen:
                foreign.append((known, "it no longer carries syncd's marker"))
        owned.sort(key=lambda pair: pair[0])
        return _Ownership(owned, copies, foreign)

    def owned(self, person: Person) -> list[tuple[int, Series]]:
        """(generation, series) of every observed series syncd owns for the person."""
        return self.ownership(person).owned

    def recorded(self, series: Series) -> identity.Written | None:
        """What syncd wrote on the series, when state remembers it."""
        return identity.Written.parse(self.memory.written.get(series.uid, ""))

    def not_as_written(self, series: Series) -> str:
        """Why the series is no longer the one syncd wrote, or "" while it still is."""
        recorded = self.recorded(series)
        if recorded is None or len(recorded.changed(written_of(series))) < 3:
            return ""
        return "its people, title and time all changed"

    def next_generation(self, person: Person) -> int:
        gens = [row.generation for row in self.rows.get(person.email, [])]
        gens += [gen for gen, _ in self.index.by_key.get(identity.person_key(person.email), [])]
        return max(gens, default=0) + 1

    def origin(self, series: Series) -> Literal["created", "adopted"]:
        """How syncd came to own a series: state says, else its UID does."""
        if series.uid in self.origins:
            return self.origins[series.uid]
        return "created" if identity.created_by_syncd(series.uid, series.marker) else "adopted"

    def recovered(self) -> tuple[OwnedSeries, ...]:
        """Owned series (by marker) of roster people that state has no row for."""
        found = []
        for person in self.roster.people:
            for gen, series in self.owned(person):
                if series.uid not in self.origins:
                    found.append(OwnedSeries(
                        series.uid, person.email, gen, self.origin(series),
                        "active" if self.is_live(series) else "ended"))
                    self.written.append((series.uid, written_of(series).text()))
        return tuple(found)

    def suspicious(self) -> str:
        """Why the read looks incomplete: syncd's live series all gone at once (an emptied
        folder, an unmounted share, a feed that answered an empty calendar), else ""."""
        if self.observed is None:
            return ""
        active = [row for row in self.memory.series if row.status == "active"]
        # Series syncd ended after meetings a person rearranged may still run: an empty read
        # must not pass for their end either.
        people = {p.email for p in self.roster.people if p.active}
        known = active + [row for row in self.memory.series
                          if row.status == "ended" and row.person in people]
        if not known or any(row.uid in self.index.by_uid for row in known):
            return ""
        if len(active) < 2 and self.observed:
            return ""  # one series a person deleted from a calendar that still holds others
        return (f"the calendar read {len(self.observed)} events and none of the {len(known)} "
                "series syncd kept there last run; nothing written (an unmounted folder or a "
                "feed caught half-way looks like this): check the calendar, and run again "
                "with --force if they were really deleted")

    # --- plan steps ----------------------------------------------------------

    def run(self) -> Plan:
        live_owned = 0
        broken = self.broken_people()
        for person in self.roster.people:
            if person.active and person.queued:
                continue  # no series yet: the rollout queue, or no slot chosen (placement.py)
            if person.email in broken:
                self.warnings.append(
                    f"{person.email}: event {broken[person.email]} could not be read; "
                    "nothing planned for this person")
                continue
            live = self.live_owned(person)
            live_owned += int(bool(live) or any(
                r.status == "active" for r in self.rows.get(person.email, [])))
            if not person.active:
                winding = self.winding_down(person) if self.observed is not None else None
                for series in [s for _, s in live] + ([winding] if winding else []):
                    if self.writable(series):
                        self.end(person, series, "retired (active: false)")
                    else:
                        self.warnings.append(
                            f"{person.email}: '{series.summary}' ({series.uid}) is organized "
                            f"by {series.organizer}; left as it is (only they may end it)")
                continue
            # The cadence phase that applies today decides the series (`then:`).
            switch = cadence.switch_day(person)
            current = self.keep_or_replace(
                cadence.in_effect(person, self.today), live,
                switched=switch is not None and self.today >= switch,
            ) if self.observed is not None else None
            self.plan_notes(person, current)
        if self.observed is not None:
            self.warn_strangers({p.email for p in self.roster.people})
        recovered = self.recovered()
        return Plan(
            actions=tuple(self.actions), warnings=tuple(self.warnings),
            owned_series=live_owned, info=tuple(self.info), recovered=recovered,
            written=tuple(dict(self.written).items()), suspicious=self.suspicious(),
            makeups_found=self.makeups_found(),
        )

    def makeups_found(self) -> tuple[BookedMakeUp, ...]:
        """Make-ups syncd booked for roster people that the calendar shows and state lacks."""
        known = {m.uid for m in self.memory.makeups}
        people = {identity.person_key(p.email): p.email for p in self.roster.people}
        found = []
        for series in self.observed or ():
            parsed = identity.parse_makeup_marker(series.marker) if series.marker else None
            if (parsed is None or parsed[0] not in people or series.uid in known
                    or identity.parse_makeup_uid(series.uid) is None):
                continue
            found.append(BookedMakeUp(series.uid, people[parsed[0]], parsed[1], series.start))
        return tuple(found)

    def broken_people(self) -> dict[str, str]:
        """Roster people involved in an event whose instances could not be computed → its uid."""
        keys = {identity.person_key(p.email): p.email for p in self.roster.people}
        out: dict[str, str] = {}
        for series in self.observed or ():
            if not series.broken:
                continue
            key = marker_key(series)
            involved = set(participants(series))
            if key in keys:
                involved.add(keys[key])
            for email in involved:
                out.setdefault(email, series.uid)
        return out

    def live_owned(self, person: Person) -> list[tuple[int, Series]]:
        """The person's owned series that still have occurrences ahead, oldest generation first.

        One syncd ended stays ended even when a clock that stepped back sees occurrences
        ahead of it again: it is history, not a second live series."""
        ended = {r.uid for r in self.rows.get(person.email, []) if r.status == "ended"}
        return [(g, s) for g, s in self.owned(person)
                if self.is_live(s) and not (s.uid in ended and "UNTIL=" in s.rrule)]

    def keep_or_replace(
        self, person: Person, live: list[tuple[int, Series]], switched: bool = False
    ) -> tuple[str, Series | None] | None:
        """Decide the person's series; returns (uid, observed series or None if new) or None."""
        found = self.ownership(person)
        for copy, genuine in found.copies:
            if self.is_live(copy):
                self.warnings.append(
                    f"{person.email}: '{copy.summary}' ({copy.uid}) is a copy of syncd's 1:1 "
                    f"series {genuine} (its marker came along); syncd never changes it: "
                    "delete the copy unless you want two meetings")
        foreign = [(s, why) for s, why in found.foreign if self.is_live(s)]
        for series, why in foreign:
            self.warnings.append(
                f"{person.email}: event {series.uid} ('{series.summary}') is no longer the 1:1 "
                f"syncd wrote ({why}); left alone as yours")
        if len(live) > 1:
            self.warnings.append(
                f"{person.email}: {len(live)} live series carry syncd's marker; keeping "
                f"{live[-1][1].uid}, leaving the others alone"
            )
        if live:
            series = live[-1][1]
            if not self.writable(series):
                return self.leave(person, series)
            if self.follows_roster(series, person):
                self.update(person, series)
                self.report_edits(person, series)
                return series.uid, series
            if self.moved_by_hand(series):
                self.warn_moved(person, series)
                self.update(person, series)
                self.report_edits(person, series)
                return series.uid, series
            edited = [i.recurrence_id for i in series.instances if i.recurrence_id > self.now
                      and (i.status == "CANCELLED" or i.moved)]
            edited += [d for d in series.exdates if d > self.now]
            if edited:
                # The person rearranged meetings ahead: they stay exactly as made, on a series
                # that now ends after the last of them; the new slot starts once they passed.
                self.end(person, series, "the roster's cadence or slot changed; it ends after "
                         "the meetings rearranged on it", until=max(edited))
                self.report_edits(person, series)
                return series.uid, series
            if switched:
                # The roster scheduled this (`then:`): not counted as a suspicious change.
                self.end(person, series, "its first cadence phase is over", planned=True)
                return self.create(person, replaces="", reason=f"{person.cadence.text} from "
                                   f"{person.start}, the roster's next cadence phase"), None
            self.end(person, series, "the roster's cadence or slot changed")
            return self.create(person, replaces="", reason="new cadence or slot"), None
        winding = self.winding_down(person)
        if winding is not None:
            self.info.append(
                f"{person.email}: the roster's new slot starts after "
                f"{_when(_last_start(winding, self.now))}, once the meetings rearranged on "
                f"'{winding.summary}' have passed")
            return winding.uid, winding
        handmade = [s for s in self.matches.get(person.email, [])
                    if marker_key(s) is None and s.rrule and self.is_live(s)]
        if handmade:
            return self.adopt(person, handmade)
        foreign_uids = {s.uid for s, _ in foreign}
        gone = [r for r in self.rows.get(person.email, [])
                if r.status == "active" and (r.uid not in self.index.by_uid
                                             or r.uid in foreign_uids)]
        if gone:
            what = ("no longer holds the 1:1" if gone[-1].uid in foreign_uids
                    else "was deleted from the calendar")
            self.warnings.append(
                f"{person.email}: the 1:1 series {gone[-1].uid} {what}; "
                "recreating it (set active: false in the roster to stop a 1:1)"
            )
            uid = self.create(person, replaces=gone[-1].uid, reason="recreated after deletion")
            return uid, None
        return self.create(person, replaces="", reason="new"), None

    def handover(self, person: Person) -> dt.datetime:
        """Where a new series may start: now, or where the series syncd ended after meetings a
        person rearranged would have met next, so none lands in a period they arranged."""
        ended = {r.uid for r in self.rows.get(person.email, []) if r.status == "ended"}
        latest = self.now
        for _, series in self.owned(person):
            if series.uid not in ended or "UNTIL=" not in series.rrule.upper():
                continue
            lo, hi = self.now - LOOKBACK, self.now + HORIZON
            held = cadence.expand(series.rrule, series.start, lo, hi)
            open_rule = ";".join(p for p in series.rrule.split(";")
                                 if not p.upper().startswith("UNTIL="))
            after = [s for s in cadence.expand(open_rule, series.start, lo, hi)
                     if held and s > held[-1]]
            if after and after[0] > latest:
                latest = after[0]
        return latest

    def winding_down(self, person: Person) -> Series | None:
        """A series syncd ended after meetings a person rearranged on it, still ahead: its
        replacement waits for it (only when no other owned series is live)."""
        ended = {r.uid for r in self.rows.get(person.email, []) if r.status == "ended"}
        for _, series in reversed(self.owned(person)):
            if series.uid in ended and self.is_live(series):
                return series
        return None

    def writable(self, series: Series) -> bool:
        """Whether syncd may change the series' shared fields: only when the lead organizes it
        (a series someone else organizes is theirs; Google refuses an attendee's change)."""
        return not series.organizer or series.organizer == self.owner

    def leave(self, person: Person, series: Series) -> tuple[str, Series]:
        """Keep a series someone else organizes as the person's 1:1, changing nothing on it."""
        length = ""
        if series.duration != person.duration:
            length = (f"; it lasts {_minutes(series.duration)} min, the roster says "
                      f"{_minutes(person.duration)}")
        if not self.follows_roster(series, person):
            length += f"; its dates differ from the roster's {person.cadence.text} {_slot(person)}"
        self.warnings.append(
            f"{person.email}: '{series.summary}' ({series.uid}) is organized by "
            f"{series.organizer}; kept as your 1:1 and not changed (only its organizer may)"
            f"{length}")
        self.report_edits(person, series)
        return series.uid, series

    def moved_by_hand(self, series: Series) -> bool:
        """True when the series' slot is no longer the one syncd wrote: a person moved it."""
        recorded = self.recorded(series)
        return recorded is not None and "slot" in recorded.changed(written_of(series))

    def warn_moved(self, person: Person, series: Series) -> None:
        where = self.roster_lines.get(person.email, f"the roster entry for {person.email}")
        local = series.start.astimezone(self.zone)
        self.warnings.append(
            f"{person.email}: the series '{series.summary}' was moved by hand (now "
            f"{local.strftime('%a %H:%M')}, {series.rrule}); kept, but the roster still says "
            f"{person.cadence.text} at {_slot(person)}: change the slot at {where} to match, "
            "or move the series back")

    def adopt(self, person: Person, handmade: list[Series]) -> tuple[str, Series | None] | None:
        matching = [s for s in handmade if self.follows_roster(s, person)]
        theirs = [s for s in matching or handmade if not self.writable(s)]
        if theirs:
            # One the other person organizes is their 1:1 as it is, on the roster's slot or not.
            return self.leave(person, theirs[0])
        if len(matching) == 1:
            series = matching[0]
            gen = self.next_generation(person)
            # The roster's duration is set in the same write: left for the next run (as
            # `update` would do for an owned series), this run would not have converged.
            duration = person.duration if series.duration != person.duration else None
            length = f", set to {_minutes(duration)} min" if duration is not None else ""
            self.actions.append(AdoptSeries(
                person.email,
                f"adopt hand-made '{series.summary}' ({person.cadence.text}{length})",
                series_uid=series.uid, etag=series.etag, generation=gen,
                patch=SeriesPatch(marker=identity.marker(person.email, gen), duration=duration),
                written=written_of(series).text(),
            ))
            self.report_edits(person, series)
            return series.uid, series
        names = ", ".join(f"'{s.summary}' ({s.uid})" for s in handmade)
        why = ("several of them follow the roster" if matching
               else f"it does not follow the roster's {person.cadence.text} slot")
        self.warnings.append(
            f"{person.email}: hand-made 1:1 series {names} left alone and no new series created: "
            f"{why}; align the roster or the event"
        )
        return None

    def create(self, person: Person, *, replaces: str, reason: str) -> str:
        gen = self.next_generation(person)
        spec = desired_spec(self.roster, person, self.handover(person), gen)
        self.actions.append(CreateSeries(
            person.email,
            f"create {person.cadence.text} series from {_when(spec.start)} ({reason})",
            series_uid=spec.uid, spec=spec, replaces=replaces,
            generation=gen, written=written_of_spec(spec).text(),
        ))
        return spec.uid

    def update(self, person: Person, series: Series) -> None:
        """Set what the roster states on an owned series: its duration, and the title of one
        syncd created while nobody retitled it. A person's title is kept."""
        summary = title(self.roster, person)
        current = written_of(series)
        recorded = self.recorded(series)
        retitle = (self.origin(series) == "created" and series.summary != summary
                   and (recorded is None or recorded.title == current.title))
        patch = SeriesPatch(
            summary=summary if retitle else None,
            duration=person.duration if series.duration != person.duration else None,
        )
        # What syncd wrote; the slot becomes the series' own once the roster follows a
        # person's move, and stays the recorded one while it does not (still their move).
        agreed = recorded is None or self.follows_roster(series, person)
        after = identity.Written(
            recorded.people if recorded else current.people,
            identity.title_of(summary) if retitle
            else recorded.title if recorded else current.title,
            current.slot if agreed or recorded is None else recorded.slot)
        if patch == SeriesPatch():
            if recorded is None or recorded.slot != after.slot:
                self.written.append((series.uid, after.text()))
            return
        what = " and ".join(
            part for part, changed in (("title", patch.summary), ("duration", patch.duration))
            if changed is not None)
        self.actions.append(UpdateSeries(
            person.email, f"update {what} of '{series.summary}'",
            series_uid=series.uid, etag=series.etag, patch=patch, written=after.text(),
        ))

    def end(self, person: Person, series: Series, reason: str,
            until: dt.datetime | None = None, planned: bool = False) -> None:
        last = until or self.now
        self.actions.append(EndSeries(
            person.email,
            f"end '{series.summary}' after {_when(last)} ({reason})",
            series_uid=series.uid, etag=series.etag, until=last, planned=planned,
        ))

    def report_edits(self, person: Person, series: Series) -> None:
        """Upcoming instance edits a person made: shown, never reverted."""
        for inst in series.instances:
            if inst.recurrence_id < self.now:
                continue
            if inst.status == "CANCELLED":
                self.info.append(f"{person.email}: {_when(inst.recurrence_id)} is cancelled "
                                 "(left as made)")
            elif inst.moved:
                self.info.append(f"{person.email}: {_when(inst.recurrence_id)} moved to "
                                 f"{_when(inst.start)} (left as made)")

    def plan_notes(self, person: Person, current: tuple[str, Series | None] | None) -> None:
        if self.notes is None:
            return
        doc = self.notes.get(person.email)
        if doc is None or doc.blank:  # blank: made by a run that stopped before filling it
            self.actions.append(CreateNotes(person.email, "create private notes"))
        if current is not None:
            uid, series = current
            url = doc.url if doc is not None else ""
            if (series is None or not url or series.notes_url != url) and (
                    series is None or self.writable(series) or series.private_props):
                self.actions.append(AttachNotes(
                    # The uid is in --json; a person reads which series from the line above.
                    person.email, "attach notes link to the 1:1 series",
                    series_uid=uid, etag=series.etag if series is not None else "",
                ))
        if self.observed is None:
            return  # where the meetings are is unknown: no agenda is written or marked
        self.book_makeups(person)
        series = current[1] if current else None
        start = self.now - dt.timedelta(days=cadence.interval_days(person.cadence))
        # The calendar as this plan leaves it: a series it ends no longer holds the
        # meetings, one it creates does (else the next run would move the agenda).
        ends = {a.series_uid: a.until for a in self.actions
                if isinstance(a, EndSeries) and a.person == person.email}
        mine = [_ended_at(s, ends[s.uid]) if s.uid in ends else s
                for s in self.matches.get(person.email, [])]
        made = [a.spec for a in self.actions
                if isinstance(a, CreateSeries | BookMakeUp) and a.person == person.email]
        mine += [_as_series(spec, start, self.now + HORIZON) for spec in made]
        events = self.prepared.get(person.email)
        if events is None or events.owner != self.owner or not events.holds(mine):
            events = classify.prepare(person, self.owner, mine)
        occurrences = classify.classify_prepared(
            events, person, self.tz, start, self.now + HORIZON, self.now,
            anchor_for(person, series, self.today))
        self.actions += agenda.plan(person, occurrences, doc, self.now, self.zone,
                                    self.one_offs | {s.uid for s in made if not s.rrule})

    def book_makeups(self, person: Person) -> None:
        """Book the make-ups asked for `person`, unless one for that slot is on the calendar
        already (a re-run, or a run after a crash, books nothing twice)."""
        for request in self.makeups.get(person.email, []):
            marker = identity.makeup_marker(person.email, request.expected)
            if any(s.marker == marker and s.status != "CANCELLED" and not s.rrule
                   for s in self.observed or ()):
                continue
            before = [identity.parse_makeup_uid(m.uid) for m in self.memory.makeups
                      if m.person == person.email and m.expected == request.expected]
            booking = 1 + max((b[1] for b in before if b is not None), default=0)
            spec = makeup_spec(self.roster, person, request, booking)
            self.actions.append(BookMakeUp(
                person.email,
                f"book a make-up on {_when(request.start.astimezone(self.zone))} for "
                f"{_when(request.expected.astimezone(self.zone))}",
                series_uid=spec.uid, spec=spec, makeup=BookedMakeUp(
                    spec.uid, person.email, request.expected, request.start)))

    def warn_strangers(self, roster_emails: set[str]) -> None:
        for other, found in sorted(self.index.by_pair.items()):
            if other in roster_emails:
                continue
            for series in found:
                if self.is_live(series):
                    self.warnings.append(
                        f"{other}: recurring 1:1 '{series.summary}' is with someone not on the "
                        "roster (left alone)"
                    )
        for email, rows in sorted(self.rows.items()):
            live = [r for r in rows if r.status == "active" and r.uid in self.index.by_uid]
            if email not in roster_emails and live:
                self.warnings.append(
                    f"{email}: no longer on the roster; series {live[-1].uid} left as it is "
                    "(keep them with active: false to end it)"
                )


def desired_spec(roster: Roster, person: Person, now: dt.datetime, generation: int) -> SeriesSpec:
    """The series the roster asks for, starting at the person's next slot after `now`."""
    anchor = person.start or now.astimezone(ZoneInfo(roster.timezone)).date()
    starts = desired_starts(person, roster.timezone, anchor, now)
    first = starts[0] if starts else cadence.first_start(person, anchor, roster.timezone)
    return SeriesSpec(
        uid=identity.series_uid(person.email, generation),
        marker=identity.marker(person.email, generation), summary=title(roster, person),
        start=first, duration=person.duration, timezone=roster.timezone,
        rrule=cadence.rrule_text(person.cadence, person.fixed_slot),
        organizer=Attendee(roster.owner.email, roster.owner.name, "ACCEPTED"),
        attendee=Attendee(person.email, person.name, "NEEDS-ACTION"),
        description=(f"Recurring 1:1 ({person.cadence.text}), kept by syncd. Moving or "
                     "cancelling a single meeting is fine: syncd keeps your change."),
    )


def makeup_spec(roster: Roster, person: Person, request: MakeUpRequest,
                booking: int) -> SeriesSpec:
    """The one-off 1:1 that makes up `request.expected`, at `request.start`."""
    zone = ZoneInfo(roster.timezone)
    slot = request.expected.astimezone(zone)
    return SeriesSpec(
        uid=identity.makeup_uid(person.email, request.expected, booking),
        marker=identity.makeup_marker(person.email, request.expected),
        summary=title(roster, person), start=request.start.astimezone(zone),
        duration=person.duration, timezone=roster.timezone, rrule="",
        organizer=Attendee(roster.owner.email, roster.owner.name, "ACCEPTED"),
        attendee=Attendee(person.email, person.name, "NEEDS-ACTION"),
        description=f"Make-up for the 1:1 of {slot:%a %Y-%m-%d %H:%M}, booked by syncd.",
    )


def _last_start(series: Series, now: dt.datetime) -> dt.datetime:
    starts = cadence.expand(series.rrule, series.start, now, now + HORIZON)
    return starts[-1] if starts else now


def _slot(person: Person) -> str:
    slot = person.fixed_slot
    day = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[slot.day]
    return f"{day} {slot.time.strftime('%H:%M')}"


def _ended_at(series: Series, until: dt.datetime | None) -> Series:
    """`series` as its end action leaves it: the meetings up to `until` (inclusive, as
    RRULE UNTIL is) stay on the calendar, the later ones go."""
    if until is None:
        return series
    return dataclasses.replace(series, instances=tuple(
        i for i in series.instances if i.recurrence_id <= until))


def _as_series(spec: SeriesSpec, start: dt.datetime, end: dt.datetime) -> Series:
    """The series a create action writes, as a read of the calendar would show it."""
    starts = cadence.expand(spec.rrule, spec.start, start, end) if spec.rrule \
        else [spec.start] if start <= spec.start < end else []
    return Series(
        uid=spec.uid, summary=spec.summary, start=spec.start, end=spec.start + spec.duration,
        timezone=spec.timezone, rrule=spec.rrule, attendees=(spec.organizer, spec.attendee),
        organizer=spec.organizer.email, marker=spec.marker,
        instances=tuple(Instance(t, t, t + spec.duration) for t in starts))


def _minutes(duration: dt.timedelta) -> int:
    return int(duration.total_seconds() // 60)


def _when(moment: dt.datetime) -> str:
    return moment.strftime("%a %Y-%m-%d %H:%M %Z").strip()


def plan(
    roster: Roster,
    observed: tuple[Series, ...] | None,
    notes: Mapping[str, NotesDoc] | None,
    memory: Memory,
    now: dt.datetime,
    roster_lines: Mapping[str, str] | None = None,
    makeups: Sequence[MakeUpRequest] = (),
    prepared: Mapping[str, classify.Prepared] | None = None,
) -> Plan:
    """Compute the plan. `observed` None means the calendar could not be read completely:
    then no calendar action is planned at all. `notes` None likewise for notes.
    `roster_lines`: email → where that person's slot is in the config, for messages.
    `makeups`: one-off make-ups to book (each only once: one on the calendar for the same
    slot already is left as it is). `prepared`: people's events as `observe.prepare_roster`
    gave them for `observed`, when the caller classifies them too (a person's are used
    where the plan leaves their events as read; the same plan, less work)."""
    return _Planner(roster, observed, notes, memory, now, roster_lines or {}, makeups,
                    prepared).run()


def events_written(plan: Plan) -> int:
    """How many distinct events the plan writes (create + attach on one series counts once)."""
    return len({a.series_uid for a in plan.actions if isinstance(a, SeriesStep)})


def refusal(plan: Plan, max_changes: int) -> str | None:
    """Why the safety limit refuses this plan, or None when it may be applied."""
    if plan.suspicious:
        return plan.suspicious
    written = events_written(plan)
    if written > max_changes:
        return (f"the plan writes {written} events, more than max_changes ({max_changes}); "
                "check it with --dry-run and run again with --force")
    # Ends and recreations both replace what a person had: count each person once.
    ended = len({a.person for a in plan.actions
                 if (isinstance(a, EndSeries) and not a.planned)
                 or (isinstance(a, CreateSeries) and a.replaces)})
    if plan.owned_series and ended * 2 > plan.owned_series:
        return (f"the plan ends or recreates {ended} of {plan.owned_series} series, more than "
                "half; check it with --dry-run and run again with --force")
    return None
