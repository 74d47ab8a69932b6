"""The roster model both state machines change, rendered as the YAML syncd reads."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
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
    start: dt.date | None  # fixed per person: it anchors the phase (None: a new hire's)
    active: bool = True
    pause: tuple[dt.date, dt.date] | None = None
    auto: bool = False  # slot: auto (day and time are then unused)

    def yaml(self) -> str:
        week = ", week: 1" if self.cadence == "monthly" else ""
        parts = [f"name: {self.name}", f"email: {self.email}", f"cadence: {self.cadence}",
                 f"duration: {self.duration}m",
                 "slot: auto" if self.auto
                 else f'slot: {{day: {self.day}, time: "{self.time}"{week}}}']
        if self.start is not None:
            parts.insert(3, f"start: {self.start}")
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
# New hires, added several at once under a rollout, each with `slot: auto`.
NEW_HIRES = {
    email: Entry(name, email, cadence, "mon", "10:00", duration, None, auto=True)
    for name, email, cadence, duration in (
        ("Nia New", "nia@example.com", "weekly", 30),
        ("Omar New", "omar@example.com", "biweekly", 45),
        ("Pia New", "pia@example.com", "weekly", 60),
        ("Quinn New", "quinn@example.com", "monthly", 45),
    )
}
EMAILS = sorted(POOL)
EVERYONE = sorted([*POOL, *NEW_HIRES])
INITIAL = ("alice@example.com", "bob@example.com")

emails = st.sampled_from(EMAILS)
cadences = st.sampled_from(["weekly", "biweekly", "monthly"])
days = st.sampled_from(["mon", "tue", "wed", "thu", "fri"])
times = st.sampled_from(["10:00", "14:00", "16:00"])
durations = st.sampled_from([30, 45, 60])


def rrule(entry: Entry) -> str:
    """The RRULE a calendar app writes for an entry's cadence on its weekday."""
    day = entry.day[:2].upper()
    return {"weekly": f"FREQ=WEEKLY;BYDAY={day}",
            "biweekly": f"FREQ=WEEKLY;INTERVAL=2;BYDAY={day}",
            "monthly": f"FREQ=MONTHLY;BYDAY=1{day}"}[entry.cadence]


def recurring_ics(uid: str, start: dt.datetime, minutes: int, entry: Entry, summary: str, *,
                  organizer: str, people: tuple[str, ...],
                  app: str = "A calendar app") -> bytes:
    """A recurring event on the entry's cadence as another calendar app writes it: one
    VEVENT, everyone accepted."""
    event = icalendar.Event()
    event.add("UID", uid)
    event.add("DTSTART", start)
    event.add("DTEND", start + dt.timedelta(minutes=minutes))
    event.add("DTSTAMP", dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    event.add("RRULE", icalendar.vRecur.from_ical(rrule(entry)))
    event.add("SUMMARY", summary)
    event.add("ORGANIZER", f"mailto:{organizer}")
    for who in people:
        event.add("ATTENDEE", f"mailto:{who}", parameters={"PARTSTAT": "ACCEPTED"})
    calendar = icalendar.Calendar()
    calendar.add("PRODID", f"-//{app}//EN")
    calendar.add("VERSION", "2.0")
    calendar.add_component(event)
    return bytes(calendar.to_ical())


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
    assert entry.start is not None, "hand-made series are only made for the pool"
    day = entry.start
    while day.weekday() != weekday or (entry.cadence == "monthly" and day.day > 7):
        day += dt.timedelta(days=1)
    hour, minute = map(int, entry.time.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), ZoneInfo(ZONE))
