"""Expanding a recurring event's RRULE/RDATE/EXDATE lines into original start times.

Rules run on the wall time of the event's `start.timeZone` (dateutil keeps the wall time and
zoneinfo supplies each date's offset), so a 10:00 Berlin meeting stays at 10:00 across DST.
Expansion is bounded by the caller's horizon and by MAX_INSTANCES, so a hostile rule
(`FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30`) ends quickly.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import MAXYEAR, UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from itertools import islice

from dateutil.rrule import rrule, rrulestr

from tests.emulator.times import When, stored_zone, zone

MAX_INSTANCES = 5000
# How far past the window anchor an unbounded query expands (Google bounds it too).
HORIZON = timedelta(days=3 * 366)
_FREQUENCIES = {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}


class RecurrenceError(ValueError):
    """A recurrence line Google would reject."""


def check(start: When, lines: list[str]) -> None:
    """Raise RecurrenceError if the lines cannot be expanded from `start`."""
    occurrences(start, lines, UTC, until=start.start_in(UTC) + timedelta(days=1))


def occurrences(
    start: When, lines: list[str], tz: tzinfo, *, until: datetime, since: datetime | None = None
) -> list[When]:
    """Original starts of the series in [since, until), oldest first, at most MAX_INSTANCES.

    `tz` places all-day occurrences on the time line (midnight in the calendar's zone).
    """
    if start.all_day:
        assert start.day is not None
        first: datetime = datetime.combine(start.day, time())
        bound = until.astimezone(tz).replace(tzinfo=None)
        floor = since.astimezone(tz).replace(tzinfo=None) if since else first
    else:
        assert start.instant is not None
        # A seeded master may carry an offset but no timeZone: its wall time is then the
        # calendar's (`tz`), as for its other times.
        first = start.instant.astimezone(stored_zone(start.zone_name) if start.zone_name
                                         else tz)
        bound = until
        floor = since or first
    rules: list[Iterator[datetime]] = []
    extra: list[datetime] = []
    excluded: set[datetime] = set()
    excluded_days: set[date] = set()
    for line in lines:
        name, params, value = _split(line)
        if name == "RRULE":
            rules.append(_rule(value, first, bound, start))
        elif name in ("RDATE", "EXDATE"):
            values = _dates(params, value, start)
            if name == "RDATE":
                moments = [v for v in values if isinstance(v, datetime)]
                if len(moments) != len(values):
                    raise RecurrenceError("RDATE;VALUE=DATE on a timed event")
                extra.extend(moments)
            else:
                excluded.update(v for v in values if isinstance(v, datetime))
                excluded_days.update(v for v in values if not isinstance(v, datetime))
        else:
            raise RecurrenceError(f"unsupported recurrence line {line!r}")
    merged = heapq.merge(*rules, iter(sorted(extra)))
    found: list[When] = []
    previous: datetime | None = None
    for moment in merged:
        if moment >= bound or len(found) >= MAX_INSTANCES:
            break
        if moment == previous or moment in excluded or moment < floor:
            continue
        previous = moment
        if moment.date() in excluded_days:
            continue
        if start.all_day:
            found.append(When(day=moment.date(), zone_name=start.zone_name))
        else:
            found.append(When(instant=moment.astimezone(UTC), zone_name=start.zone_name))
    return found


def _split(line: str) -> tuple[str, dict[str, str], str]:
    head, sep, value = line.partition(":")
    if not sep or not value:
        raise RecurrenceError(f"malformed recurrence line {line!r}")
    name, *raw_params = head.split(";")
    params: dict[str, str] = {}
    for raw in raw_params:
        key, eq, param = raw.partition("=")
        if not eq:
            raise RecurrenceError(f"malformed parameter in {line!r}")
        params[key.upper()] = param
    return name.upper(), params, value


def _rule(value: str, first: datetime, bound: datetime, start: When) -> Iterator[datetime]:
    parts: dict[str, str] = {}
    for part in value.split(";"):
        key, eq, part_value = part.partition("=")
        if not eq or not part_value or key.upper() in parts:
            raise RecurrenceError(f"malformed RRULE part {part!r}")
        parts[key.upper()] = part_value.upper()
    if parts.get("FREQ") not in _FREQUENCIES:
        raise RecurrenceError(f"unsupported FREQ in {value!r}")
    count_text = parts.pop("COUNT", None)
    until_text = parts.pop("UNTIL", None)
    if count_text is not None and until_text is not None:
        raise RecurrenceError("COUNT and UNTIL together")
    until = bound if until_text is None else min(bound, _until(until_text, start, first))
    text = ";".join(f"{k}={v}" for k, v in parts.items())
    parsed = _parse(text, first)
    if _never_occurs(text, first.replace(tzinfo=None)):
        return iter(())
    # Clamping UNTIL (and counting ourselves) bounds an endless rule by the horizon.
    generated: Iterator[datetime] = iter(parsed.replace(until=until))
    if count_text is not None:
        if not count_text.isdigit() or int(count_text) < 1:
            raise RecurrenceError(f"bad COUNT {count_text!r}")
        generated = islice(generated, int(count_text))
    return generated


def _parse(text: str, first: datetime) -> rrule:
    try:
        parsed = rrulestr(text, dtstart=first)
    except (ValueError, TypeError) as error:
        raise RecurrenceError(str(error)) from None
    assert isinstance(parsed, rrule)
    return parsed


@lru_cache(maxsize=256)
def _never_occurs(text: str, first: datetime) -> bool:
    """True if a rule (without COUNT/UNTIL) has no occurrence at all.

    dateutil looks for the next match up to year 9999 and only checks UNTIL on a match, so a
    rule that never matches (`FREQ=DAILY;BYSETPOS=2`) costs seconds. The calendar repeats
    every 400 years (146097 days, a whole number of weeks), so a copy of the rule started
    400*INTERVAL*k years later, close to 9999, matches iff the rule ever matches; probing
    that copy is cheap.
    """
    parts = dict(part.split("=", 1) for part in text.split(";"))
    period = 400 * int(parts.get("INTERVAL", "1"))
    shift = (MAXYEAR - period - first.year) // period * period
    if shift < period:
        return False  # the rule starts too late or steps too far for a cheap probe
    probe = _parse(text, first.replace(year=first.year + shift))
    return next(iter(probe), None) is None


def _until(text: str, start: When, first: datetime) -> datetime:
    """UNTIL in the rule's own terms: aware for timed series, naive midnight for all-day."""
    value = _value(text, first.tzinfo)
    if start.all_day:
        return _midnight(value)
    if isinstance(value, datetime):
        return value
    # A date UNTIL on a timed series includes that whole local day.
    return datetime.combine(value, time(23, 59, 59), first.tzinfo)


def _dates(params: dict[str, str], value: str, start: When) -> list[datetime | date]:
    """RDATE/EXDATE values: datetimes in the rule's terms, or bare dates (whole local days)."""
    if params.get("VALUE", "DATE-TIME") not in ("DATE", "DATE-TIME"):
        raise RecurrenceError(f"unsupported VALUE={params['VALUE']}")
    try:
        tz = zone(params["TZID"]) if "TZID" in params else None
    except ValueError as error:
        raise RecurrenceError(str(error)) from None
    if tz is None and start.zone_name and not start.all_day:
        tz = stored_zone(start.zone_name)  # floating values are in the event's zone
    found: list[datetime | date] = []
    for text in value.split(","):
        parsed = _value(text, tz)
        found.append(_midnight(parsed) if start.all_day else parsed)
    return found


def _value(text: str, tz: tzinfo | None) -> datetime | date:
    """A basic-format DATE or DATE-TIME; a floating DATE-TIME gets `tz` (None: stays naive)."""
    try:
        if len(text) == 8:
            return datetime.strptime(text, "%Y%m%d").date()
        naive = datetime.strptime(text.removesuffix("Z"), "%Y%m%dT%H%M%S")
    except ValueError as error:
        raise RecurrenceError(str(error)) from None
    return naive.replace(tzinfo=UTC if text.endswith("Z") else tz)


def _midnight(value: datetime | date) -> datetime:
    """All-day series run on naive midnights."""
    day = value.date() if isinstance(value, datetime) else value
    return datetime.combine(day, time())


def instance_suffix(original: When) -> str:
    """The part after `_` in an instance id: UTC `YYYYMMDDTHHMMSSZ`, or `YYYYMMDD` all-day."""
    if original.day is not None:
        return original.day.strftime("%Y%m%d")
    assert original.instant is not None
    return original.instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
