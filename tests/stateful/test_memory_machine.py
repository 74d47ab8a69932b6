"""Plan + apply in-process on the in-memory calendar and notes, under arbitrary sequences of
roster changes, a person's calendar and notes edits, failing reads and writes, crashes
between a write and its state commit, and reconcile runs.

The same rules as the CLI-driven machines (which stay, for soak runs on real files and
the emulator), at the speed of a dict: the `ci` profile runs in seconds, `SYNCD_SOAK=1`
runs the 200 x 30 `memory-soak` profile (see conftest.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from pathlib import Path

import icalendar
from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule

from syncd import makeup
from syncd import state as state_module
from syncd.calendars import resource
from syncd.calendars.base import CalendarError
from syncd.config import Config, load_config
from syncd.core import cadence, identity, matching, placement, planner
from syncd.core.model import Series, SeriesPatch, SeriesSpec
from syncd.reconcile import Result, reconcile
from syncd.state import State
from syncd.suggest import UnknownPerson
from tests.memory import MemoryCalendar, MemoryNotes, uids
from tests.stateful import roster as R
from tests.stateful.conftest import memory_profile
from tests.stateful.machine import ZONE_INFO, RosterMachine
from tests.workspace import DEMO


class Crash(BaseException):
    """The process dies right after a write (not an Exception: nothing may catch it)."""


class FaultyCalendar(MemoryCalendar):
    """The memory calendar whose k-th write fails, or succeeds and then the process dies."""

    def __init__(self) -> None:
        super().__init__(R.ZONE)
        self.fail_at = 0
        self.crash = False

    def _write(self) -> None:
        if self.fail_at and self.writes + 1 == self.fail_at and not self.crash:
            self.fail_at = 0
            raise CalendarError(f"{self.name}: write failed")

    def _after(self) -> None:
        if self.fail_at and self.writes == self.fail_at and self.crash:
            self.fail_at = 0
            raise Crash

    def create(self, spec: SeriesSpec) -> str:
        self._write()
        etag = super().create(spec)
        self._after()
        return etag

    def patch(self, uid: str, patch: SeriesPatch, etag: str) -> str:
        self._write()
        new = super().patch(uid, patch, etag)
        self._after()
        return new


def memory_state() -> State:
    """A State on an in-memory SQLite database (same schema and code as on disk)."""
    conn = state_module._connect(":memory:", uri=False)
    state_module._migrate(conn, Path(":memory:"))
    return State(conn, read_only=False)


def _overrides(raw: bytes) -> dict[str, bytes]:
    calendar = resource.parse(raw)
    return {c.decoded("RECURRENCE-ID").astimezone(dt.UTC).isoformat(): c.to_ical()
            for c in calendar.walk("VEVENT") if "RECURRENCE-ID" in c}


class MemoryMachine(RosterMachine):
    """The lead's roster and edits, a person's edits, faults, and in-process reconciles."""

    def __init__(self) -> None:
        super().__init__()
        self.cal = FaultyCalendar()
        for path in sorted((DEMO / "calendar").glob("*.ics")):
            (uid,) = uids(path.read_bytes())
            self.cal.put(uid, path.read_bytes())
        self.notes_store = MemoryNotes()
        self.state = memory_state()
        self.edits: dict[str, dict[str, bytes]] = {}  # uid → a person's overrides
        self.deleted: set[str] = set()  # uids the person deleted
        self.handmade = 0
        self.rollout: int | None = None  # rollout: max_new_per_week, once a rule set it
        self._config: Config | None = None
        self.write_config()

    def teardown(self) -> None:
        self.state.close()
        super().teardown()

    def backends(self) -> dict[str, str]:
        # Named only to make a valid config: reconcile is handed the memory backends.
        rollout = (f"rollout: {{max_new_per_week: {self.rollout}}}\n"
                   if self.rollout is not None else "")
        return {"calendar": "{kind: local, path: unused}",
                "notes": "{kind: markdown, path: unused}", "extra": rollout}

    def write_config(self) -> None:
        super().write_config()
        self._config = None

    def config_now(self) -> Config:
        """The config as syncd loads it, loaded again only after the roster changed."""
        if self._config is None:
            self._config = load_config(self.config)
        return self._config

    # --- the world -----------------------------------------------------------------

    def series(self) -> tuple[Series, ...]:
        return self.cal.read(*planner.read_window(self.now))

    def read_calendar(self) -> tuple[Series, ...]:
        return self.series()

    def live_owned(self, email: str, calendar: tuple[Series, ...] | None = None
                   ) -> list[Series]:
        """The person's live series syncd owns (its make-ups are not series)."""
        key = identity.person_key(email)
        return [s for s in (self.series() if calendar is None else calendar)
                if (identity.parse_marker(s.marker) or ("",))[0] == key
                and planner.is_live(s, self.now)]

    def makeups(self, series: tuple[Series, ...] | None = None) -> list[Series]:
        """Every one-off make-up syncd booked."""
        return [s for s in (self.series() if series is None else series)
                if identity.parse_makeup_marker(s.marker)]

    def run(self, *, dry_run: bool = False) -> Result:
        return reconcile(self.config_now(), self.state, self.now, dry_run=dry_run, force=True,
                         calendar=self.cal, notes=self.notes_store)

    # --- a person's calendar and notes ---------------------------------------------------

    def edit_instance(self, email: str, nth: int, *, shift: dt.timedelta = dt.timedelta(0),
                      status: str = "CONFIRMED", partstat: str = "ACCEPTED") -> None:
        """An override VEVENT in the series' resource, as a calendar app writes it."""
        owned = self.live_owned(email)
        if not owned:
            return
        series = owned[-1]
        edited = self.edits.get(series.uid, {})
        slots = [i.recurrence_id for i in series.instances if i.recurrence_id > self.now
                 and i.recurrence_id.astimezone(dt.UTC).isoformat() not in edited]
        if not slots:
            return
        local = slots[nth % len(slots)].astimezone(ZONE_INFO)
        calendar = resource.parse(self.cal.raw(series.uid))
        event = icalendar.Event()
        event.add("UID", series.uid)
        event.add("RECURRENCE-ID", local)
        event.add("DTSTART", local + shift)
        event.add("DTEND", local + shift + series.duration)
        event.add("DTSTAMP", dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
        event.add("SEQUENCE", 1)
        event.add("SUMMARY", series.summary)
        event.add("STATUS", status)
        event.add("ORGANIZER", f"mailto:{R.OWNER}")
        event.add("ATTENDEE", f"mailto:{R.OWNER}", parameters={"PARTSTAT": "ACCEPTED"})
        event.add("ATTENDEE", f"mailto:{email}", parameters={"PARTSTAT": partstat})
        calendar.add_component(event)
        self.cal.put(series.uid, calendar.to_ical())
        self.edits[series.uid] = _overrides(self.cal.raw(series.uid))

    @rule(email=R.emails)
    def delete_series(self, email: str) -> None:
        for series in self.live_owned(email):
            self.cal.delete(series.uid)
            self.deleted.add(series.uid)
            self.edits.pop(series.uid, None)
            self.titles.pop(series.uid, None)

    @rule(email=R.emails, words=st.sampled_from(["Room 4.2", "Ünïcödé ✓"]))
    def retitle_series(self, email: str, words: str) -> None:
        for series in self.live_owned(email)[-1:]:
            calendar = resource.parse(self.cal.raw(series.uid))
            for event in calendar.walk("VEVENT"):
                if "RECURRENCE-ID" not in event:
                    event.pop("SUMMARY", None)
                    event.add("SUMMARY", f"{words}: 1:1")
            self.cal.put(series.uid, calendar.to_ical())
            if not identity.created_by_syncd(series.uid, series.marker):
                self.titles[series.uid] = f"{words}: 1:1"

    @rule(email=R.emails, follows=st.booleans(), minutes=R.durations)
    def make_handmade_series(self, email: str, follows: bool, minutes: int) -> None:
        entry = self.roster.get(email, R.POOL[email])
        first = R.first_slot(entry) + (dt.timedelta(0) if follows else dt.timedelta(hours=1))
        self.handmade += 1
        uid, summary = f"handmade-{self.handmade}@example.com", f"{entry.name.split()[0]} & Dana"
        self.cal.put(uid, R.recurring_ics(uid, first, minutes, entry, summary,
                                          organizer=R.OWNER, people=(R.OWNER, email)))
        self.titles[uid] = summary

    @rule(count=st.integers(2, 4), limit=st.integers(1, 2))
    def add_new_hires_with_a_rollout(self, count: int, limit: int) -> None:
        """Several new people at once, `slot: auto`, staggered by `rollout:` (the first
        limit set stays: it applies to everyone new from then on)."""
        if self.rollout is None:
            self.rollout = limit
        for email in [e for e in R.NEW_HIRES if e not in self.roster][:count]:
            self.roster[email] = R.NEW_HIRES[email]
        self.write_config()

    @rule(email=R.emails)
    def write_notes(self, email: str) -> None:
        doc = self.notes_store.find(email, None)
        if doc is not None:
            line = f"- private: {email} said something ({len(self.notes_lines)})\n"
            self.notes_store.docs[doc.doc_id] += line
            self.notes_lines[doc.doc_id] = line

    # --- syncd ---------------------------------------------------------------------------

    @rule(email=R.emails, k=st.integers(0, 3), crash=st.booleans())
    def book_makeup(self, email: str, k: int, crash: bool) -> None:
        """`syncd makeup EMAIL --first-free`, its write possibly failing or dying (k > 0);
        then, once booked, the make-up takes no time that another owned event holds."""
        config = self.config_now()
        before = self.snapshot()
        try:
            choice = makeup.choose(config, self.state, email, self.now, None, anyway=False,
                                   calendar=self.cal)
        except (makeup.NotBooked, UnknownPerson):
            return
        if choice.request is None:
            return
        self.cal.fail_at, self.cal.crash = (self.cal.writes + k, crash) if k else (0, False)
        with contextlib.suppress(Crash):
            makeup.book(config, self.state, choice, self.now, dry_run=False, force=True,
                        calendar=self.cal, notes=self.notes_store)
        self.cal.fail_at = 0
        self.check_safe(before)
        again = makeup.choose(config, self.state, email, self.now, None, anyway=False,
                              calendar=self.cal)
        result = makeup.book(config, self.state, again, self.now, dry_run=False, force=True,
                             calendar=self.cal, notes=self.notes_store)
        assert result.exit_code == 0, (result.warnings, result.outcome)
        read = self.series()
        (booked,) = [s for s in self.makeups(read) if s.start == choice.request.start]
        assert booked.notes_url, "a make-up without its notes link"
        others = [(s.uid, i) for s in read if s.marker and s.uid != booked.uid
                  for i in s.instances if i.status != "CANCELLED"]
        clash = [uid for uid, i in others if i.start < booked.end and booked.start < i.end]
        assert clash == [], f"make-up {booked.uid} at the time of {clash}"

    @rule()
    def reconcile(self) -> None:
        before = self.snapshot()
        placed = self.state.placements()
        result = self.run()
        assert result.exit_code == 0, (result.warnings, result.outcome)
        self.check_safe(before)
        self.check_converged(list(result.warnings))
        self.check_chosen_slots_are_free(placed)

    @rule(k=st.integers(1, 6), crash=st.booleans())
    def reconcile_with_failing_write(self, k: int, crash: bool) -> None:
        """The k-th calendar write fails, or succeeds and the process dies; then a clean run."""
        before = self.snapshot()
        self.cal.fail_at, self.cal.crash = self.cal.writes + k, crash
        with contextlib.suppress(Crash):
            self.run()
        self.cal.fail_at = 0
        self.check_safe(before)
        self.reconcile()

    @rule(calendar=st.booleans())
    def reconcile_with_failing_read(self, calendar: bool) -> None:
        """The calendar (or the notes) cannot be read: nothing is written to the calendar."""
        before = self.snapshot()
        if calendar:
            self.cal.fail_reads = True
        else:
            self.notes_store.fail = True
        try:
            result = self.run()
        finally:
            self.cal.fail_reads = self.notes_store.fail = False
        # Notes are read only for active people: with none, there is nothing to fail.
        if calendar or any(e.active for e in self.roster.values()):
            assert result.exit_code == 1 and result.source_failed
        if calendar:
            assert self.cal.resources == before[0], "a failed read led to calendar writes"
        self.check_safe(before)

    # --- what must hold --------------------------------------------------------------------

    def snapshot(self) -> tuple[dict[str, tuple[bytes, str]], dict[str, str]]:
        return dict(self.cal.resources), dict(self.notes_store.docs)

    def check_safe(self, before: tuple[dict[str, tuple[bytes, str]], dict[str, str]]) -> None:
        """Nothing a person made lost or changed, never two live series for one person."""
        resources, docs = before
        after = self.cal.resources
        assert set(resources) <= set(after), f"deleted: {set(resources) - set(after)}"
        for uid, (raw, _) in resources.items():
            if after[uid][0] != raw:
                assert b"X-SYNCD-ID" in after[uid][0], f"{uid} changed but is not owned"
        for uid, overrides in self.edits.items():
            assert _overrides(after[uid][0]) == overrides, f"{uid}: a person's edit changed"
        for ident, text in docs.items():
            assert self.notes_store.docs[ident].startswith(text), f"{ident}: notes changed"
        for ident, line in self.notes_lines.items():
            assert line in self.notes_store.docs[ident], f"{ident}: the lead's line lost"
        self.check_one_live_series(self.series())

    def check_plans_nothing(self) -> None:
        again = self.run(dry_run=True)
        assert again.plan.actions == (), again.plan.actions

    def check_history(self) -> None:
        """Left to the CLI-driven machines: `syncd status` cannot reach the memory backends."""

    def queued(self, calendar: tuple[Series, ...]) -> set[str]:
        """Who the rollout (or a slot not chosen yet) holds back, as syncd decided."""
        roster = self.config_now().roster
        mine = matching.series_by_person(roster.people, roster.owner.email, calendar)
        resolved = placement.resolve(roster, self.state.placements(), mine, self.now)
        return {p.email for p in resolved.people if p.active and p.queued}

    def meetings(self, series: Series) -> list[tuple[dt.datetime, dt.datetime]]:
        """A series' meetings over the next 26 weeks, as the calendar holds them."""
        end = self.now + dt.timedelta(weeks=26)
        return [(s, s + series.duration) for s in cadence.expand(
            series.rrule, series.start, self.now, end, series.exdates)]

    def check_chosen_slots_are_free(self, before: dict[str, placement.Placement]) -> None:
        """A slot syncd chose in this run shares no time with any other 1:1 syncd keeps."""
        roster = self.config_now().roster
        read = self.series()
        mine = matching.series_by_person(roster.people, roster.owner.email, read)
        resolved = placement.resolve(roster, self.state.placements(), mine, self.now)
        others = {email: [m for s in self.live_owned(email, read) for m in self.meetings(s)]
                  for email in R.EVERYONE}
        end = self.now + dt.timedelta(weeks=26)
        for person in resolved.people:
            if person.email in before or not person.auto_slot or person.slot is None:
                continue
            chosen = [(s, s + person.duration) for s in cadence.expected(
                person, R.ZONE, self.now, end, person.start or self.now.date())]
            for email, theirs in others.items():
                if email != person.email:
                    assert not any(a < d and c < b for a, b in chosen for c, d in theirs), (
                        f"{person.email}'s chosen slot {person.slot} overlaps {email}'s 1:1s")

    @invariant()
    def never_more_new_series_a_week_than_the_rollout_allows(self) -> None:
        if self.rollout is None:
            return
        placed = self.state.placements()
        weeks = [p.first.isocalendar()[:2] for p in placed.values() if p.new]
        assert all(weeks.count(w) <= self.rollout for w in weeks), weeks
        # And on the calendar: each new person's first series starts on their first 1:1.
        series = {s.uid: s for s in self.series()}
        for email, decided in placed.items():
            first = series.get(identity.series_uid(email, 1))
            if decided.new and first is not None:
                assert first.start.astimezone(ZONE_INFO).date() == decided.first, (
                    email, first.start, decided)

    @invariant()
    def chosen_slots_never_share_time(self) -> None:
        """Two 1:1s syncd placed itself (slot: auto) are never at the same time."""
        auto = [e for e in R.NEW_HIRES if e in self.roster]
        read = self.series()
        meetings = {e: [m for s in self.live_owned(e, read) for m in self.meetings(s)]
                    for e in auto}
        for n, one in enumerate(auto):
            for other in auto[n + 1:]:
                assert not any(a < d and c < b for a, b in meetings[one]
                               for c, d in meetings[other]), (one, other)

    @invariant()
    def roster_is_valid(self) -> None:
        assert {p.email for p in self.config_now().roster.people} == set(self.roster)

    @invariant()
    def makeups_never_overlap(self) -> None:
        """Never two make-ups at the same time for the lead (nobody moves them)."""
        booked = sorted(self.makeups(), key=lambda s: s.start)
        for first, second in itertools.pairwise(booked):
            assert first.end <= second.start, (first.uid, second.uid)


TestMemoryMachine = MemoryMachine.TestCase
TestMemoryMachine.settings = memory_profile()
