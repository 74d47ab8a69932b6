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

_VERSION = 2


class _Unstorable(Exception):
    """A time whose zone is neither UTC nor an IANA ZoneInfo."""


def _time(moment: dt.datetime) -> list[Any]:
    zone = moment.tzinfo
    key: str | None
    if isinstance(zone, ZoneInfo):
        key = zone.key
    elif zone is dt.UTC:
        key = None  # datetime's own UTC, distinct from ZoneInfo("UTC")
    else:
        raise _Unstorable
    # fold tells the two 02:30s of a DST change apart; isoformat drops it.
    return [moment.replace(tzinfo=None).isoformat(), key, moment.fold]


def _parse_time(value: list[Any]) -> dt.datetime:
    wall, key, fold = value
    zone = dt.UTC if key is None else ZoneInfo(key)
    return dt.datetime.fromisoformat(wall).replace(tzinfo=zone, fold=fold)


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


def _instance(i: Instance) -> list[Any]:
    return [_time(i.recurrence_id), _time(i.start), _time(i.end), i.status,
            _attendees(i.attendees), i.overridden]


def _parse_instance(row: list[Any], seen: _Seen) -> Instance:
    rid, start, end, status, attendees, overridden = row
    return Instance(_parse_time(rid), _parse_time(start), _parse_time(end), status,
                    _parse_attendees(attendees, seen), overridden)


def dump_series(series: tuple[Series, ...]) -> str | None:
    """The series as JSON text, or None when a time's zone cannot be stored faithfully."""
    rows = series_rows(series)
    if rows is None:
        return None
    return json.dumps({"version": _VERSION, "series": rows}, separators=(",", ":"))


def load_series(text: str) -> tuple[Series, ...] | None:
    """The series `dump_series` wrote, or None when the text is from another version."""
    data = json.loads(text)
    if data.get("version") != _VERSION:
        return None
    return series_of_rows(data["series"])


SERIES_VERSION = _VERSION  # of the rows below: a cache holding them keeps it to compare


def series_rows(series: Iterable[Series]) -> list[dict[str, Any]] | None:
    """The series as JSON-ready rows (for a cache that nests them), or None when a time's
    zone cannot be stored faithfully."""
    try:
        return [
            {"uid": s.uid, "summary": s.summary, "start": _time(s.start), "end": _time(s.end),
             "timezone": s.timezone, "rrule": s.rrule, "exdates": [_time(x) for x in s.exdates],
             "attendees": _attendees(s.attendees), "organizer": s.organizer,
             "status": s.status, "description": s.description, "marker": s.marker,
             "notes_url": s.notes_url, "instances": [_instance(i) for i in s.instances],
             "etag": s.etag, "broken": s.broken, "transparent": s.transparent,
             "all_day": s.all_day, "out_of_office": s.out_of_office}
            for s in series
        ]
    except _Unstorable:
        return None


def series_of_rows(rows: list[dict[str, Any]]) -> tuple[Series, ...]:
    """The series `series_rows` gave."""
    seen: _Seen = {}
    return tuple(
        Series(
            uid=r["uid"], summary=r["summary"], start=_parse_time(r["start"]),
            end=_parse_time(r["end"]), timezone=r["timezone"], rrule=r["rrule"],
            exdates=tuple(_parse_time(x) for x in r["exdates"]),
            attendees=_parse_attendees(r["attendees"], seen), organizer=r["organizer"],
            status=r["status"], description=r["description"], marker=r["marker"],
            notes_url=r["notes_url"],
            instances=tuple(_parse_instance(i, seen) for i in r["instances"]),
            etag=r["etag"], broken=r["broken"], transparent=r["transparent"],
            all_day=r["all_day"], out_of_office=r["out_of_office"],
        )
        for r in rows
    )


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
