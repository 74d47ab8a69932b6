"""Wall time and peak memory of reading a big ICS export with syncd's ICSFeed.

It writes a seeded, deterministic stand-in for a real calendar export: about
16.5 MB, 20,000 VEVENTs over 2022-2026, 300 recurring series (weekly, biweekly,
monthly) with EXDATEs and RECURRENCE-ID overrides (moved, and STATUS:CANCELLED,
some without attendees), VTIMEZONEs for Europe/Berlin and America/New_York,
X-WR-TIMEZONE, about 100 attendee addresses, long descriptions. The owner,
dana@example.com, organizes many events and has a 1:1 series with each of the
10 roster people. It then measures, each in its own process (peak memory is
that process's peak RSS):

- bare `icalendar.Calendar.from_ical` of the whole file (what a naive reader pays),
- syncd end to end for a changed feed: a 10-person roster, ICSFeed(path=...).read()
  of now-90d .. now+400d from an empty cache (pre-filter, parse, expand),
- the unchanged-feed cycle: a second read() of the same window on the same
  ICSFeed object, and a read in a new process given the first read's FeedCache.

Seconds are those of the measured call alone; "process s" is the child's whole
life (interpreter start, imports, reading the file); peak MiB is the child's own
VmHWM (see peak_mib).
Usage: python bench/ics_feed.py
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from child import run_child
from dateutil import rrule as du

from syncd.core.cadence import parse_cadence
from syncd.core.model import Owner, Person, Roster, Slot

SEED = 20261125
TARGET_BYTES = 16_500_000
TOTAL_EVENTS = 20_000
SERIES = 300
OWNER = Owner("Dana Lead", "dana@example.com")
ZONE = "Europe/Berlin"
NEW_YORK = "America/New_York"
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo(ZONE))
WINDOW = (NOW - dt.timedelta(days=90), NOW + dt.timedelta(days=400))
FIRST_DAY = dt.date(2022, 1, 1)
LAST_DAY = dt.date(2026, 12, 31)
STAMP = "20261120T080000Z"
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WORDS = (
    "agenda", "review", "roadmap", "budget", "hiring", "launch", "metrics", "incident", "retro",
    "planning", "customer", "design", "proposal", "migration", "deadline", "quarterly", "goals",
    "feedback", "onboarding", "release", "notes", "security", "audit", "dashboard", "latency",
    "backlog", "priorities", "staffing", "vendor", "contract", "renewal", "offsite", "workshop",
    "draft", "approval", "follow", "up", "action", "items", "decision", "owner", "risk",
)


@dataclass(frozen=True)
class Report:
    """A roster person and the 1:1 series the owner has with them."""

    name: str
    email: str
    cadence: str  # weekly, biweekly or monthly
    day: int
    time: dt.time
    zone: str


REPORTS = (
    Report("Alex Kim", "alex.kim@example.com", "weekly", 0, dt.time(10, 0), ZONE),
    Report("Bea Novak", "bea.novak@example.com", "biweekly", 0, dt.time(11, 0), ZONE),
    Report("Chris Olsen", "chris.olsen@example.com", "monthly", 1, dt.time(9, 30), ZONE),
    Report("Dev Patel", "dev.patel@example.com", "weekly", 1, dt.time(14, 0), ZONE),
    Report("Eva Lind", "eva.lind@example.com", "biweekly", 2, dt.time(10, 30), ZONE),
    Report("Femi Adeyemi", "femi.adeyemi@example.com", "monthly", 2, dt.time(15, 0), ZONE),
    Report("Gus Moreau", "gus.moreau@example.com", "weekly", 3, dt.time(9, 0), NEW_YORK),
    Report("Hana Sato", "hana.sato@example.com", "biweekly", 3, dt.time(11, 30), NEW_YORK),
    Report("Ivo Petrov", "ivo.petrov@example.com", "monthly", 4, dt.time(13, 0), ZONE),
    Report("Jo Brandt", "jo.brandt@example.com", "weekly", 4, dt.time(16, 0), ZONE),
)

VTIMEZONES = tuple("""BEGIN:VTIMEZONE
TZID:Europe/Berlin
X-LIC-LOCATION:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
BEGIN:VTIMEZONE
TZID:America/New_York
X-LIC-LOCATION:America/New_York
BEGIN:DAYLIGHT
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
TZNAME:EDT
DTSTART:19700308T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
TZNAME:EST
DTSTART:19701101T020000
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
END:STANDARD
END:VTIMEZONE""".splitlines())


# --- the export ------------------------------------------------------------------


@dataclass
class Draft:
    """One VEVENT before its description is padded to size."""

    head: list[str]
    text: str  # start of the description (already escaped)
    tail: list[str]


def fold(line: str) -> str:
    """The line folded at 75 octets, as RFC 5545 writes it (with CRLF)."""
    if line.isascii():
        if len(line) <= 75:
            return line + "\r\n"
        parts = [line[:75]] + [line[i:i + 74] for i in range(75, len(line), 74)]
        return "\r\n ".join(parts) + "\r\n"
    out, size, parts = [], 0, []
    for char in line:
        width = len(char.encode())
        if size + width > (75 if not parts else 74):
            parts.append("".join(out))
            out, size = [], 0
        out.append(char)
        size += width
    parts.append("".join(out))
    return "\r\n ".join(parts) + "\r\n"


def when(name: str, moment: dt.datetime, zone: str) -> str:
    """A date-time property in `zone` (a TZID, or UTC written with Z)."""
    if zone == "UTC":
        return f"{name}:{moment:%Y%m%dT%H%M%S}Z"
    return f"{name};TZID={zone}:{moment:%Y%m%dT%H%M%S}"


class Export:
    """Builds the export; all randomness comes from one random.Random(SEED)."""

    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.names = {OWNER.email: OWNER.name} | {r.email: r.name for r in REPORTS}
        self.others = self._others(89)
        self.drafts: list[Draft] = []
        self.overrides = 0
        self.corpus = self._corpus(200_000)

    def _others(self, n: int) -> list[str]:
        first = ("Ana", "Ben", "Carla", "Dirk", "Elif", "Frank", "Greta", "Hugo", "Ines", "Jan",
                 "Kai", "Lena", "Mats", "Nora", "Omar", "Pia", "Rosa", "Sven", "Tara", "Uwe")
        last = ("Berg", "Costa", "Duval", "Engel", "Fischer", "Garcia", "Horvat", "Ito",
                "Jensen", "Kowalski", "Larsen", "Meyer", "Nagy", "Ortiz", "Rossi", "Weber")
        domains = ("example.com", "example.com", "example.com", "partner.example.org",
                   "vendor.example.net")
        emails: list[str] = []
        while len(emails) < n:
            a, b = self.rng.choice(first), self.rng.choice(last)
            email = f"{a.lower()}.{b.lower()}@{self.rng.choice(domains)}"
            if email not in self.names:
                self.names[email] = f"{a} {b}"
                emails.append(email)
        return emails

    def _corpus(self, size: int) -> str:
        sentences: list[str] = []
        length = 0
        while length < size:
            words = self.rng.choices(WORDS, k=self.rng.randint(6, 18))
            sentence = " ".join(words).capitalize() + ". "
            if self.rng.random() < 0.15:
                sentence += "\\n\\n"
            sentences.append(sentence)
            length += len(sentence)
        return "".join(sentences)

    def uid(self) -> str:
        return f"{self.rng.getrandbits(104):026x}@google.com"

    def attendee(self, email: str, organizer: str) -> str:
        status = "ACCEPTED" if email == organizer else self.rng.choices(
            ("ACCEPTED", "NEEDS-ACTION", "TENTATIVE", "DECLINED"), (70, 15, 8, 7))[0]
        return f"ATTENDEE;PARTSTAT={status};CN={self.names[email]}:mailto:{email}"

    def event(self, uid: str, start: dt.datetime, end: dt.datetime, zone: str, summary: str,
              organizer: str | None, guests: list[str], *, status: str = "CONFIRMED",
              extra: tuple[str, ...] = (), all_day: bool = False, sequence: int = 0) -> None:
        created = start - dt.timedelta(days=self.rng.randint(1, 60))
        if all_day:
            times = [f"DTSTART;VALUE=DATE:{start:%Y%m%d}", f"DTEND;VALUE=DATE:{end:%Y%m%d}"]
        else:
            times = [when("DTSTART", start, zone), when("DTEND", end, zone)]
        head = [*times, f"DTSTAMP:{STAMP}"]
        if organizer:
            head.append(f'ORGANIZER;CN="{self.names[organizer]}":mailto:{organizer}')
        head += [*extra, f"UID:{uid}"]
        head += [self.attendee(g, organizer or "") for g in guests]
        head += [f"CREATED:{created:%Y%m%dT%H%M%S}Z", f"LAST-MODIFIED:{created:%Y%m%dT%H%M%S}Z",
                 "LOCATION:" + self.rng.choice(("", "Room Spree", "Room Hudson",
                                                "https://meet.example.com/abc-defg-hij"))]
        code = f"{self.rng.getrandbits(40):010x}"
        text = f"Join: https://meet.example.com/{code}\\n\\n"
        tail = [f"SEQUENCE:{sequence}", f"STATUS:{status}", f"SUMMARY:{summary}",
                "TRANSP:" + ("TRANSPARENT" if all_day else "OPAQUE")]
        if self.rng.random() < 0.2:
            tail += ["BEGIN:VALARM", "ACTION:DISPLAY", "DESCRIPTION:This is an event reminder",
                     "TRIGGER:-P0DT0H10M0S", "END:VALARM"]
        self.drafts.append(Draft(head, text, tail))

    def series(self, summary: str, start: dt.datetime, zone: str, minutes: int, rule: str,
               organizer: str, guests: list[str], until: dt.datetime | None,
               rates: tuple[float, float, float]) -> None:
        """A recurring series with EXDATEs and overrides (`rates`: exdate, moved, cancelled)."""
        uid = self.uid()
        freq, interval, byday = rule
        rrule = f"FREQ={freq}" + (f";INTERVAL={interval}" if interval > 1 else "")
        if until is not None:
            utc = until.replace(tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)
            rrule += f";UNTIL={utc:%Y%m%dT%H%M%S}Z"
        rrule += f";BYDAY={byday}"
        last = dt.datetime.combine(LAST_DAY, dt.time(23, 59))
        stop = min(until, last) if until is not None else last
        frequency = du.WEEKLY if freq == "WEEKLY" else du.MONTHLY
        weekday = DAYS.index(byday[-2:])
        nth = int(byday[:-2]) if len(byday) > 2 else None
        by = du.weekday(weekday, nth) if nth else du.weekday(weekday)
        dates = du.rrule(frequency, dtstart=start, interval=interval, byweekday=by, until=stop)
        length = dt.timedelta(minutes=minutes)
        exdates: list[dt.datetime] = []
        overrides: list[tuple[dt.datetime, dt.datetime, str]] = []
        exdate, moved, cancelled = rates
        for occurrence in dates:
            roll = self.rng.random()
            if roll < exdate:
                exdates.append(occurrence)
            elif roll < exdate + moved:
                shift = self.rng.choice((1440, -1440, 120, -60, 30, 2880))
                overrides.append((occurrence, occurrence + dt.timedelta(minutes=shift),
                                  "CONFIRMED"))
            elif roll < exdate + moved + cancelled:
                overrides.append((occurrence, occurrence, "CANCELLED"))
        extra = [f"RRULE:{rrule}"]
        if exdates and self.rng.random() < 0.5:
            extra.append(f"EXDATE;TZID={zone}:"
                         + ",".join(f"{d:%Y%m%dT%H%M%S}" for d in exdates))
        else:
            extra += [when("EXDATE", d, zone) for d in exdates]
        self.event(uid, start, start + length, zone, summary, organizer, guests,
                   extra=tuple(extra))
        for original, moved_to, status in overrides:
            # Overrides often carry no attendees (and no organizer) at all.
            bare = self.rng.random() < (0.5 if status == "CANCELLED" else 0.3)
            self.event(uid, moved_to, moved_to + length, zone, summary,
                       None if bare else organizer, [] if bare else guests, status=status,
                       extra=(when("RECURRENCE-ID", original, zone),), sequence=1)
            self.overrides += 1

    def one_on_ones(self) -> None:
        for report in REPORTS:
            first = dt.date(2022, 1, 3) + dt.timedelta(days=self.rng.randint(0, 540))
            first += dt.timedelta(days=(report.day - first.weekday()) % 7)
            start = dt.datetime.combine(first, report.time)
            day = DAYS[report.day]
            rule = {"weekly": ("WEEKLY", 1, day), "biweekly": ("WEEKLY", 2, day),
                    "monthly": ("MONTHLY", 1, f"1{day}")}[report.cadence]
            self.series(f"{report.name.split()[0]} / Dana 1:1", start, report.zone, 30, rule,
                        OWNER.email, [OWNER.email, report.email], None, (0.05, 0.10, 0.05))

    def other_series(self, n: int) -> None:
        topics = ("Team sync", "Standup", "Architecture review", "Planning", "Ops review",
                  "Staff meeting", "Design crit", "Partner check-in", "Hiring sync", "Demo")
        for _ in range(n):
            first = FIRST_DAY + dt.timedelta(days=self.rng.randint(0, 1740))
            weekday = self.rng.randint(0, 4)
            first += dt.timedelta(days=(weekday - first.weekday()) % 7)
            start = dt.datetime.combine(first, dt.time(self.rng.randint(8, 17),
                                                       self.rng.choice((0, 15, 30))))
            freq = self.rng.choices(("weekly", "biweekly", "monthly"), (50, 30, 20))[0]
            day = DAYS[weekday]
            rule = {"weekly": ("WEEKLY", 1, day), "biweekly": ("WEEKLY", 2, day),
                    "monthly": ("MONTHLY", 1, f"{self.rng.choice((1, 2, 3, -1))}{day}")}[freq]
            until = None
            if self.rng.random() < 0.5:
                until = start + dt.timedelta(days=self.rng.randint(90, 900))
            organizer = OWNER.email if self.rng.random() < 0.5 else self.rng.choice(self.others)
            guests = self.guests(organizer, self.rng.randint(1, 8), 0.15)
            zone = ZONE if self.rng.random() < 0.75 else NEW_YORK
            self.series(self.rng.choice(topics), start, zone, self.rng.choice((30, 45, 60)),
                        rule, organizer, guests, until, (0.03, 0.04, 0.02))

    def guests(self, organizer: str, n: int, roster_rate: float) -> list[str]:
        chosen = {organizer, OWNER.email, *self.rng.sample(self.others, n)}
        if self.rng.random() < roster_rate:
            chosen.add(self.rng.choice(REPORTS).email)
        return sorted(chosen)

    def singles(self, n: int) -> None:
        topics = ("Sync", "Interview", "Customer call", "Budget review", "Lunch", "Workshop",
                  "Incident review", "Coffee chat", "Board prep", "Vendor demo")
        span = (LAST_DAY - FIRST_DAY).days
        for _ in range(n):
            day = FIRST_DAY + dt.timedelta(days=self.rng.randint(0, span))
            if day.weekday() >= 5 and self.rng.random() < 0.9:
                day -= dt.timedelta(days=day.weekday() - 4)
            start = dt.datetime.combine(day, dt.time(self.rng.randint(7, 18),
                                                     self.rng.choice((0, 15, 30, 45))))
            end = start + dt.timedelta(minutes=self.rng.choice((15, 25, 30, 45, 60, 90, 120)))
            zone = self.rng.choices((ZONE, NEW_YORK, "UTC"), (80, 15, 5))[0]
            status = self.rng.choices(("CONFIRMED", "CANCELLED", "TENTATIVE"), (95, 3, 2))[0]
            kind = self.rng.random()
            if kind < 0.05:
                start = dt.datetime.combine(day, dt.time())
                self.event(self.uid(), start, start + dt.timedelta(days=1), zone,
                           self.rng.choice(("Out of office", "Public holiday", "Offsite")),
                           None, [], all_day=True)
            elif kind < 0.15:
                self.event(self.uid(), start, end, zone,
                           self.rng.choice(("Focus time", "Prep", "Travel")),
                           OWNER.email, [], status=status)
            else:
                organizer = OWNER.email if self.rng.random() < 0.45 else (
                    self.rng.choice(REPORTS).email if self.rng.random() < 0.03
                    else self.rng.choice(self.others))
                guests = self.guests(organizer, self.rng.choice((0, 1, 1, 1, 2, 2, 3)), 0.06)
                self.event(self.uid(), start, end, zone, self.rng.choice(topics), organizer,
                           guests, status=status)

    def write(self, path: Path) -> int:
        """Write the export to `path`; the number of VEVENTs written."""
        self.one_on_ones()
        self.other_series(SERIES - len(REPORTS))
        self.singles(TOTAL_EVENTS - len(self.drafts))
        self.rng.shuffle(self.drafts)
        header = ["BEGIN:VCALENDAR", "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
                  "VERSION:2.0", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
                  f"X-WR-CALNAME:{OWNER.email}", f"X-WR-TIMEZONE:{ZONE}", *VTIMEZONES]
        chunks = [fold(line) for line in header]
        bodies: list[tuple[str, str]] = []
        for draft in self.drafts:
            head = "BEGIN:VEVENT\r\n" + "".join(fold(line) for line in draft.head)
            tail = "".join(fold(line) for line in draft.tail) + "END:VEVENT\r\n"
            bodies.append((head, tail))
        fixed = sum(len(c.encode()) for c in chunks) + len("END:VCALENDAR\r\n")
        fixed += sum(len(h) + len(t) + len(d.text) + 14 for (h, t), d in zip(
            bodies, self.drafts, strict=True))
        # Folding adds 3 octets per 74: share what is left, unevenly, as description text.
        room = max(0, TARGET_BYTES - fixed) * 74 / 77
        weights = [self.rng.uniform(0.2, 1.8) for _ in self.drafts]
        scale = room / sum(weights)
        limit = len(self.corpus) - 1
        for (head, tail), draft, weight in zip(bodies, self.drafts, weights, strict=True):
            size = min(int(weight * scale), limit)
            offset = self.rng.randint(0, limit - size)
            offset = self.corpus.find(". ", offset) + 2  # start at a sentence
            text = draft.text + self.corpus[offset:offset + size]
            while text.endswith(("\\n", " ")):
                text = text.removesuffix("\\n").removesuffix(" ")
            chunks += [head, fold(f"DESCRIPTION:{text}"), tail]
        chunks.append("END:VCALENDAR\r\n")
        path.write_bytes("".join(chunks).encode())
        return len(self.drafts)


# --- the measured children --------------------------------------------------------


def roster() -> Roster:
    """The 10-person roster, each with the slot of their 1:1 series."""
    people = tuple(
        Person(name=r.name, email=r.email, cadence=parse_cadence(r.cadence),
               slot=Slot(r.day, r.time, 1 if r.cadence == "monthly" else None),
               duration=dt.timedelta(minutes=30))
        for r in REPORTS
    )
    return Roster(owner=OWNER, timezone=ZONE, people=people)


def feed(path: Path, cache: Any = None) -> Any:
    from syncd.calendars.ics import ICSFeed

    team = roster()
    return ICSFeed(url=None, path=path, default_timezone=team.timezone, people=team.people,
                   owner_email=team.owner.email, cache=cache)


def child_from_ical(path: str) -> dict[str, Any]:
    import icalendar

    data = Path(path).read_bytes()
    began = time.perf_counter()
    calendar = icalendar.Calendar.from_ical(data)
    seconds = time.perf_counter() - began
    return {"seconds": seconds, "events": len(calendar.walk("VEVENT"))}


def child_changed(path: str) -> dict[str, Any]:
    began = time.perf_counter()
    source = feed(Path(path))
    series = source.read(*WINDOW)
    seconds = time.perf_counter() - began
    return {"seconds": seconds, "series": len(series), "not_modified": source.not_modified,
            "kept_bytes": len(source.cache.kept.encode()),
            "in_window": sum(1 for s in series if s.instances),
            "recurring": sum(1 for s in series if s.rrule),
            "broken": sum(1 for s in series if s.broken),
            "instances": sum(len(s.instances) for s in series),
            "overridden": sum(1 for s in series for i in s.instances if i.overridden)}


def child_unchanged(path: str, cache_file: str) -> dict[str, Any]:
    source = feed(Path(path))
    first = source.read(*WINDOW)
    began = time.perf_counter()
    second = source.read(*WINDOW)
    seconds = time.perf_counter() - began
    Path(cache_file).write_text(source.cache.to_json())
    return {"seconds": seconds, "series": len(second), "same": second == first,
            "not_modified": source.not_modified}


def child_cached(path: str, cache_file: str) -> dict[str, Any]:
    from syncd.calendars.ics import FeedCache

    cache = FeedCache.from_json(Path(cache_file).read_text())
    began = time.perf_counter()
    source = feed(Path(path), cache)
    series = source.read(*WINDOW)
    seconds = time.perf_counter() - began
    return {"seconds": seconds, "series": len(series), "not_modified": source.not_modified}


CHILDREN: dict[str, Callable[..., dict[str, Any]]] = {
    "from-ical": child_from_ical,
    "changed": child_changed,
    "unchanged": child_unchanged,
    "cached": child_cached,
}


def measure(command: str, *args: Path) -> dict[str, Any]:
    """What one child process reported, with its wall time and peak MiB."""
    cmd = [sys.executable, str(Path(__file__).resolve()), command, *map(str, args)]
    elapsed, _, out = run_child(cmd)
    result: dict[str, Any] = json.loads(out)
    return result | {"process": elapsed, "mib": result["peak_mib"]}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.ics"
        cache = Path(tmp) / "cache.json"
        began = time.perf_counter()
        export = Export()
        events = export.write(path)
        made = time.perf_counter() - began
        size = path.stat().st_size
        print(f"export: {size / 1e6:.2f} MB, {events} VEVENTs ({SERIES} series, "
              f"{export.overrides} overrides), written in {made:.1f} s", flush=True)
        bare = measure("from-ical", path)
        changed = measure("changed", path)
        unchanged = measure("unchanged", path, cache)
        cached = measure("cached", path, cache)
    if bare["events"] != events:
        raise SystemExit(f"from_ical saw {bare['events']} VEVENTs, wrote {events}")
    print(f"window {WINDOW[0]:%Y-%m-%d} .. {WINDOW[1]:%Y-%m-%d}; syncd kept "
          f"{changed['kept_bytes'] / 1e6:.2f} MB of the feed text")
    print()
    print(f"{'':<36} {'seconds':>9} {'peak MiB':>9} {'process s':>10}")
    for label, run in (("bare icalendar from_ical", bare),
                       ("syncd read, changed feed", changed)):
        print(f"{label:<36} {run['seconds']:>9.2f} {run['mib']:>9.1f} {run['process']:>10.2f}")
    ms_same, ms_new = unchanged["seconds"] * 1000, cached["seconds"] * 1000
    print(f"{'unchanged, same object (ms)':<36} {ms_same:>9.1f} {unchanged['mib']:>9.1f} "
          f"{unchanged['process']:>10.2f}")
    print(f"{'unchanged, new process + cache (ms)':<36} {ms_new:>9.1f} {cached['mib']:>9.1f} "
          f"{cached['process']:>10.2f}")
    print()
    print(f"file size MB                 {size / 1e6:.2f}")
    print(f"VEVENTs                      {events}")
    print(f"from_ical                    {bare['seconds']:.2f} s / {bare['mib']:.0f} MiB")
    print(f"syncd changed feed           {changed['seconds']:.2f} s / {changed['mib']:.0f} MiB")
    print(f"ratio from_ical / syncd      {bare['seconds'] / changed['seconds']:.1f}x")
    print(f"unchanged, same process      {ms_same:.1f} ms "
          f"(not_modified={unchanged['not_modified']}, same result={unchanged['same']})")
    print(f"unchanged, new process       {ms_new:.1f} ms "
          f"(not_modified={cached['not_modified']})")
    print(f"series kept                  {changed['series']} "
          f"(unchanged: {unchanged['series']}, new process: {cached['series']})")
    print(f"  of which recurring {changed['recurring']}, with instances in the window "
          f"{changed['in_window']} ({changed['instances']} instances, {changed['overridden']} "
          f"overridden), broken {changed['broken']}")


def peak_mib() -> float:
    """This process's peak RSS since its exec (VmHWM).

    Not ru_maxrss: Linux carries that across fork and exec, so every child would
    report at least the RSS of this parent, which holds the generated export.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("no VmHWM in /proc/self/status")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in CHILDREN:
        print(json.dumps(CHILDREN[sys.argv[1]](*sys.argv[2:]) | {"peak_mib": peak_mib()}))
    else:
        main()
