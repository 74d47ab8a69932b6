"""What both state machines share: the roster the lead edits, the clock, syncd's CLI,
and the checks that do not depend on the backend."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from syncd.core.model import AgendaSection
from tests.integration.conftest import Run, syncd
from tests.stateful import roster as R

ZONE_INFO = ZoneInfo(R.ZONE)


class RosterMachine(RuleBasedStateMachine):
    """The lead's roster and the clock; subclasses add a backend, its edits and faults."""

    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="syncd-stateful-"))
        self.roster = {email: R.POOL[email] for email in R.INITIAL}
        self.now = R.START

    @property
    def config(self) -> Path:
        return self.root / "config.yaml"

    def backends(self) -> str:
        """The calendar, notes and state lines of the config."""
        raise NotImplementedError

    def write_config(self) -> None:
        self.config.write_text(self.backends() + R.people_yaml(self.roster))

    def syncd(self, *args: str) -> Run:
        return syncd(*args, "--config", str(self.config), "--now", self.now.isoformat())

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

    # --- checks ------------------------------------------------------------------------------

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
