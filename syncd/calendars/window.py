"""What every calendar reader needs that takes no iCalendar: the zone a name means, and
a series read for a wider window trimmed to the one asked for (a local calendar whose
files did not change is read without loading iCalendar at all)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from syncd.core.model import Instance, Series


def zone_named(key: str) -> ZoneInfo | None:
    """The IANA zone called `key`, or None when there is no such zone."""
    if not key:
        return None
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def within(series: Series, start: dt.datetime, end: dt.datetime) -> Series:
    """`series` with only the instances between start and end (read from a wider window)."""
    return dataclasses.replace(
        series, instances=tuple(i for i in series.instances if overlaps(i, start, end)))


def overlaps(instance: Instance, start: dt.datetime, end: dt.datetime) -> bool:
    """Whether the instance lies (partly) between start and end."""
    # Zero-length events at the very start of the window count as inside it.
    return instance.start < end and (instance.end > start or instance.start >= start)
