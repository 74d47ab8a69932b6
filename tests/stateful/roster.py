"""The roster model both state machines change, rendered as the YAML syncd reads."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from syncd.config import load_config
from syncd.core import cadence
from syncd.core.model import Person

OWNER = "dana@example.com"
ZONE = "Europe/Berlin"
# Every run's clock starts here and only moves forward, a whole number of days at a time
# (09:00 is never a slot time below, so no occurrence is ever exactly "now").
START = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))


@dataclass(frozen=True)
class Entry:
    """One roster person, in the fields the machines change."""

    name: str
    email: str
    cadence: str  # weekly | biweekly | monthly
    day: str
    time: str
    duration: int  # minutes
    start: dt.date  # fixed per person: it anchors the phase
    active: bool = True
    pause: tuple[dt.date, dt.date] | None = None

    def yaml(self) -> str:
        week = ", week: 1" if self.cadence == "monthly" else ""
        parts = [f"name: {self.name}", f"email: {self.email}", f"cadence: {self.cadence}",
                 f"start: {self.start}", f"duration: {self.duration}m",
                 f'slot: {{day: {self.day}, time: "{self.time}"{week}}}']
        if not self.active:
            parts.append("active: false")
        if self.pause is not None:
            parts.append(f"pauses: [{{from: {self.pause[0]}, to: {self.pause[1]}}}]")
        return "  - {" + ", ".join(parts) + "}\n"


# The people a roster may hold. Alice and Frank match the demo's hand-made series
# (Alice's follows her entry; Frank's is a stranger's until he is added with it).
POOL = {
    "alice@example.com": Entry("Alice Example", "alice@example.com", "weekly", "tue", "10:00",
                               45, dt.date(2026, 9, 1)),
    "bob@example.com": Entry("Bob Example", "bob@example.com", "monthly", "thu", "14:00", 45,
                             dt.date(2026, 9, 3)),
    "erin@example.com": Entry("Erin Manager", "erin@example.com", "biweekly", "thu", "16:00",
                              30, dt.date(2026, 9, 3)),
    "frank@example.com": Entry("Frank Contractor", "frank@example.com", "biweekly", "mon",
                               "15:00", 45, dt.date(2026, 9, 7)),
}
EMAILS = sorted(POOL)
INITIAL = ("alice@example.com", "bob@example.com")

emails = st.sampled_from(EMAILS)
cadences = st.sampled_from(["weekly", "biweekly", "monthly"])
days = st.sampled_from(["mon", "tue", "wed", "thu", "fri"])
times = st.sampled_from(["10:00", "14:00", "16:00"])
durations = st.sampled_from([30, 45, 60])


def people_yaml(roster: dict[str, Entry]) -> str:
    if not roster:
        return "people: []\n"
    return "people:\n" + "".join(roster[email].yaml() for email in sorted(roster))


def changed(entry: Entry, **fields: object) -> Entry:
    return dataclasses.replace(entry, **fields)  # type: ignore[arg-type]


def people_of(config: Path) -> dict[str, Person]:
    """The roster as syncd parsed it (to ask its cadence engine what is expected)."""
    return {p.email: p for p in load_config(config).roster.people}


def expected_between(person: Person, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """The 1:1s the roster expects for `person` in [start, end) (paused ones left out)."""
    return [s.astimezone(dt.UTC) for s in
            cadence.expected(person, ZONE, start, end, person.start or START.date())]


def first_slot(entry: Entry) -> dt.datetime:
    """The entry's first slot on or after its start (week 1 of the month when monthly)."""
    weekday = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].index(entry.day)
    day = entry.start
    while day.weekday() != weekday or (entry.cadence == "monthly" and day.day > 7):
        day += dt.timedelta(days=1)
    hour, minute = map(int, entry.time.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), ZoneInfo(ZONE))
