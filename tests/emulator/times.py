"""Times as Google writes and reads them: RFC 3339 values and event start/end objects."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tests.emulator.errors import ApiError, invalid

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?"
)


_GMT_OFFSET = re.compile(r"GMT([+-])(\d{2}):(\d{2})")


def zone(name: str) -> ZoneInfo:
    """An IANA zone; ValueError for an unknown name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def stored_zone(name: str) -> tzinfo:
    """The zone of a stored event's time: an IANA name, or a fixed offset named like
    `GMT+03:00`. Events read from real calendars carry such names (issue 11 reports them in
    list answers; Google's own zone picker labels zones "(GMT+03:00) Moscow"), so a seeded
    event may hold one; a write may not (`parse_when`). ValueError for anything else."""
    match = _GMT_OFFSET.fullmatch(name)
    if match is None:
        return zone(name)
    sign = 1 if match[1] == "+" else -1
    return timezone(sign * timedelta(hours=int(match[2]), minutes=int(match[3])), name)


def parse_datetime(text: str, default_zone: tzinfo | None = None) -> datetime:
    """An aware datetime from RFC 3339; without an offset it needs `default_zone`."""
    match = _RFC3339.fullmatch(text)
    if not match:
        raise ValueError(f"not an RFC 3339 date-time: {text!r}")
    year, month, day, hour, minute, second = (int(match[i]) for i in range(1, 7))
    micro = int((match[7] or ".0")[1:7].ljust(6, "0"))
    naive = datetime(year, month, day, hour, minute, second, micro)
    offset = match[8]
    if offset is None:
        if default_zone is None:
            raise ValueError(f"no time zone offset in {text!r}")
        return naive.replace(tzinfo=default_zone)
    if offset in ("Z", "z"):
        return naive.replace(tzinfo=UTC)
    sign = 1 if offset[0] == "+" else -1
    delta = timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6]))
    return naive.replace(tzinfo=UTC) - sign * delta


def format_datetime(instant: datetime, in_zone: tzinfo) -> str:
    """`2026-03-24T10:00:00+01:00` in the given zone, `Z` when the offset is zero (as Google)."""
    local = instant.astimezone(in_zone)
    offset = local.utcoffset() or timedelta()
    if offset == timedelta():
        return local.strftime("%Y-%m-%dT%H:%M:%SZ")
    return local.isoformat(timespec="seconds")


def timestamp(instant: datetime) -> str:
    """A `created`/`updated` value: UTC with milliseconds, like `2026-03-24T09:00:00.000Z`."""
    utc = instant.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def query_instant(name: str, text: str) -> datetime:
    """A timeMin/timeMax/updatedMin value: RFC 3339 with a mandatory offset, else 400."""
    try:
        return parse_datetime(text)
    except ValueError:
        raise invalid(f"Bad Request: {name} must be RFC 3339 with an offset", name,
                      "badRequest") from None


@dataclass(frozen=True)
class When:
    """An event start or end: an instant for timed events, a day for all-day events."""

    instant: datetime | None = None
    day: date | None = None
    zone_name: str | None = None

    @property
    def all_day(self) -> bool:
        """True for a `{date}` value."""
        return self.day is not None

    def start_in(self, tz: tzinfo) -> datetime:
        """The instant this value begins; an all-day value begins at midnight in `tz`."""
        if self.instant is not None:
            return self.instant
        assert self.day is not None
        return datetime.combine(self.day, time(), tz)

    def end_for(self, start: When, original: When) -> When:
        """This end moved along with its `start` to the occurrence starting at `original`."""
        if self.day is not None:
            assert start.day is not None and original.day is not None
            return When(day=original.day + (self.day - start.day), zone_name=self.zone_name)
        assert self.instant is not None and start.instant is not None
        assert original.instant is not None
        return When(instant=original.instant + (self.instant - start.instant),
                    zone_name=self.zone_name)

    def render(self, tz: tzinfo) -> dict[str, Any]:
        """The JSON object, with dateTime written in `tz` (the calendar's or the request's)."""
        if self.day is not None:
            return {"date": self.day.isoformat()}
        assert self.instant is not None
        out: dict[str, Any] = {"dateTime": format_datetime(self.instant, tz)}
        if self.zone_name:
            out["timeZone"] = self.zone_name
        return out


def parse_when(value: Any, which: str, *, written: bool = False) -> When:
    """Read an event's `start`/`end`/`originalStartTime` object; 400 like Google if it is bad.
    A client's write (`written`) must name an IANA zone: Google refuses others ("Invalid time
    zone definition for start time.", recorded in fmeum/ics2gcal#1); a stored (seeded) event
    may carry `GMT+03:00`."""
    if not isinstance(value, dict) or not (value.get("date") or value.get("dateTime")):
        raise ApiError(400, "required", f"Missing {which} time.")
    zone_name = value.get("timeZone")
    tz: tzinfo | None = None
    if zone_name:
        try:
            tz = zone(zone_name) if written else stored_zone(zone_name)
        except ValueError:
            raise invalid(f"Invalid time zone definition for {which} time.") from None
    if value.get("date") and value.get("dateTime"):
        raise invalid(f"Invalid {which} time: give either date or dateTime.")
    if value.get("date"):
        try:
            return When(day=date.fromisoformat(value["date"]), zone_name=zone_name)
        except ValueError:
            raise invalid(f"Invalid {which} time.") from None
    try:
        instant = parse_datetime(value["dateTime"], tz)
    except ValueError:
        if _RFC3339.fullmatch(value["dateTime"]):
            raise ApiError(400, "required",
                           f"Missing time zone definition for {which} time.") from None
        raise invalid(f"Invalid {which} time.") from None
    return When(instant=instant, zone_name=zone_name)
