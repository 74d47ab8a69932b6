"""Cadence specs → RFC 5545 rules → expected occurrences, in local wall-clock time.

Rules are expanded on naive local datetimes and only then given the person's
zone, so a 10:00 Europe/Berlin weekly stays at 10:00 local across DST changes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
from collections.abc import Iterable, Iterator
from zoneinfo import ZoneInfo

from dateutil import rrule as du

from syncd.core.model import Cadence, Pause, Person, Slot

DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_EVERY = re.compile(r"every\s+(\d+)\s+weeks?")
# Parts a raw rule may not carry: the slot gives the time, syncd owns the end.
_FORBIDDEN_PARTS = ("DTSTART", "UNTIL", "COUNT", "BYHOUR", "BYMINUTE", "BYSECOND")
_ALLOWED_FREQ = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
# Enough occurrences to tell one schedule from another, bounded for hostile rules.
_MAX_EXPANSION = 5000
# An nth weekday of the month: 2TU, -1FR (the fifth at most, either way).
_NTH_DAY = re.compile(r"([+-]?[1-5])(MO|TU|WE|TH|FR|SA|SU)")
_DAY = dt.timedelta(days=1)


def parse_cadence(text: str) -> Cadence:
    """Read a roster cadence; raises ValueError with a one-line reason."""
    spec = " ".join(text.strip().split())
    low = spec.lower()
    if low == "weekly":
        return Cadence("weekly", spec, weeks=1)
    if low == "biweekly":
        return Cadence("every-n-weeks", spec, weeks=2)
    match = _EVERY.fullmatch(low)
    if match:
        weeks = int(match.group(1))
        if not 1 <= weeks <= 52:
            raise ValueError("every N weeks needs N between 1 and 52")
        return Cadence("weekly" if weeks == 1 else "every-n-weeks", spec, weeks=weeks)
    if low == "monthly":
        return Cadence("monthly", spec, months=1)
    if low == "quarterly":
        return Cadence("quarterly", spec, months=3)
    if low.startswith("rrule:"):
        body = spec[len("rrule:"):].strip().upper()
        _check_rrule(body)
        return Cadence("rrule", spec, rrule=body)
    raise ValueError(
        f"unknown cadence {text!r} (weekly, biweekly, every N weeks, monthly, quarterly, rrule:)"
    )


def _check_rrule(body: str) -> None:
    parts = dict(p.partition("=")[::2] for p in body.split(";") if p)
    if parts.get("FREQ") not in _ALLOWED_FREQ:
        raise ValueError("rrule needs FREQ=DAILY, WEEKLY, MONTHLY or YEARLY")
    for name in _FORBIDDEN_PARTS:
        if name in parts:
            raise ValueError(f"rrule may not set {name} (the slot and syncd decide it)")
    try:
        rule = du.rrulestr(body, dtstart=dt.datetime(2026, 1, 1, 12, 0))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"rrule does not parse: {exc}") from exc
    if rule.after(dt.datetime(2026, 1, 1)) is None:
        raise ValueError("rrule never occurs")


def rrule_text(cadence: Cadence, slot: Slot) -> str:
    """The RRULE value for a cadence at a slot (without DTSTART)."""
    day = DAYS[slot.day]
    if cadence.kind == "rrule":
        return cadence.rrule
    if cadence.weeks:
        interval = f";INTERVAL={cadence.weeks}" if cadence.weeks > 1 else ""
        return f"FREQ=WEEKLY{interval};BYDAY={day}"
    nth = slot.week if slot.week is not None else 1
    interval = f";INTERVAL={cadence.months}" if cadence.months > 1 else ""
    return f"FREQ=MONTHLY{interval};BYDAY={nth}{day}"


def interval_days(cadence: Cadence) -> float:
    """Typical days between two occurrences (for grace windows and overdue checks)."""
    if cadence.weeks:
        return 7.0 * cadence.weeks
    if cadence.months:
        return 30.44 * cadence.months
    starts = _naive_rule(cadence.rrule, dt.datetime(2026, 1, 1, 12, 0)).between(
        dt.datetime(2026, 1, 1), dt.datetime(2028, 1, 1), inc=True
    )[:_MAX_EXPANSION]
    if len(starts) < 2:
        return 365.0
    return (starts[-1] - starts[0]).total_seconds() / 86400 / (len(starts) - 1)


def _naive_rule(body: str, dtstart: dt.datetime) -> du.rrule:
    rule = du.rrulestr(body, dtstart=dtstart, ignoretz=True)
    assert isinstance(rule, du.rrule)
    return rule


def first_start(person: Person, anchor: dt.date, timezone: str) -> dt.datetime:
    """The first occurrence of the person's cadence on or after `anchor`, aware.

    The phase follows from it: a biweekly series counts weeks from that day, a
    quarterly one months from that month.
    """
    slot = person.fixed_slot
    body = rrule_text(person.cadence, slot)
    earliest = dt.datetime.combine(anchor, slot.time)
    if person.cadence.months:
        # Try the anchor's month, then the next ones: the first month holding a slot
        # on or after the anchor sets the phase.
        for offset in range(12):
            month = (anchor.month - 1 + offset) % 12 + 1
            year = anchor.year + (anchor.month - 1 + offset) // 12
            seed = dt.datetime.combine(dt.date(year, month, 1), slot.time)
            first = _naive_rule(body, seed).after(seed, inc=True)
            if first is not None and first >= earliest:
                return first.replace(tzinfo=ZoneInfo(timezone))
        raise ValueError(f"{person.email}: cadence never occurs after {anchor}")
    seed = earliest
    if person.cadence.kind != "rrule":
        # Week-based phases start from the first slot day on or after the anchor.
        seed += dt.timedelta(days=(slot.day - anchor.weekday()) % 7)
    weeks = _one_day_a_week(body, seed, seed)
    found = next(weeks, None) if weeks is not None else _naive_rule(body, seed).after(
        seed, inc=True)
    if found is None:
        raise ValueError(f"{person.email}: cadence never occurs after {anchor}")
    return found.replace(tzinfo=ZoneInfo(timezone))


def expand(
    rrule: str, dtstart: dt.datetime, start: dt.datetime, end: dt.datetime,
    exdates: Iterable[dt.datetime] = (),
) -> list[dt.datetime]:
    """Occurrences of `rrule` from aware `dtstart` in [start, end), keeping local wall time."""
    zone = dtstart.tzinfo
    local = dtstart.replace(tzinfo=None)
    if not rrule:
        return [dtstart] if start <= dtstart < end else []
    # Pad by a day either side: the bounds are instants, the rule runs on wall time.
    lo = start.astimezone(zone).replace(tzinfo=None) - _DAY
    hi = end.astimezone(zone).replace(tzinfo=None) + _DAY
    # A wall time two days inside the bounds is inside them as an instant too (a zone's
    # offsets differ by less than two days): only those nearer the bounds are compared.
    inside = (lo + 3 * _DAY, hi - 3 * _DAY)
    wall_rule = _until_on_wall_time(rrule, zone)
    skipped = {x.astimezone(dt.UTC) for x in exdates}
    weekly = _weekly_shape(wall_rule)
    monthly = None if weekly is not None else _monthly_shape(wall_rule)
    if weekly is not None:
        found = _every_few_weeks(weekly, local, max(lo, local), hi, inside, zone)
    elif monthly is not None:
        found = _every_few_months(monthly, local, max(lo, local), hi, inside, zone)
    else:
        rule = _naive_rule(wall_rule, _fast_forward(rrule, local, lo))
        found = []
        for naive in rule.xafter(max(lo, local), count=_MAX_EXPANSION, inc=True):
            if naive > hi:
                break
            found.append((naive.replace(tzinfo=zone), inside[0] <= naive <= inside[1]))
    return [when for when, sure in found if (sure or start <= when < end) and not (
        skipped and when.astimezone(dt.UTC) in skipped)]


def _every_few_weeks(
    shape: tuple[int, int | None, int, dt.datetime | None], dtstart: dt.datetime,
    since: dt.datetime, hi: dt.datetime, inside: tuple[dt.datetime, dt.datetime],
    zone: dt.tzinfo | None,
) -> list[tuple[dt.datetime, bool]]:
    """(occurrence, whether its wall time lies in `inside`) for each occurrence in [since,
    hi] (wall time) of a rule of `_weekly_shape`, from naive `dtstart`, given `zone`: what
    `_one_day_a_week` walks, counted out instead (as many, at most _MAX_EXPANSION)."""
    weeks, _, _, until = shape
    step = dt.timedelta(weeks=weeks)
    first = _first_week(shape, dtstart, since)
    last = hi if until is None else min(hi, until)
    if first > last:
        return []
    count = min((last - first) // step + 1, _MAX_EXPANSION)
    # Aware plus a timedelta is wall-clock arithmetic, fold 0: the same as adding to the
    # naive time and giving it the zone then.
    origin = first.replace(tzinfo=zone)
    sure_from = max(0, -((first - inside[0]) // step))
    sure_to = (inside[1] - first) // step + 1
    return [(origin + step * k, sure_from <= k < sure_to) for k in range(count)]


def _every_few_months(
    shape: tuple[int, int, int, dt.datetime | None], dtstart: dt.datetime,
    since: dt.datetime, hi: dt.datetime, inside: tuple[dt.datetime, dt.datetime],
    zone: dt.tzinfo | None,
) -> list[tuple[dt.datetime, bool]]:
    """(occurrence, whether its wall time lies in `inside`) for each occurrence in [since,
    hi] (wall time) of a rule of `_monthly_shape` from naive `dtstart`, given `zone`: the
    nth weekday of every Nth month from the start's, at its time of day (dateutil drops
    microseconds), a month without that weekday skipped; what dateutil gives, computed."""
    months, nth, weekday, until = shape
    last = hi if until is None else min(hi, until)
    at = dtstart.time().replace(microsecond=0)
    first_month = dtstart.year * 12 + dtstart.month - 1
    # The first month of the rule's phase that can hold an occurrence on or after `since`.
    month = first_month + months * max(
        0, -(-(since.year * 12 + since.month - 1 - first_month) // months))
    found: list[tuple[dt.datetime, bool]] = []
    while len(found) < _MAX_EXPANSION:
        year, index = divmod(month, 12)
        if year > dt.MAXYEAR or dt.datetime(year, index + 1, 1) > last:
            break
        day = _nth_weekday(year, index + 1, nth, weekday)
        if day is not None:
            when = dt.datetime.combine(day, at)
            if when > last:
                break
            if when >= since:
                found.append((when.replace(tzinfo=zone), inside[0] <= when <= inside[1]))
        month += months
    return found


def _nth_weekday(year: int, month: int, nth: int, weekday: int) -> dt.date | None:
    """The nth (from the end when negative) `weekday` of the month, None if it has none."""
    if nth > 0:
        first = dt.date(year, month, 1)
        day = first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))
    else:
        following = dt.date(year + month // 12, month % 12 + 1, 1)
        end = following - _DAY
        day = end - dt.timedelta(days=(end.weekday() - weekday) % 7 + 7 * (-nth - 1))
    return day if day.month == month else None


@functools.lru_cache(maxsize=256)
def _monthly_shape(rrule: str) -> tuple[int, int, int, dt.datetime | None] | None:
    """(months between, nth (negative from the end), weekday, wall-time UNTIL) of a rule
    that is one nth weekday every N months (every monthly roster cadence), else None."""
    simple = _one_day_rule(rrule, "MONTHLY")
    if simple is None:
        return None
    parts, interval, until = simple
    byday = _NTH_DAY.fullmatch(parts.get("BYDAY", ""))
    if byday is None:
        return None
    return interval, int(byday[1]), DAYS.index(byday[2]), until


def _one_day_rule(rrule: str, freq: str) -> tuple[dict[str, str], int,
                                                   dt.datetime | None] | None:
    """(its parts, its interval, its wall-time UNTIL) of a rule of frequency `freq` with
    no parts but INTERVAL, BYDAY, WKST and UNTIL, well formed; else None."""
    parts = dict(p.partition("=")[::2] for p in rrule.upper().split(";") if p)
    if parts.get("FREQ") != freq or not set(parts) <= {"FREQ", "INTERVAL", "BYDAY", "WKST",
                                                       "UNTIL"}:
        return None
    interval = parts.get("INTERVAL", "1")
    if not interval.isdigit() or int(interval) < 1:
        return None
    until = None
    if "UNTIL" in parts:
        try:
            until = dt.datetime.strptime(parts["UNTIL"], "%Y%m%dT%H%M%S")
        except ValueError:
            return None
    return parts, int(interval), until


def _one_day_a_week(
    rrule: str, dtstart: dt.datetime, since: dt.datetime,
) -> Iterator[dt.datetime] | None:
    """The occurrences on or after `since` (>= `dtstart`) of a rule that is one weekday
    every N weeks (every roster cadence but monthly ones), by adding weeks; None for any
    other rule, which dateutil walks. Same results as dateutil: the weeks count from the
    week (by WKST) holding `dtstart`, at its time of day, up to an UNTIL on wall time."""
    shape = _weekly_shape(rrule)
    if shape is None:
        return None
    return _weeks(_first_week(shape, dtstart, since), dt.timedelta(weeks=shape[0]), shape[3])


def _first_week(shape: tuple[int, int | None, int, dt.datetime | None], dtstart: dt.datetime,
                since: dt.datetime) -> dt.datetime:
    """The first occurrence on or after `since` (>= `dtstart`) of a rule of `_weekly_shape`,
    UNTIL aside."""
    weeks, byday, wkst, _ = shape
    step = dt.timedelta(weeks=weeks)
    day = dtstart.weekday() if byday is None else byday
    week = dtstart - dt.timedelta(days=(dtstart.weekday() - wkst) % 7)
    # In the week of `dtstart`, on its phase; `since` (never before `dtstart`) moves it on.
    first = week + dt.timedelta(days=(day - wkst) % 7)
    if first < since:
        first += step * -((first - since) // step)
    return first


@functools.lru_cache(maxsize=256)
def _weekly_shape(rrule: str) -> tuple[int, int | None, int, dt.datetime | None] | None:
    """(weeks between, weekday or None for the start's, WKST, wall-time UNTIL) of a rule
    that is one weekday every N weeks, else None. Remembered: a run asks for the same few
    rule texts thousands of times."""
    simple = _one_day_rule(rrule, "WEEKLY")
    if simple is None:
        return None
    parts, interval, until = simple
    days = {d: n for n, d in enumerate(DAYS)}
    byday = parts.get("BYDAY")
    if (byday is not None and byday not in days) or parts.get("WKST", "MO") not in days:
        return None
    return (interval, None if byday is None else days[byday], days[parts.get("WKST", "MO")],
            until)


def _weeks(first: dt.datetime, step: dt.timedelta,
           until: dt.datetime | None) -> Iterator[dt.datetime]:
    for index in range(_MAX_EXPANSION):
        when = first + step * index
        if until is not None and when > until:
            return
        yield when


def _fast_forward(rrule: str, dtstart: dt.datetime, lo: dt.datetime) -> dt.datetime:
    """A start for `rrule` whole intervals after `dtstart` and at least one interval before
    `lo`, so the rule gives the same occurrences from `lo` on without walking every period
    since `dtstart` (a year-old series is expanded over a few weeks on every run). The
    shift keeps the rule's phase (weeks from WKST, months, years) and the parts dateutil
    takes from the start (weekday, day of month, month, time). `dtstart` itself when no
    shift is safe: a COUNT counts from the first occurrence, sub-daily rules and ambiguous
    days (29th-31st, which not every month or year has) are left as they are."""
    parts = dict(p.partition("=")[::2] for p in rrule.upper().split(";") if p)
    interval_text = parts.get("INTERVAL", "1")
    if "COUNT" in parts or not interval_text.isdigit() or int(interval_text) < 1:
        return dtstart
    interval = int(interval_text)
    freq = parts.get("FREQ")
    if freq in ("DAILY", "WEEKLY"):
        step = interval * (7 if freq == "WEEKLY" else 1)
        periods = (lo - dtstart).days // step - 1
        return dtstart + dt.timedelta(days=step * periods) if periods > 0 else dtstart
    if freq in ("MONTHLY", "YEARLY") and dtstart.day <= 28:
        months = (lo.year - dtstart.year) * 12 + lo.month - dtstart.month
        step = interval * (12 if freq == "YEARLY" else 1)
        periods = months // step - 1
        if periods <= 0:
            return dtstart
        shifted = dtstart.month - 1 + step * periods
        return dtstart.replace(year=dtstart.year + shifted // 12, month=shifted % 12 + 1)
    return dtstart


def _until_on_wall_time(rrule: str, zone: dt.tzinfo | None) -> str:
    """The rule with a UTC UNTIL (…Z) given as the series' wall time: the rule runs on naive
    wall time, where 09:00Z read as 09:00 would leave out a 10:00 CET occurrence it ends on."""
    parts = rrule.split(";")
    for index, part in enumerate(parts):
        key, _, value = part.partition("=")
        if key.upper() == "UNTIL" and value.upper().endswith("Z") and zone is not None:
            try:
                moment = dt.datetime.strptime(value.upper(), "%Y%m%dT%H%M%SZ")
            except ValueError:
                return rrule
            wall = moment.replace(tzinfo=dt.UTC).astimezone(zone)
            parts[index] = f"UNTIL={wall.strftime('%Y%m%dT%H%M%S')}"
    return ";".join(parts)


def in_pause(when: dt.datetime, pauses: Iterable[Pause]) -> Pause | None:
    """The pause covering the local date of `when`, if any."""
    day = when.date()
    return next((p for p in pauses if p.start <= day <= p.end), None)


def expected(
    person: Person, timezone: str, start: dt.datetime, end: dt.datetime, anchor: dt.date
) -> list[dt.datetime]:
    """The person's expected 1:1 starts in [start, end): cadence from the anchor (each
    cadence phase from its own start), pauses removed."""
    split = phases(person, timezone)
    if split is not None:
        (before, cut), after = split
        return (expected(before, timezone, start, min(end, cut), anchor)
                + expected(after, timezone, max(start, cut), end, anchor))
    if person.start is not None:
        anchor = person.start
    first = first_start(person, anchor, timezone)
    rule = rrule_text(person.cadence, person.fixed_slot)
    return [w for w in expand(rule, first, start, end) if in_pause(w, person.pauses) is None]


def switch_day(person: Person) -> dt.date | None:
    """The day a person's `then:` cadence takes over (`after` their start), else None."""
    if person.then is None or person.start is None:
        return None
    return person.start + person.then.after


def phases(person: Person, timezone: str) -> tuple[tuple[Person, dt.datetime], Person] | None:
    """A person with `then:` as two people, one per cadence phase: the first with the
    instant its phase ends (local midnight of the switch day), the second counting its
    cadence from that day. None for a person with one cadence."""
    switch = switch_day(person)
    if person.then is None or switch is None:
        return None
    cut = dt.datetime.combine(switch, dt.time(0), ZoneInfo(timezone))
    before = dataclasses.replace(person, then=None)
    after = dataclasses.replace(person, cadence=person.then.cadence, start=switch, then=None)
    return (before, cut), after


def in_effect(person: Person, day: dt.date) -> Person:
    """The person with the cadence phase that applies on `day`."""
    switch = switch_day(person)
    if person.then is None or switch is None:
        return person
    if day < switch:
        return dataclasses.replace(person, then=None)
    return dataclasses.replace(person, cadence=person.then.cadence, start=switch, then=None)
