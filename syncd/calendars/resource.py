"""One series as one iCalendar resource (its master plus a person's overrides).

CalDAV stores a recurring event as one resource holding every VEVENT of its UID, so
syncd writes a new series whole and changes only the master of an existing one; the
overrides a person made (moved or cancelled instances, declines) stay as they were.
The VEVENT itself is the one the local calendar writes.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar

from syncd.calendars.base import CalendarError
from syncd.calendars.ical import (
    check_depth,
    floating_zone,
    master_of,
    name_anonymous_events,
    series_from_calendar,
    uid_of,
)
from syncd.calendars.vevent import calendar_bytes, patch_master, series_event
from syncd.calendars.window import zone_named
from syncd.core.model import Series, SeriesPatch, SeriesSpec


def parse(raw: bytes) -> icalendar.Calendar:
    """The VCALENDAR in `raw`; ValueError when it is not one."""
    calendar = icalendar.Calendar.from_ical(raw)
    if not isinstance(calendar, icalendar.Calendar):
        raise ValueError("not a VCALENDAR")
    check_depth(calendar)
    return calendar


def new_resource(spec: SeriesSpec) -> bytes:
    """The resource of a new series: its master VEVENT and the VTIMEZONE it uses."""
    zone = zone_named(spec.timezone)
    if zone is None:
        raise CalendarError(f"unknown time zone {spec.timezone!r}")
    return calendar_bytes([series_event(spec, zone)])


def patched(raw: bytes, uid: str, patch: SeriesPatch, default_zone: ZoneInfo) -> bytes:
    """`raw` with `patch` applied to the master of `uid`; every other component kept.

    Raises CalendarError when the resource holds no master for `uid` (`raw` was read
    before, so it parses).
    """
    calendar = parse(raw)
    master = master_of([e for e in calendar.walk("VEVENT") if uid_of(e) == uid])
    if master is None:
        raise CalendarError(f"event {uid} has only changed instances, no series to change")
    patch_master(master, patch, floating_zone(calendar, default_zone))
    return bytes(calendar.to_ical())


def series_in(raw: bytes, name: str, etag: str, start: dt.datetime, end: dt.datetime,
              default_zone: ZoneInfo) -> list[Series]:
    """The series of the resource `name` with their instances between start and end.

    Raises ValueError when the resource is not iCalendar (the read must then fail).
    """
    calendar = parse(raw)
    name_anonymous_events(calendar, name)
    return series_from_calendar(calendar, start, end, default_zone, lambda _: etag)
