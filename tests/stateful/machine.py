"""What the state machines share: the roster the lead edits, the clock, a workspace and
syncd's CLI on it, a person's instance edits (through a backend's hook), and the checks
that do not depend on the backend."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from syncd.core.model import AgendaSection
from tests.stateful import roster as R
from tests.workspace import Run, Workspace

ZONE_INFO = ZoneInfo(R.ZONE)


class RosterMachine(RuleBasedStateMachine):
    """The lead's roster and the clock; subclasses add a backend, its edits and faults.

    The hooks a backend fills in: `backends` (its config lines), `edit_instance` (a person's
    edit of one meeting), `read_calendar`, `live_owned` and `master` (what the calendar
    holds, for the checks)."""

    def __init__(self) -> None:
        super().__init__()
        # A temp folder of its own: hypothesis runs many examples in one test.
        self.ws = self.workspace(Path(tempfile.mkdtemp(prefix="syncd-stateful-")))
        self.roster = {email: R.POOL[email] for email in R.INITIAL}
        self.now = R.START
        # What people wrote, to find again after every run.
        self.titles: dict[str, str] = {}  # series uid → the title a person gave it
        self.descriptions: dict[str, str] = {}  # series uid → a line a person added
        self.notes_lines: dict[str, str] = {}  # notes document → a line the lead wrote

    def workspace(self, root: Path) -> Workspace:
        """The folder syncd works in: its config, calendar, notes and state."""
        return Workspace(root)

    def teardown(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    @property
    def root(self) -> Path:
        return self.ws.root

    @property
    def config(self) -> Path:
        return self.ws.config

    def backends(self) -> dict[str, str]:
        """The config's calendar and notes (and any `extra` lines), as Workspace.write_config
        takes them; the workspace's local folders when not given."""
        return {}

    def write_config(self) -> None:
        self.ws.write_config(R.people_yaml(self.roster), **self.backends())

    def syncd(self, *args: str) -> Run:
        return self.ws.syncd(*args, now=self.now.isoformat())

    # --- the roster ------------------------------------------------------------------

    @rule(email=R.emails, cadence=R.cadences, day=R.days, time=R.times, duration=R.durations)
    def set_person(self, email: str, cadence: str, day: str, time: str, duration: int) -> None:
        """Add a person, or change their cadence, slot or duration."""
        base = self.roster.get(email, R.POOL[email])
        self.roster[email] = R.changed(base, cadence=cadence, day=day, time=time,
                                       duration=duration)
        self.write_config()

    @rule(email=R.emails)
    def add_person_as_in_pool(self, email: str) -> None:
        """Add a person with their usual slot (Alice's and Frank's match the seeded events)."""
        self.roster.setdefault(email, R.POOL[email])
        self.write_config()

    @rule(email=R.emails)
    def remove_person(self, email: str) -> None:
        self.roster.pop(email, None)
        self.write_config()

    @rule(email=R.emails, active=st.booleans())
    def set_active(self, email: str, active: bool) -> None:
        """Retire a person (`active: false`) or bring them back."""
        if email in self.roster:
            self.roster[email] = R.changed(self.roster[email], active=active)
            self.write_config()

    @rule(email=R.emails, offset=st.integers(0, 20), length=st.integers(0, 30))
    def pause(self, email: str, offset: int, length: int) -> None:
        if email in self.roster:
            first = self.now.date() + dt.timedelta(days=offset)
            self.roster[email] = R.changed(self.roster[email],
                                           pause=(first, first + dt.timedelta(days=length)))
            self.write_config()

    @rule(days=st.integers(1, 20))
    def advance_clock(self, days: int) -> None:
        self.now += dt.timedelta(days=days)

    # --- a person's edits of one meeting ----------------------------------------------------

    def edit_instance(self, email: str, nth: int, *, shift: dt.timedelta = dt.timedelta(0),
                      status: str = "CONFIRMED", partstat: str = "ACCEPTED") -> None:
        """Edit the nth untouched meeting ahead of the person's live owned series as a
        calendar app does (moved by `shift`, cancelled, or declined by them), and remember
        the edit: syncd must leave it exactly as made."""
        raise NotImplementedError

    @rule(email=R.emails, nth=st.integers(0, 6),
          shift=st.sampled_from([dt.timedelta(hours=3), dt.timedelta(days=1),
                                 dt.timedelta(days=-1, hours=4)]))
    def move_instance(self, email: str, nth: int, shift: dt.timedelta) -> None:
        self.edit_instance(email, nth, shift=shift)

    @rule(email=R.emails, nth=st.integers(0, 6))
    def cancel_instance(self, email: str, nth: int) -> None:
        self.edit_instance(email, nth, status="CANCELLED")

    @rule(email=R.emails, nth=st.integers(0, 6))
    def decline_instance(self, email: str, nth: int) -> None:
        self.edit_instance(email, nth, partstat="DECLINED")

    # --- the calendar, as the checks see it --------------------------------------------------

    def read_calendar(self) -> Any:
        """The calendar as it is now, in the backend's own terms (read once per check)."""
        raise NotImplementedError

    def live_owned(self, email: str, calendar: Any = None) -> list[Any]:
        """The person's current series syncd owns in `calendar` (read now when None)."""
        raise NotImplementedError

    def master(self, calendar: Any, uid: str) -> tuple[str, str] | None:
        """A series' title and description in `calendar`, or None when it is gone. The
        calendar as Series (local, memory) unless a backend says otherwise."""
        found = [s for s in calendar if s.uid == uid]
        return (found[0].summary, found[0].description) if found else None

    # --- syncd ---------------------------------------------------------------------------------

    @rule()
    def reconcile(self) -> None:
        """A clean run of syncd's CLI: nothing people made is lost, and it converges. (The
        memory machine runs syncd in process: its own reconcile and check_safe.)"""
        before = self.snapshot()
        run = self.syncd("reconcile", "--force", "--json")
        assert run.code == 0, run.out + run.err
        result = run.json()
        self.check_safe(before, adopted={a["series"] for a in result["actions"]
                                         if a["action"] == "adopt-series"})
        self.check_converged(result["warnings"])

    def snapshot(self) -> Any:
        """What the calendar and notes hold now, for `check_safe` to compare with."""
        raise NotImplementedError

    def check_safe(self, before: Any, adopted: set[str] | None) -> None:
        """What any run, failed or not, must leave, given the `snapshot` before it and the
        series a successful run adopted (None after a failed one)."""
        raise NotImplementedError

    # --- checks ------------------------------------------------------------------------------

    def check_one_live_series(self, calendar: Any) -> None:
        """Whatever happened, never two live series for one person."""
        for email in R.EVERYONE:
            assert len(self.live_owned(email, calendar)) <= 1, f"{email}: duplicate live series"

    def check_converged(self, warnings: list[str]) -> None:
        """After a clean run: the roster is on the calendar, what people wrote on their
        series is kept, and a rerun has nothing to do."""
        calendar = self.read_calendar()
        queued = self.queued(calendar)
        for email in R.EVERYONE:
            entry = self.roster.get(email)
            owned = self.live_owned(email, calendar)
            if entry is not None and entry.active:
                wanted = 0 if self.left_alone(email, warnings) or email in queued else 1
                assert len(owned) == wanted, (email, owned, warnings)
            elif entry is not None:
                assert owned == [], f"{email} is retired but still has a live series"
        for uid, line in self.descriptions.items():
            master = self.master(calendar, uid)
            if master is not None:
                assert line in master[1], f"{uid}: a person's description lost"
        for uid, title in self.titles.items():
            master = self.master(calendar, uid)
            if master is not None:
                assert master[0] == title, f"{uid}: a person's title changed"
        self.check_plans_nothing()
        self.check_history()

    def queued(self, calendar: Any) -> set[str]:
        """People syncd holds back on purpose (a `rollout:` queue): no series yet."""
        return set()

    def check_plans_nothing(self) -> None:
        """Right after a clean run, planning again finds nothing to do."""
        again = self.syncd("reconcile", "--dry-run", "--json", "--force")
        assert again.code == 0, again.out + again.err
        assert again.json()["actions"] == [], again.out

    def check_history(self) -> None:
        """Every expected past 1:1 of an active person is classified, each exactly once."""
        start = self.now - dt.timedelta(days=60)
        run = self.syncd("status", "--json", "--from", start.date().isoformat(),
                         "--to", (self.now - dt.timedelta(days=1)).date().isoformat())
        assert run.code == 0, run.err
        people = R.people_of(self.config)
        first = dt.datetime.combine(start.date(), dt.time(), ZONE_INFO)
        today = dt.datetime.combine(self.now.date(), dt.time(), ZONE_INFO)
        for person in run.json()["people"]:
            rows = person["occurrences"]
            expected = [dt.datetime.fromisoformat(o["expected"]).astimezone(dt.UTC)
                        for o in rows]
            assert len(expected) == len(set(expected)), f"{person['email']}: a 1:1 twice"
            # Past and still "upcoming" only when it is held or made up later (docs/skips.md
            # rule 7: a slot filled by a series at another time, a make-up ahead).
            ahead = [o["actual_start"] for o in rows if o["status"] == "upcoming"]
            assert all(a and dt.datetime.fromisoformat(a) > self.now for a in ahead), rows
            wanted = R.expected_between(people[person["email"]], first, today)
            assert set(wanted) <= set(expected), (person["email"], wanted, rows)

    def check_one_section_per_meeting(self, name: str, sections: tuple[AgendaSection, ...]
                                      ) -> None:
        """Each actual meeting has at most one agenda section: one per roster slot, and no
        two sections (not called off) for the same moment."""
        keys = [s.key for s in sections]
        assert len(keys) == len(set(keys)), f"notes {name}: two sections for a slot: {keys}"
        live = [s.when for s in sections if s.when is not None and not s.cancelled]
        assert len(live) == len(set(live)), f"notes {name}: two sections for a meeting: {live}"

    def left_alone(self, email: str, warnings: list[str]) -> bool:
        """Whether syncd said it left a person's hand-made series alone (so made none)."""
        return any(w.startswith(f"{email}: hand-made 1:1 series")
                   or (w.startswith(f"{email}: ") and " is organized by " in w)
                   for w in warnings)

    @invariant()
    def roster_is_valid(self) -> None:
        # Guards the machine itself: every roster it writes is one syncd accepts.
        assert set(R.people_of(self.config)) == set(self.roster)
