"""The owner's 1:1s as a calendar holds them, and the roster entry each one suggests (pure).

`syncd init` writes a roster from this. Which series is a person's 1:1 is the rule reconcile
adopts by (`matching.other_person`: the owner and exactly one other person, rooms and
resources left out, the organizer counted whoever it is), and every entry is checked with
`planner.follows_roster`, the test reconcile adopts a hand-made series by: a roster init
wrote adopts each 1:1 it lists instead of creating a second one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from syncd.core import cadence, planner
from syncd.core.matching import other_person, participants
from syncd.core.model import WORK_END, WORK_START, Person, Role, Series, Slot

# What the config accepts as a duration (docs/configuration.md#durations).
MAX_DURATION = dt.timedelta(hours=8)
# Rule parts that never change which days a series meets on, or that syncd decides itself.
_ENDS = ("UNTIL", "COUNT")
_TIME_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND")
_NTH_DAY = re.compile(r"([+-]?\d)?(MO|TU|WE|TH|FR|SA|SU)")
# A title that names the relation: the only evidence a calendar holds that someone is the
# owner's manager (taken only when they also organize the 1:1).
_MANAGER_TITLE = re.compile(r"\b(manager|mgr|boss)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Entry:
    """One discovered 1:1: the roster entry it suggests, what to check, where it came from.

    `checks` maps a roster key (name, cadence, slot, duration, start, role) or "entry"
    (the whole entry) to why a person should look at it."""

    email: str
    name: str
    cadence: str  # the roster's words: weekly, biweekly, every N weeks, monthly, rrule:…
    slot: Slot
    duration: dt.timedelta
    start: dt.date
    role: Role
    summary: str  # the series' title
    uid: str
    checks: Mapping[str, str] = field(default_factory=dict)
    ended: dt.date | None = None  # the series ended (its last date), not live any more
    last_held: dt.date | None = None  # its last meeting up to now
    refused: str = ""  # why it cannot be a roster entry as it stands ("" when it can)


@dataclass(frozen=True)
class Discovery:
    """Everything `syncd init` learned from a calendar."""

    timezone: str
    people: tuple[Entry, ...]  # live 1:1s, one per person
    ended: tuple[Entry, ...]  # people whose 1:1 series have all ended
    one_offs: int  # single two-person meetings with the owner
    groups: int  # events with the owner and two or more others
    unreadable: int  # events with the owner whose recurrence could not be computed
    timezone_check: str = ""  # why the timezone is a guess ("" when it is not)
    owner_name: str = ""  # the owner's name as their events give it ("" when none does)
    # When no event names the owner: the address most events name (a mistyped --owner).
    likely_owner: str = ""
    work_start: dt.time = WORK_START
    work_end: dt.time = WORK_END


def discover(
    observed: Iterable[Series], owner: str, now: dt.datetime, timezone: str | None = None
) -> Discovery:
    """The owner's 1:1s in `observed`, one entry per person, in `timezone` (else the zone most
    of the 1:1 series are written in)."""
    owner = owner.strip().lower()
    series_of: dict[str, list[Series]] = defaultdict(list)
    one_offs = groups = unreadable = 0
    names: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for series in observed:
        if series.status == "CANCELLED" or series.all_day or series.out_of_office:
            continue
        people = participants(series)
        seen.update(people)
        if owner not in people:
            continue
        names.update(a.name.strip() for a in series.attendees
                     if a.email == owner and a.name.strip() and "@" not in a.name)
        if series.broken:
            unreadable += 1
            continue
        other = other_person(series, owner)
        if other is None:
            groups += len(people) > 2
        elif series.rrule:
            series_of[other].append(series)
        else:
            one_offs += 1
    zone, zone_check = _timezone(timezone, [s for found in series_of.values() for s in found])
    live: list[Entry] = []
    ended: list[Entry] = []
    for email, found in series_of.items():
        running = [s for s in found if planner.is_live(s, now)]
        if running:
            live.append(entry(_current(running), email, owner, zone, now, len(found) - 1))
        else:
            last = max(found, key=lambda s: _last_date(s, now) or s.start.date())
            ended.append(entry(last, email, owner, zone, now, 0))
    start, end = _working_hours(live)
    likely = seen.most_common(1)[0][0] if seen and owner not in seen else ""
    return Discovery(
        zone, tuple(sorted(live, key=_order)), tuple(sorted(ended, key=_order)), one_offs,
        groups, unreadable, timezone_check=zone_check,
        owner_name=names.most_common(1)[0][0] if names else "", likely_owner=likely,
        work_start=start, work_end=end)


def _order(found: Entry) -> tuple[str, str]:
    return found.name.lower(), found.email


def _current(running: list[Series]) -> Series:
    """Of a person's live series the one that runs on: without an end before the others (a
    split series' newer part, a THISANDFUTURE change), then the latest to start."""
    def key(series: Series) -> tuple[bool, dt.datetime]:
        ends = any(p.split("=")[0] in _ENDS for p in series.rrule.upper().split(";"))
        return not ends, series.start
    return max(running, key=key)


def _timezone(given: str | None, series: list[Series]) -> tuple[str, str]:
    if given:
        return given, ""
    zones = Counter(s.timezone for s in series if s.timezone and _zone(s.timezone) is not None)
    named = [(n, z) for z, n in zones.items() if z not in ("UTC", "Etc/UTC")]
    if named:
        return max(named)[1], ""
    return "UTC", ("no 1:1 series names a time zone: give yours (e.g. Europe/Berlin), "
                   "or run init again with --timezone")


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def entry(series: Series, email: str, owner: str, timezone: str, now: dt.datetime,
          others: int) -> Entry:
    """The roster entry `series` suggests for `email` (the owner's 1:1 partner in it)."""
    zone = _zone(timezone) or ZoneInfo("UTC")
    local = series.start.astimezone(zone)
    checks: dict[str, str] = {}
    name = next((a.name.strip() for a in series.attendees if a.email == email and a.name.strip()),
                "")
    if not name or "@" in name:
        name = _name_from(email)
        checks["name"] = "the calendar gives no name, this one is made from the email"
    role: Role = "report"
    if series.organizer and series.organizer != owner:
        if _MANAGER_TITLE.search(series.summary):
            role = "manager"
            checks["role"] = f"they organize it and its title is '{series.summary}'"
        else:
            checks["role"] = ("they organize this 1:1: if they are your manager, write "
                              "role: manager")
    minutes = max(1, round(series.duration.total_seconds() / 60))
    duration = dt.timedelta(minutes=min(minutes, int(MAX_DURATION.total_seconds() // 60)))
    if dt.timedelta(minutes=minutes) != duration or series.duration <= dt.timedelta(0):
        checks["duration"] = f"the series lasts {series.duration}; the roster allows up to 8h"
    slot = Slot(local.weekday(), local.time().replace(second=0, microsecond=0))
    spoken, week, check = _cadence(series.rrule, local)
    found = Entry(email, name, spoken, dataclasses.replace(slot, week=week),
                  duration, local.date(), role, series.summary, series.uid)
    if not spoken:
        return dataclasses.replace(found, cadence="monthly", checks=checks, refused=check)
    if check:
        checks["cadence"] = check
    if others:
        checks["entry"] = (f"{others} other recurring series with them on the calendar; "
                           "this is the one that runs now")
    if not planner.is_live(series, now):
        last = _last_date(series, now)
        return dataclasses.replace(found, checks=checks, ended=_end_date(series, now) or last,
                                   last_held=last)
    if series.timezone and series.timezone != timezone:
        checks["slot"] = f"the series is kept in {series.timezone} time, the roster in {timezone}"
    ahead = [i for i in series.instances if i.recurrence_id > now and i.status != "CANCELLED"]
    shifts = {i.start - i.recurrence_id for i in ahead}
    if ahead and all(i.moved for i in ahead) and len(shifts) == 1:
        moved = ahead[0].start.astimezone(zone)
        checks["slot"] = (f"its meetings ahead were all moved (to {moved.strftime('%a %H:%M')} "
                          "from " f"{moved.date().isoformat()}, a change to this and future "
                          "meetings); the roster follows the series' own rule")
    found = _adoptable(found, series, timezone, now, checks)
    return dataclasses.replace(found, checks=checks)


def _adoptable(found: Entry, series: Series, timezone: str, now: dt.datetime,
               checks: dict[str, str]) -> Entry:
    """`found`, or its series' own rule as an `rrule:` cadence when only that gives the
    series' dates over the planner's horizon; a check when neither does."""
    if _follows(found, series, timezone, now):
        return found
    raw = _raw_rule(series.rrule)
    if raw:
        literal = dataclasses.replace(found, cadence=f"rrule:{raw}",
                                      slot=dataclasses.replace(found.slot, week=None))
        if _follows(literal, series, timezone, now):
            checks["cadence"] = "the calendar's own rule: no simpler cadence gives its dates"
            return literal
    checks["entry"] = ("its dates cannot be said as a roster cadence in this time zone: "
                       "syncd will leave the series alone and warn rather than adopt it")
    return found


def _follows(found: Entry, series: Series, timezone: str, now: dt.datetime) -> bool:
    try:
        spec = cadence.parse_cadence(found.cadence)
        person = Person(found.name, found.email, spec, found.slot, found.duration,
                        start=found.start)
        return planner.follows_roster(series, person, timezone, now)
    except ValueError:
        return False


def _parts(rrule: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in rrule.upper().split(";"):
        key, sep, value = part.partition("=")
        if sep and key.strip():
            out[key.strip()] = value.strip()
    return out


def _raw_rule(rrule: str) -> str:
    """The series' rule as an `rrule:` cadence body (no end, no time of day), or "" when the
    roster refuses it."""
    parts = {k: v for k, v in _parts(rrule).items() if k not in (*_ENDS, *_TIME_PARTS)}
    body = ";".join(f"{k}={v}" for k, v in parts.items())
    try:
        cadence.parse_cadence(f"rrule:{body}")
    except ValueError:
        return ""
    return body


def _cadence(rrule: str, local: dt.datetime) -> tuple[str, int | None, str]:
    """(cadence words, slot week, why to check it) for a rule starting at `local`."""
    parts = {k: v for k, v in _parts(rrule).items() if k not in (*_ENDS, "WKST")}
    freq = parts.pop("FREQ", "")
    try:
        interval = int(parts.pop("INTERVAL", "1"))
    except ValueError:
        interval = 0
    byday = parts.pop("BYDAY", "")
    day = cadence.DAYS[local.weekday()]
    if freq == "WEEKLY" and not parts and byday in ("", day) and 1 <= interval <= 52:
        words = {1: "weekly", 2: "biweekly"}.get(interval, f"every {interval} weeks")
        return words, None, ""
    if freq == "MONTHLY" and interval in (1, 3):
        nth = _nth(byday, parts.pop("BYSETPOS", ""), day)
        if nth is not None and not parts:
            return ("monthly" if interval == 1 else "quarterly"), nth, ""
    raw = _raw_rule(rrule)
    if raw:
        return f"rrule:{raw}", None, "the calendar's own rule: no simpler cadence fits"
    return "", None, f"its rule {rrule} cannot be written as a roster cadence"


def _nth(byday: str, setpos: str, day: str) -> int | None:
    """Which weekday of the month (1-4, -1 for last) BYDAY (or BYDAY and BYSETPOS) names."""
    match = _NTH_DAY.fullmatch(byday)
    if match is None or match.group(2) != day:
        return None
    number = match.group(1) or setpos
    try:
        nth = int(number)
    except ValueError:
        return None
    if match.group(1) and setpos:
        return None
    return nth if nth in (1, 2, 3, 4, -1) else None


def _occurrences(series: Series, now: dt.datetime) -> list[dt.datetime]:
    """The series' dates up to `now` (an ended series' all of them: expand caps the count)."""
    return cadence.expand(series.rrule, series.start, series.start, now, series.exdates)


def _last_date(series: Series, now: dt.datetime) -> dt.date | None:
    """The day of the series' last meeting up to `now` that was not called off."""
    cancelled = {i.recurrence_id.astimezone(dt.UTC) for i in series.instances
                 if i.status == "CANCELLED"}
    held = [w for w in _occurrences(series, now) if w.astimezone(dt.UTC) not in cancelled]
    return held[-1].date() if held else None


def _end_date(series: Series, now: dt.datetime) -> dt.date | None:
    """The day the series' rule ends (its UNTIL, else its last occurrence)."""
    until = _parts(series.rrule).get("UNTIL", "")
    try:
        return dt.date(int(until[:4]), int(until[4:6]), int(until[6:8]))
    except ValueError:
        found = _occurrences(series, now)
        return found[-1].date() if found else None


def _name_from(email: str) -> str:
    """A readable name from an address: ann.lee@x → Ann Lee."""
    local = email.split("@")[0]
    words = [w for w in re.split(r"[._+-]+", local) if w]
    return " ".join(w.capitalize() for w in words) or email


def _working_hours(entries: list[Entry]) -> tuple[dt.time, dt.time]:
    """Working hours that hold every entry's slot (the config refuses a slot outside them):
    the default 08:00-18:00, widened to the hour where a 1:1 is earlier or later."""
    start, end = WORK_START, WORK_END
    for found in entries:
        begin = dt.datetime.combine(dt.date(2000, 1, 3), found.slot.time)
        finish = begin + found.duration
        if begin.time() < start:
            start = begin.time().replace(minute=0)
        if finish.date() > begin.date():
            end = dt.time(23, 59)
        elif finish.time() > end:
            end = finish.time() if finish.minute == 0 else \
                (finish + dt.timedelta(minutes=60 - finish.minute)).time()
            if end == dt.time(0):
                end = dt.time(23, 59)
    return start, end
