"""Calendar v3: calendars.get and events.*, with Google's model of recurring events.

A series is one stored master carrying `recurrence`; its instances are generated on read with
ids `{masterId}_{YYYYMMDDTHHMMSSZ}` (UTC original start; `{masterId}_{YYYYMMDD}` all-day).
Writing to an instance id stores an exception event (`recurringEventId`,
`originalStartTime`) that replaces the generated instance; deleting one stores a cancelled
exception. Deleting an event only marks it cancelled, so sync tokens and showDeleted see it.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.emulator.call import Call, Reply, registry
from tests.emulator.errors import ApiError, invalid, not_found
from tests.emulator.recurrence import (
    HORIZON,
    RecurrenceError,
    check,
    instance_suffix,
    occurrences,
)
from tests.emulator.store import Calendar, Store
from tests.emulator.times import (
    When,
    parse_when,
    query_instant,
    stored_zone,
    timestamp,
    zone,
)

Json = dict[str, Any]
HANDLERS, _register = registry()

_CLIENT_ID = re.compile(r"[a-v0-9]{5,1024}")
# Fields the server owns: ignored in request bodies, kept from the stored event.
_SYSTEM = (
    "kind", "etag", "id", "htmlLink", "created", "updated", "creator", "organizer", "iCalUID",
    "recurringEventId", "originalStartTime", "hangoutLink", "attendeesOmitted", "privateCopy",
    "locked",
)
_ALLOWED = {
    "status": {"confirmed", "tentative", "cancelled"},
    "transparency": {"opaque", "transparent"},
    "visibility": {"default", "public", "private", "confidential"},
}
_RESPONSES = {"needsAction", "declined", "tentative", "accepted"}
# A cancelled event in a list carries only what Google guarantees (plus kind and etag).
_CANCELLED_FIELDS = ("kind", "etag", "id", "status", "recurringEventId", "originalStartTime")
_SYNC_EXCLUSIVE = (
    "privateExtendedProperty", "sharedExtendedProperty", "q", "timeMin", "timeMax", "orderBy",
    "iCalUID", "updatedMin",
)
_DEFAULT_PAGE, _MAX_PAGE = 250, 2500
_MAX_ATTACHMENTS = 25
_DRIVE_ID = re.compile(r"/d/([A-Za-z0-9_-]+)|[?&]id=([A-Za-z0-9_-]+)")


@dataclass(frozen=True)
class _Window:
    """timeMin/timeMax: an event overlaps when it ends after low and starts before high."""

    low: datetime | None = None
    high: datetime | None = None

    def overlaps(self, bounds: tuple[datetime, datetime]) -> bool:
        start, end = bounds
        return (self.high is None or start < self.high) and (self.low is None or end > self.low)


@dataclass(frozen=True)
class _Target:
    """The event an id names: a stored one, or an instance generated from its master."""

    event: Json
    stored: bool


# ---------------------------------------------------------------- calendars


@_register("calendar.calendars.get")
def _get_calendar(call: Call) -> Reply:
    cal = call.store.calendar(call.params["calendarId"])
    digest = hashlib.sha1(f"{cal.id}{cal.summary}{cal.time_zone}".encode()).hexdigest()
    return Reply(body={
        "kind": "calendar#calendar",
        "etag": f'"{int(digest[:12], 16)}"',
        "id": cal.id,
        "summary": cal.summary,
        "timeZone": cal.time_zone,
        "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
    })


# ---------------------------------------------------------------- single events


@_register("calendar.events.insert")
def _insert(call: Call) -> Reply:
    store = call.store
    cal = store.calendar(call.params["calendarId"])
    body: Json = call.body or {}
    event_id = body.get("id") or store.new_event_id()
    if not _CLIENT_ID.fullmatch(event_id):
        raise invalid("Invalid resource id value.", "id")
    if event_id in cal.events:
        raise ApiError(409, "duplicate")
    owner = {"email": cal.id, "self": True}
    event = _normalize(store, cal, _fields(call, None, patch=False), organizer=cal.id)
    event.update(
        kind="calendar#event",
        id=event_id,
        htmlLink=_html_link(cal, event_id),
        created=timestamp(store.now()),
        creator=owner,
        organizer=dict(owner),
        iCalUID=body.get("iCalUID") or f"{event_id}@google.com",
        sequence=max(body.get("sequence") or 0, 0),
    )
    _save(store, cal, event)
    return _event_reply(call, cal, event)


@_register("calendar.events.get")
def _get(call: Call) -> Reply:
    cal = call.store.calendar(call.params["calendarId"])
    target = _target(cal, call.params["eventId"])
    if call.header("If-None-Match") == target.event["etag"]:
        return Reply(status=304)
    return _event_reply(call, cal, target.event)


@_register("calendar.events.update")
def _update(call: Call) -> Reply:
    return _write(call, patch=False)


@_register("calendar.events.patch")
def _patch(call: Call) -> Reply:
    return _write(call, patch=True)


@_register("calendar.events.delete")
def _delete(call: Call) -> Reply:
    store = call.store
    cal = store.calendar(call.params["calendarId"])
    current = _target(cal, call.params["eventId"]).event
    if current["status"] == "cancelled":
        raise ApiError(410, "deleted")
    _check_if_match(call, current)
    event = copy.deepcopy(current)
    event["status"] = "cancelled"
    _save(store, cal, event)
    if event.get("recurrence"):
        _prune_exceptions(store, cal, event)
    return Reply(status=204)


def _write(call: Call, *, patch: bool) -> Reply:
    store = call.store
    cal = store.calendar(call.params["calendarId"])
    target = _target(cal, call.params["eventId"])
    current = target.event
    _check_if_match(call, current)
    event = _normalize(
        store, cal, _fields(call, current, patch=patch),
        organizer=current["organizer"]["email"], exception="recurringEventId" in current,
    )
    event.update({key: current[key] for key in _SYSTEM if key in current})
    _check_organizer(cal, current, event)
    event["sequence"] = _sequence(call.body or {}, current, event)
    if not target.stored:
        event["created"] = timestamp(store.now())
    _save(store, cal, event)
    if event.get("recurrence") or current.get("recurrence"):
        _prune_exceptions(store, cal, event)
    return _event_reply(call, cal, event)


# What an attendee may change on their own copy of an event someone else organizes: the
# copy's private properties ("Properties that are private to the copy of the event that
# appears on this calendar", Events resource, extendedProperties.private:
# https://developers.google.com/calendar/api/v3/reference/events), reminders, colour,
# busy/free and their own answer. Everything else is shared with the organizer's event.
_ATTENDEE_WRITABLE = ("reminders", "colorId", "transparency", "sequence")


def _check_organizer(cal: Calendar, current: Json, event: Json) -> None:
    """403 forbiddenForNonOrganizer when a calendar that does not organize the event changes
    a shared property, with Google's message (recorded in answers quoted in
    kewisch/gdata-provider issues #274, #426 and #728)."""
    organizer = current.get("organizer", {})
    if organizer.get("self") or str(organizer.get("email", "")).lower() == cal.id.lower():
        return
    if _shared(current) != _shared(event):
        raise ApiError(403, "forbiddenForNonOrganizer",
                       "Shared properties can only be changed by the organizer of the event.")


def _shared(event: Json) -> Json:
    shared = {k: v for k, v in event.items()
              if k not in _SYSTEM and k not in _ATTENDEE_WRITABLE and k != "extendedProperties"}
    shared["extendedProperties.shared"] = event.get("extendedProperties", {}).get("shared", {})
    shared["attendees"] = [{k: v for k, v in a.items() if k not in ("responseStatus", "comment")}
                           for a in event.get("attendees", [])]
    shared.setdefault("attachments", [])
    return shared


def _fields(call: Call, current: Json | None, *, patch: bool) -> Json:
    """The client-writable fields after applying the body (merged for PATCH, whole for PUT)."""
    body = {k: v for k, v in (call.body or {}).items() if k not in _SYSTEM}
    base = {k: copy.deepcopy(v) for k, v in (current or {}).items() if k not in _SYSTEM}
    merged = _merge_patch(base, body) if patch else body
    merged.pop("sequence", None)  # handled by _sequence
    # A client that did not opt in cannot see these fields, so its writes leave them alone.
    opted_in = {
        "attachments": bool(call.params.get("supportsAttachments")),
        "conferenceData": call.params.get("conferenceDataVersion", 0) >= 1,
    }
    for key, allowed in opted_in.items():
        if not allowed:
            merged.pop(key, None)
            if key in base:
                merged[key] = base[key]
    return merged


def _merge_patch(target: Json, patch: Json) -> Json:
    """Google's PATCH: objects merge recursively, arrays and scalars replace, null clears."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            target[key] = _merge_patch(target[key], value)
        else:
            target[key] = value
    return target


def _normalize(
    store: Store, cal: Calendar, fields: Json, *, organizer: str, exception: bool = False,
    seeding: bool = False,
) -> Json:
    """Check the writable fields like Google does and give them their stored form."""
    event = dict(fields)
    event.setdefault("status", "confirmed")
    for key, allowed in _ALLOWED.items():
        if key in event and event[key] not in allowed:
            raise invalid(f"Invalid {key} value: {event[key]!r}.", key)
    tz = zone(cal.time_zone)
    start = parse_when(event.get("start"), "start", written=not seeding)
    end = parse_when(event.get("end"), "end", written=not seeding)
    if start.all_day != end.all_day:
        raise invalid("Start and end times must either both be date or both be dateTime.")
    if end.start_in(tz) < start.start_in(tz):
        raise invalid("The specified time range is empty.", reason="timeRangeEmpty")
    event["start"], event["end"] = _stored(start, tz), _stored(end, tz)
    if event.get("recurrence"):
        if exception:
            raise invalid("An instance of a recurring event cannot have a recurrence.")
        if not start.all_day and not (start.zone_name and end.zone_name) and not seeding:
            which = "start" if not start.zone_name else "end"
            raise ApiError(400, "required", f"Missing time zone definition for {which} time.")
        try:
            check(start, event["recurrence"])
        except RecurrenceError:
            raise invalid("Invalid recurrence rule.", "recurrence") from None
    else:
        event.pop("recurrence", None)
    if "attendees" in event:
        event["attendees"] = [_attendee(raw, cal.id, organizer) for raw in event["attendees"]]
    if "attachments" in event:
        if len(event["attachments"]) > _MAX_ATTACHMENTS:
            raise invalid(f"An event can have at most {_MAX_ATTACHMENTS} attachments.")
        event["attachments"] = [_attachment(store, raw) for raw in event["attachments"]]
    event.setdefault("reminders", {"useDefault": True})
    event.setdefault("eventType", "default")
    return event


def _stored(when: When, calendar_zone: ZoneInfo) -> Json:
    """Stored start/end: written in the value's own zone, else the calendar's."""
    return when.render(stored_zone(when.zone_name) if when.zone_name else calendar_zone)


def _attendee(raw: Json, calendar_id: str, organizer: str) -> Json:
    email = raw.get("email") or ""
    if "@" not in email:
        raise invalid("Invalid attendee email.", "attendees.email")
    attendee = {k: v for k, v in raw.items() if k not in ("self", "organizer")}
    attendee.setdefault("responseStatus", "needsAction")
    if attendee["responseStatus"] not in _RESPONSES:
        raise invalid("Invalid attendee response status.", "attendees.responseStatus")
    if email.lower() == organizer.lower():
        attendee["organizer"] = True
    if email.lower() == calendar_id.lower():
        attendee["self"] = True
    return attendee


def _attachment(store: Store, raw: Json) -> Json:
    """An attachment; one pointing at a Drive file gets that file's id, title and type."""
    if not raw.get("fileUrl"):
        raise ApiError(400, "required", "Missing attachment fileUrl.", location="attachments")
    attachment = dict(raw)
    match = _DRIVE_ID.search(raw["fileUrl"])
    file = store.files.get(match[1] or match[2]) if match else None
    if file is not None:
        attachment.update(fileId=file["id"], mimeType=file["mimeType"],
                          iconLink=file["iconLink"])
        attachment.setdefault("title", file["name"])
    return attachment


def _sequence(body: Json, current: Json, event: Json) -> int:
    """Google refuses a lower sequence and bumps it when the timing changes."""
    stored = int(current.get("sequence", 0))
    given = body.get("sequence")
    if given is not None and int(given) < stored:
        raise invalid(
            "Invalid sequence value. The specified sequence number is below the current "
            "sequence number of the resource.",
            "sequence",
        )
    sequence = max(stored, int(given or 0))
    timing = ("start", "end", "recurrence")
    return sequence + 1 if any(event.get(k) != current.get(k) for k in timing) else sequence


def _check_if_match(call: Call, current: Json) -> None:
    wanted = call.header("If-Match")
    if wanted is not None and wanted not in ("*", current["etag"]):
        raise ApiError(412, "conditionNotMet", location="If-Match", location_type="header")


def _save(store: Store, cal: Calendar, event: Json) -> None:
    event["updated"] = timestamp(store.now())
    event["etag"] = store.new_etag()
    cal.events[event["id"]] = event
    cal.changed[event["id"]] = store.next_seq()


def _html_link(cal: Calendar, event_id: str) -> str:
    eid = base64.urlsafe_b64encode(f"{event_id} {cal.id}".encode()).decode().rstrip("=")
    return f"https://www.google.com/calendar/event?eid={eid}"


def _event_reply(call: Call, cal: Calendar, event: Json) -> Reply:
    body = _present(event, _response_zone(call, cal), call.params.get("maxAttendees"),
                    listing=False)
    return Reply(body=body, headers={"ETag": event["etag"]})


def _present(event: Json, tz: ZoneInfo, max_attendees: int | None, *, listing: bool) -> Json:
    """The event as Google returns it, with times written in the response's zone."""
    if listing and event["status"] == "cancelled":
        out = {key: copy.deepcopy(event[key]) for key in _CANCELLED_FIELDS if key in event}
    else:
        out = copy.deepcopy(event)
    for key in ("start", "end", "originalStartTime"):
        if key in out:
            out[key] = parse_when(out[key], key).render(tz)
    attendees = out.get("attendees", [])
    if max_attendees is not None and len(attendees) > max_attendees:
        out["attendees"] = [a for a in attendees if a.get("self")]
        out["attendeesOmitted"] = True
    return out


def _response_zone(call: Call, cal: Calendar) -> ZoneInfo:
    name = call.params.get("timeZone") or cal.time_zone
    try:
        return zone(name)
    except ValueError:
        raise invalid(f"Invalid time zone {name!r}.", "timeZone") from None


# ---------------------------------------------------------------- recurring events


def _target(cal: Calendar, event_id: str) -> _Target:
    """The stored event with this id, else the generated instance it names; else 404."""
    if event_id in cal.events:
        return _Target(cal.events[event_id], stored=True)
    master_id, _, suffix = event_id.rpartition("_")
    master = cal.events.get(master_id)
    original = _parse_suffix(suffix)
    if master and master.get("recurrence") and master["status"] != "cancelled" and original:
        found = _occurrence(cal, master, original)
        if found is not None:
            return _Target(_generated(cal, master, found), stored=False)
    raise not_found()


def _parse_suffix(suffix: str) -> When | None:
    try:
        if len(suffix) == 8:
            return When(day=datetime.strptime(suffix, "%Y%m%d").date())
        if len(suffix) == 16:
            moment = datetime.strptime(suffix, "%Y%m%dT%H%M%SZ")
            return When(instant=moment.replace(tzinfo=UTC))
    except ValueError:
        return None
    return None


def _occurrence(cal: Calendar, master: Json, original: When) -> When | None:
    """The series' occurrence starting at `original` (with the master's zone), if any."""
    start = parse_when(master["start"], "start")
    if original.all_day != start.all_day:
        return None
    tz = zone(cal.time_zone)
    at = original.start_in(tz)
    found = occurrences(start, master["recurrence"], tz, since=at,
                        until=at + timedelta(seconds=1))
    return next((o for o in found if o.start_in(tz) == at), None)


def _generated(cal: Calendar, master: Json, original: When) -> Json:
    """The instance Google shows for one occurrence when no exception replaces it."""
    tz = zone(cal.time_zone)
    start, end = parse_when(master["start"], "start"), parse_when(master["end"], "end")
    instance = {k: copy.deepcopy(v) for k, v in master.items() if k != "recurrence"}
    instance.update(
        id=f"{master['id']}_{instance_suffix(original)}",
        recurringEventId=master["id"],
        originalStartTime=_stored(original, tz),
        start=_stored(original, tz),
        end=_stored(end.end_for(start, original), tz),
    )
    return instance


def _series(
    cal: Calendar,
    master: Json,
    exceptions: list[Json],
    window: _Window,
    *,
    show_deleted: bool,
    horizon: datetime,
) -> list[Json]:
    """A live series' instances overlapping the window, exceptions in place, by original start."""
    tz = zone(cal.time_zone)
    start, end = parse_when(master["start"], "start"), parse_when(master["end"], "end")
    length = end.start_in(tz) - start.start_in(tz)
    replaced = {exception["id"] for exception in exceptions}
    items: list[Json] = []
    found = occurrences(
        start, master["recurrence"], tz,
        since=window.low - length if window.low else None, until=window.high or horizon,
    )
    for original in found:
        if f"{master['id']}_{instance_suffix(original)}" not in replaced:
            instance = _generated(cal, master, original)
            if window.overlaps(bounds(instance, tz)):
                items.append(instance)
    for exception in exceptions:
        if exception["status"] == "cancelled" and not show_deleted:
            continue
        if "start" not in exception:  # seeded as a list names a deleted instance
            began = parse_when(exception["originalStartTime"], "original").start_in(tz)
            if window.overlaps((began, began + length)):
                items.append(exception)
        elif window.overlaps(bounds(exception, tz)):
            items.append(exception)
    items.sort(key=lambda item: parse_when(item["originalStartTime"], "original").start_in(tz))
    return items


def _prune_exceptions(store: Store, cal: Calendar, master: Json) -> None:
    """Cancel exceptions whose occurrence is gone (series deleted, ended or rescheduled)."""
    for exception in list(cal.events.values()):
        if exception.get("recurringEventId") != master["id"]:
            continue
        if exception["status"] == "cancelled":
            continue
        original = parse_when(exception["originalStartTime"], "original")
        alive = master["status"] != "cancelled" and master.get("recurrence")
        if not alive or _occurrence(cal, master, original) is None:
            _save(store, cal, {**exception, "status": "cancelled"})


def bounds(event: Json, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """An event's start and end instants (all-day dates taken in `tz`)."""
    return (parse_when(event["start"], "start").start_in(tz),
            parse_when(event["end"], "end").start_in(tz))


def instances_between(store: Store, cal: Calendar, low: datetime, high: datetime) -> list[Json]:
    """Every live event and series instance overlapping [low, high), as singleEvents lists them."""
    return _candidates(store, cal, {"singleEvents": True}, _Window(low, high), None)


# ---------------------------------------------------------------- lists


@_register("calendar.events.list")
def _list(call: Call) -> Reply:
    store, params = call.store, call.params
    cal = store.calendar(params["calendarId"])
    token = params.get("syncToken")
    if token is not None:
        clash = [name for name in _SYNC_EXCLUSIVE if name in params]
        if clash:
            raise invalid(f"syncToken cannot be used together with {', '.join(clash)}.",
                          "syncToken")
    if params.get("orderBy") == "startTime" and not params.get("singleEvents"):
        raise invalid("The requested ordering is not available for the particular query.",
                      "orderBy", "badRequest")
    window = _window(params)
    since = store.redeem_sync_token(cal.id, token) if token is not None else None
    items = _filter(_candidates(store, cal, params, window, since), params)
    tz = zone(cal.time_zone)
    if params.get("orderBy") == "startTime":
        items.sort(key=lambda item: (bounds(item, tz)[0], item["id"]))
    elif params.get("orderBy") == "updated":
        items.sort(key=lambda item: (item["updated"], item["id"]))
    return _page(call, cal, items, sync=True)


@_register("calendar.events.instances")
def _instances(call: Call) -> Reply:
    store, params = call.store, call.params
    cal = store.calendar(params["calendarId"])
    master = cal.events.get(params["eventId"])
    if master is None:
        raise not_found()
    items: list[Json] = []
    if master.get("recurrence") and master["status"] != "cancelled":
        window = _window(params)
        exceptions = [e for e in cal.events.values() if e.get("recurringEventId") == master["id"]]
        items = _series(cal, master, exceptions, window,
                        show_deleted=bool(params.get("showDeleted")),
                        horizon=_horizon(store, window))
    if "originalStart" in params:
        wanted = query_instant("originalStart", params["originalStart"])
        tz = zone(cal.time_zone)
        items = [item for item in items
                 if parse_when(item["originalStartTime"], "original").start_in(tz) == wanted]
    return _page(call, cal, items, sync=False)


def _window(params: Any) -> _Window:
    window = _Window(
        low=query_instant("timeMin", params["timeMin"]) if "timeMin" in params else None,
        high=query_instant("timeMax", params["timeMax"]) if "timeMax" in params else None,
    )
    if window.low and window.high and window.low > window.high:
        raise invalid("The specified time range is empty.", "timeMax", "timeRangeEmpty")
    return window


def _horizon(store: Store, window: _Window) -> datetime:
    """Where an open-ended series stops expanding when the query gives no timeMax."""
    return (window.low or store.now()) + HORIZON


def _candidates(
    store: Store, cal: Calendar, params: Any, window: _Window, since: int | None
) -> list[Json]:
    """Stored events (or, with singleEvents, instances) before the filters, in a stable order.

    Cancelled events appear only on incremental sync, with updatedMin, or with showDeleted.
    """
    single = bool(params.get("singleEvents"))
    syncing = since is not None
    with_cancelled = syncing or bool(params.get("showDeleted")) or "updatedMin" in params
    horizon = _horizon(store, window)
    by_master: dict[str, list[Json]] = defaultdict(list)
    for event in cal.events.values():
        if "recurringEventId" in event:
            by_master[event["recurringEventId"]].append(event)
    items: list[Json] = []
    for event in cal.events.values():
        if syncing and cal.changed[event["id"]] <= (since or 0):
            continue
        cancelled = event["status"] == "cancelled"
        if cancelled and not with_cancelled:
            continue
        if event.get("recurrence") and not cancelled:
            series = _series(cal, event, by_master[event["id"]], window,
                             show_deleted=with_cancelled, horizon=horizon)
            if single:
                items.extend(series)
            elif series or (window.low is None and window.high is None):
                items.append(event)
        elif "recurringEventId" in event and single and not syncing:
            continue  # shown in place by its master's expansion
        elif event.get("recurrence") and single and not syncing:
            continue  # a deleted series has no instances to show
        elif "start" not in event:
            items.append(event)  # a deleted event seeded as a list names it: no times
        elif window.overlaps(bounds(event, zone(cal.time_zone))):
            items.append(event)
    unique: dict[str, Json] = {}
    for item in items:
        unique.setdefault(item["id"], item)
    return list(unique.values())


def _filter(items: list[Json], params: Any) -> list[Json]:
    """iCalUID, extended property, text, updatedMin and event type filters (all must hold)."""
    wanted_private = _properties(params.get("privateExtendedProperty", []))
    wanted_shared = _properties(params.get("sharedExtendedProperty", []))
    updated_min = (query_instant("updatedMin", params["updatedMin"])
                   if "updatedMin" in params else None)
    text = params.get("q", "").lower()
    kept = []
    for item in items:
        properties = item.get("extendedProperties", {})
        if "iCalUID" in params and item.get("iCalUID") != params["iCalUID"]:
            continue
        if any(properties.get("private", {}).get(k) != v for k, v in wanted_private):
            continue
        if any(properties.get("shared", {}).get(k) != v for k, v in wanted_shared):
            continue
        if updated_min and query_instant("updated", item["updated"]) < updated_min:
            continue
        if "eventTypes" in params and item.get("eventType", "default") not in params["eventTypes"]:
            continue
        if text and text not in _searchable(item):
            continue
        kept.append(item)
    return kept


def _properties(filters: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for text in filters:
        key, eq, value = text.partition("=")
        if not eq or not key:
            raise invalid(f"Invalid extended property filter {text!r}; use key=value.")
        pairs.append((key, value))
    return pairs


def _searchable(item: Json) -> str:
    parts = [item.get("summary", ""), item.get("description", ""), item.get("location", "")]
    for attendee in item.get("attendees", []):
        parts += [attendee.get("email", ""), attendee.get("displayName", "")]
    return "\n".join(parts).lower()


def _page(call: Call, cal: Calendar, items: list[Json], *, sync: bool) -> Reply:
    """One page of an events collection; the last page of a list carries nextSyncToken.

    Page tokens remember the query they belong to and the change number the listing began
    at, so the sync token from the last page covers changes made while paging.
    """
    store, params = call.store, call.params
    fingerprint = hashlib.sha1(json.dumps(
        {k: v for k, v in sorted(params.items()) if k not in ("pageToken", "maxResults")},
        default=str,
    ).encode()).hexdigest()[:16]
    offset, began = 0, store.seq
    if "pageToken" in params:
        offset, began = _read_page_token(params["pageToken"], fingerprint)
    size = min(params.get("maxResults", _DEFAULT_PAGE), _MAX_PAGE)
    page = items[offset:offset + size]
    tz = _response_zone(call, cal)
    updated = max((item["updated"] for item in items), default=timestamp(store.now()))
    body: Json = {
        "kind": "calendar#events",
        "etag": f'"{began}"',
        "summary": cal.summary,
        "updated": updated,
        "timeZone": cal.time_zone,
        "accessRole": "owner",
        "defaultReminders": [],
        "items": [_present(item, tz, params.get("maxAttendees"), listing=True) for item in page],
    }
    if offset + size < len(items):
        token = json.dumps({"o": offset + size, "f": fingerprint, "s": began})
        body["nextPageToken"] = base64.urlsafe_b64encode(token.encode()).decode()
    elif sync:
        body["nextSyncToken"] = store.issue_sync_token(cal.id, began)
    return Reply(body=body)


def _read_page_token(token: str, fingerprint: str) -> tuple[int, int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        if data["f"] != fingerprint:
            raise ValueError("the page token belongs to another query")
        return int(data["o"]), int(data["s"])
    except (ValueError, KeyError, TypeError):
        raise invalid("Invalid page token value.", "pageToken") from None


# ---------------------------------------------------------------- seeding


def seed_event(store: Store, cal: Calendar, raw: Json) -> None:
    """Store an event given in (possibly partial) API shape, filling what Google would.

    Seeding is not an insert: it takes what a list really answered. A deleted event as a
    list gives it (id and status, an instance also its recurringEventId and
    originalStartTime: the `_CANCELLED_FIELDS` above) is kept as it is, and a recurring
    master whose start carries an offset but no timeZone is kept too (an insert refuses one).
    """
    event_id = raw.get("id") or store.new_event_id()
    if raw.get("status") == "cancelled" and "start" not in raw:
        gone = {**raw, "id": event_id, "kind": "calendar#event"}
        if "originalStartTime" in gone:
            original = parse_when(gone["originalStartTime"], "originalStartTime")
            gone["originalStartTime"] = _stored(original, zone(cal.time_zone))
        gone.setdefault("updated", timestamp(store.now()))
        gone.setdefault("etag", store.new_etag())
        cal.events[event_id] = gone
        cal.changed[event_id] = store.next_seq()
        return
    owner = {"email": cal.id, "self": True}
    organizer = raw.get("organizer") or owner
    fields = {k: v for k, v in raw.items() if k not in _SYSTEM}
    event = _normalize(store, cal, fields, organizer=str(organizer["email"]),
                       exception="recurringEventId" in raw, seeding=True)
    now = timestamp(store.now())
    event.update(
        kind="calendar#event",
        id=event_id,
        htmlLink=_html_link(cal, event_id),
        created=now,
        creator=owner,
        organizer=organizer,
        iCalUID=f"{event_id}@google.com",
        sequence=0,
    )
    event.update({k: v for k, v in raw.items() if k in _SYSTEM or k == "sequence"})
    if "originalStartTime" in event:
        original = parse_when(event["originalStartTime"], "originalStartTime")
        event["originalStartTime"] = _stored(original, zone(cal.time_zone))
    event.setdefault("updated", now)
    event.setdefault("etag", store.new_etag())
    cal.events[event_id] = event
    cal.changed[event_id] = store.next_seq()
