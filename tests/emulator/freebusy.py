"""Calendar v3 `freebusy.query`: merged busy ranges per calendar, errors for unseen ones.

Behaviour, per https://developers.google.com/calendar/api/v3/reference/freebusy/query:
- the answer is `{"kind": "calendar#freeBusy", "timeMin", "timeMax", "calendars": {id:
  {"busy": [{"start", "end"}]}}}`, times in the request's `timeZone` (default UTC);
- a calendar whose free/busy the caller cannot see, or that does not exist, is not a
  failed request: its entry carries `"errors": [{"domain": "global", "reason":
  "notFound"}]` and no busy time, and the other calendars are answered as usual (the
  `errors` field is "Optional error(s) (if computation for the calendar failed)").
  Unknown is therefore not free, and callers must read `errors`.
- busy ranges do not overlap: adjacent and overlapping events are merged (as in the
  recorded responses quoted in public code, e.g. `"busy": [{"start":
  "2018-10-20T02:30:00Z", "end": "2018-10-20T04:30:00Z"}, {"start":
  "2018-10-20T05:30:00Z", …}]`);
- events marked free (`transparency: transparent`), cancelled ones and ones the
  calendar's owner declined do not make the calendar busy.
Calendars of other people are seeded through `/_emulator/state` with their email as id;
`"freeBusyVisible": false` on a seeded calendar stands for a colleague who shares nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.emulator import calendar
from tests.emulator.call import Call, Reply, registry
from tests.emulator.errors import invalid
from tests.emulator.store import Calendar, Store
from tests.emulator.times import format_datetime, query_instant, zone

HANDLERS, _register = registry()
Json = dict[str, Any]
# "The maximal number of calendars for which FreeBusy information is to be provided.
# Optional. Maximum value is 50." (calendarExpansionMax, FreeBusyRequest)
_MAX_ITEMS = 50


@_register("calendar.freebusy.query")
def _query(call: Call) -> Reply:
    body = call.body or {}
    for name in ("timeMin", "timeMax"):
        if name not in body:
            raise invalid(f"Missing {name} parameter.", name, "required")
    low = query_instant("timeMin", body["timeMin"])
    high = query_instant("timeMax", body["timeMax"])
    if low > high:
        raise invalid("The specified time range is empty.", "timeMax", "timeRangeEmpty")
    items = body.get("items", [])
    if len(items) > _MAX_ITEMS:
        raise invalid("Too many calendars requested.", "items", "tooManyCalendarsRequested")
    out_zone = zone(body.get("timeZone", "UTC"))
    answer: Json = {}
    for item in items:
        ident = item["id"]
        cal = _visible(call.store, ident)
        if cal is None:
            answer[ident] = {"errors": [{"domain": "global", "reason": "notFound"}], "busy": []}
            continue
        answer[ident] = {"busy": [
            {"start": format_datetime(start, out_zone), "end": format_datetime(end, out_zone)}
            for start, end in _busy(call.store, cal, low, high)]}
    return Reply(body={"kind": "calendar#freeBusy", "timeMin": format_datetime(low, out_zone),
                       "timeMax": format_datetime(high, out_zone), "calendars": answer})


def _visible(store: Store, ident: str) -> Calendar | None:
    key = store.owner if ident == "primary" else ident
    cal = store.calendars.get(key)
    if cal is None or not cal.free_busy_visible:
        return None
    return cal


def _busy(store: Store, cal: Calendar, low: datetime, high: datetime) -> list[
        tuple[datetime, datetime]]:
    owner = cal.id
    ranges = []
    for event in calendar.instances_between(store, cal, low, high):
        if event.get("status") == "cancelled" or event.get("transparency") == "transparent":
            continue
        if any(a.get("email") == owner and a.get("responseStatus") == "declined"
               for a in event.get("attendees", [])):
            continue
        start, end = calendar.bounds(event, zone(cal.time_zone))
        ranges.append((max(start, low), min(end, high)))
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
