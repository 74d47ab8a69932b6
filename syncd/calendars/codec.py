"""Series as JSON, so a feed that did not change is not parsed again in a new process;
and the versioned JSON every calendar cache is kept in.

Times keep their IANA zone: a rule is expanded in the wall time of its start, so
a fixed offset would be wrong after the next DST change. A time in any other
kind of zone (a feed's own VTIMEZONE that is not an IANA name) cannot be stored
faithfully: `dump_series` then returns None and the feed is simply parsed again.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from syncd.core.model import Attendee, Instance, Series

_VERSION = 3

# A time inside a series is mostly on the wall clock of the series' own start (its home
# zone), to the second, not the second 02:30 of a DST change: such a time is kept as one
# integer, the wall-clock seconds since 1970-01-01 00:00, and read back by adding them to
# that midnight in the home zone (aware arithmetic is wall-clock arithmetic, fold 0).
# Any other time is kept whole. Most instances are the rule's slot as the master sets it
# (start at the slot, the master's length, status and guests, no override): such an
# instance is kept as that one integer too. Both shortcuts are taken only when reading
# them back gives exactly what was stored (see `_instance`).
_EPOCH = dt.datetime(1970, 1, 1)
_SECOND = dt.timedelta(seconds=1)


class _Unstorable(Exception):
    """A time whose zone is neither UTC nor an IANA ZoneInfo."""


def _zone_key(moment: dt.datetime) -> str | None:
    zone = moment.tzinfo
    if isinstance(zone, ZoneInfo):
        return zone.key
    if zone is dt.UTC:
        return None  # datetime's own UTC, distinct from ZoneInfo("UTC")
    raise _Unstorable


def _time(moment: dt.datetime) -> list[Any]:
    # fold tells the two 02:30s of a DST change apart; isoformat drops it.
    return [moment.replace(tzinfo=None).isoformat(), _zone_key(moment), moment.fold]


def _parse_time(value: list[Any]) -> dt.datetime:
    wall, key, fold = value
    zone = dt.UTC if key is None else ZoneInfo(key)
    return dt.datetime.fromisoformat(wall).replace(tzinfo=zone, fold=fold)


class _Home:
    """Times of one series against its home zone: the zone of its start."""

    def __init__(self, start: dt.datetime) -> None:
        self.key = _zone_key(start)
        self.midnight = _EPOCH.replace(tzinfo=start.tzinfo)

    def time(self, moment: dt.datetime) -> int | list[Any]:
        """The seconds form when it reads back as `moment` exactly, else the whole form."""
        if moment.fold == 0 and moment.microsecond == 0 and _zone_key(moment) == self.key:
            since = moment.replace(tzinfo=None) - _EPOCH
            return since.days * 86400 + since.seconds
        return _time(moment)

    def parse(self, value: int | list[Any]) -> dt.datetime:
        """The time `time` gave."""
        if isinstance(value, int):
            return self.midnight + _SECOND * value
        return _parse_time(value)


def _attendees(attendees: tuple[Attendee, ...]) -> list[list[str]]:
    return [[a.email, a.name, a.partstat, a.cutype] for a in attendees]


# Decoding memo: a calendar names the same few guests on every instance (a year of history
# is tens of thousands of rows), and an Attendee is immutable, so one object serves them all.
_Seen = dict[tuple[str, ...], Attendee]


def _parse_attendees(rows: list[list[str]], seen: _Seen) -> tuple[Attendee, ...]:
    out = []
    for row in rows:
        key = tuple(row)
        found = seen.get(key)
        if found is None:
            found = seen[key] = Attendee(*row)
        out.append(found)
    return tuple(out)


def _same(a: dt.datetime, b: dt.datetime) -> bool:
    """Equal and shown the same way (zone and fold too), as `==` alone does not check."""
    return a == b and a.tzinfo is b.tzinfo and a.fold == b.fold


def _instance(i: Instance, s: Series, home: _Home) -> int | list[Any]:
    rid = home.time(i.recurrence_id)
    if (isinstance(rid, int) and not i.overridden and i.status == s.status
            and i.attendees == s.attendees):
        # Read back as the slot the master sets: compare with exactly that.
        slot = home.parse(rid)
        if _same(i.recurrence_id, slot) and _same(i.start, slot) and _same(
                i.end, slot + s.duration):
            return rid
    return [rid, home.time(i.start), home.time(i.end), i.status, _attendees(i.attendees),
            i.overridden]


def _parse_instance(row: int | list[Any], plain: tuple[str, tuple[Attendee, ...], dt.timedelta],
                    home: _Home, seen: _Seen) -> Instance:
    if isinstance(row, int):
        status, attendees, duration = plain
        slot = home.midnight + _SECOND * row
        return Instance(slot, slot, slot + duration, status, attendees, False)
    rid, start, end, status, attendees, overridden = row
    return Instance(home.parse(rid), home.parse(start), home.parse(end), status,
                    _parse_attendees(attendees, seen), overridden)


def dump_series(series: tuple[Series, ...]) -> str | None:
    """The series as JSON text, or None when a time's zone cannot be stored faithfully."""
    rows = series_rows(series)
    if rows is None:
        return None
    return json.dumps({"version": _VERSION, "series": rows}, separators=(",", ":"))


def load_series(text: str) -> tuple[Series, ...] | None:
    """The series `dump_series` wrote, or None when the text is from another version or
    not of this shape (then the caller converts afresh, as without a cache)."""
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("version") != _VERSION:
            return None
        return series_of_rows(data["series"])
    except (KeyError, TypeError, ValueError, IndexError, OverflowError, AttributeError):
        return None


SERIES_VERSION = _VERSION  # of the rows below: a cache holding them keeps it to compare


def _row(s: Series) -> dict[str, Any]:
    home = _Home(s.start)
    return {"uid": s.uid, "summary": s.summary, "start": _time(s.start),
            "end": home.time(s.end), "timezone": s.timezone, "rrule": s.rrule,
            "exdates": [home.time(x) for x in s.exdates], "attendees": _attendees(s.attendees),
            "organizer": s.organizer, "status": s.status, "description": s.description,
            "marker": s.marker, "notes_url": s.notes_url,
            "instances": [_instance(i, s, home) for i in s.instances], "etag": s.etag,
            "broken": s.broken, "transparent": s.transparent, "all_day": s.all_day,
            "out_of_office": s.out_of_office}


def series_rows(series: Iterable[Series]) -> list[dict[str, Any]] | None:
    """The series as JSON-ready rows (for a cache that nests them), or None when a time's
    zone cannot be stored faithfully."""
    try:
        return [_row(s) for s in series]
    except _Unstorable:
        return None


def _series(r: dict[str, Any], seen: _Seen) -> Series:
    start = _parse_time(r["start"])
    home = _Home(start)
    end = home.parse(r["end"])
    attendees = _parse_attendees(r["attendees"], seen)
    plain = (r["status"], attendees, end - start)
    return Series(
        uid=r["uid"], summary=r["summary"], start=start, end=end, timezone=r["timezone"],
        rrule=r["rrule"], exdates=tuple(home.parse(x) for x in r["exdates"]),
        attendees=attendees, organizer=r["organizer"], status=r["status"],
        description=r["description"], marker=r["marker"], notes_url=r["notes_url"],
        instances=tuple(_parse_instance(i, plain, home, seen) for i in r["instances"]),
        etag=r["etag"], broken=r["broken"], transparent=r["transparent"],
        all_day=r["all_day"], out_of_office=r["out_of_office"],
    )


def series_of_rows(rows: list[dict[str, Any]]) -> tuple[Series, ...]:
    """The series `series_rows` gave."""
    seen: _Seen = {}
    return tuple(_series(r, seen) for r in rows)


def dump_cache(version: int, fields: dict[str, Any]) -> str:
    """A calendar cache as JSON text, marked with the version of its shape."""
    return json.dumps({"version": version, **fields}, separators=(",", ":"))


def load_cache(text: str, version: int) -> dict[str, Any] | None:
    """The fields `dump_cache` wrote, or None when the text is from another version (or
    not a cache at all): a cache that cannot be trusted is an empty one, and the next
    read starts afresh."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.pop("version", None) != version:
        return None
    return data
