"""Google Calendar (API v3) as a read/write calendar source.

Reading: one incremental `events.list` with the `syncToken` kept in state (a 410
means the token expired: one full list, never a guess). Incremental sync covers the
whole calendar and cannot be filtered by Google, so syncd keeps only the events
that can concern the roster (attendees, its own marker, title patterns) and every
changed or cancelled instance of those. The kept events are turned into iCalendar
components and go through the same conversion as the local and ICS calendars, so
every source is classified alike.

Writing: only events syncd owns or adopts. A series syncd creates gets a
deterministic event id derived from the person's key, so a retried insert after a
crash answers 409 and is "already there", never a duplicate. Updates carry the
etag in If-Match: a 412 means the person changed the event meanwhile; it is not
overwritten and the next run plans again from what the person did.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from syncd.calendars.base import CalendarError, ConflictError
from syncd.calendars.codec import dump_cache, dump_series, load_cache, load_series
from syncd.calendars.window import within, zone_named
from syncd.core import identity
from syncd.core.model import Person, Series, SeriesPatch, SeriesSpec
from syncd.core.relevance import Relevance
from syncd.google.api import DOC_MIME, GoogleApi
from syncd.google.errors import AlreadyExists, Gone, GoogleError, NotFound, PreconditionFailed

if TYPE_CHECKING:
    import icalendar

log = logging.getLogger(__name__)

# Keys in extendedProperties.private: visible on the owner's copy of the event only.
MARKER_KEY = "syncdId"
UID_KEY = "syncdUid"
NOTES_KEY = "syncdNotes"
_PAGE = 2500
_PARTSTAT = {"accepted": "ACCEPTED", "declined": "DECLINED", "tentative": "TENTATIVE",
             "needsAction": "NEEDS-ACTION"}
_DRIVE_URL = re.compile(r"^https://(docs|drive)\.google\.com/")
# Converted series are kept for a window this much longer than the one read, so the next
# runs (whose window has moved on by minutes or days) reuse them, as for ICS feeds.
_AHEAD = dt.timedelta(days=7)


_GMT_OFFSET = re.compile(r"(?:GMT|UTC)([+-])(\d{2}):(\d{2})")


def _event_zone(name: str) -> dt.tzinfo | None:
    """The zone an event time names: an IANA name, or a fixed offset named like `GMT+03:00`
    (such names occur in list answers; issue 11), None for none or one unknown.

    A whole-hour offset becomes its IANA `Etc/GMT-3` zone, so the series can be cached."""
    match = _GMT_OFFSET.fullmatch(name)
    if match is None:
        return zone_named(name)
    ahead, hours, minutes = match[1] == "+", int(match[2]), int(match[3])
    # Etc/GMT signs are POSIX style: Etc/GMT-3 is three hours ahead of UTC.
    named = zone_named(f"Etc/GMT{'-' if ahead else '+'}{hours}") if minutes == 0 else None
    offset = dt.timedelta(hours=hours, minutes=minutes)
    return named or dt.timezone(offset if ahead else -offset)


@dataclasses.dataclass(frozen=True)
class Converted:
    """Series converted from the kept events, so an unchanged calendar is not converted
    (and its rules expanded) again in the next process."""

    of: str = ""  # digest of the events they were converted from
    series: str = ""  # syncd.calendars.codec JSON
    start: str = ""  # ISO datetimes: the window the series hold instances for
    end: str = ""


@dataclasses.dataclass(frozen=True)
class SyncCache:
    """What an earlier read kept: the sync token, the relevant events by id, and the
    series they were converted to."""

    token: str = ""
    roster: str = ""  # fingerprint of who was relevant when the events were kept
    events: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    converted: Converted = Converted()

    VERSION: ClassVar[int] = 1  # bump when the shape changes: an older cache is dropped

    def to_json(self) -> str:
        """For the state's key-value table."""
        return dump_cache(self.VERSION, {"token": self.token, "roster": self.roster,
                                         "events": self.events,
                                         "converted": dataclasses.asdict(self.converted)})

    @classmethod
    def from_json(cls, text: str) -> SyncCache | None:
        """The cache `to_json` wrote; None (no cache: read everything again) when it is
        of another version."""
        data = load_cache(text, cls.VERSION)
        if data is None or not isinstance(data.get("events"), dict):
            return None
        converted = data.get("converted")
        fields = {f.name for f in dataclasses.fields(Converted)}
        kept = Converted(**{k: str(v) for k, v in converted.items() if k in fields}) \
            if isinstance(converted, dict) else Converted()
        return cls(str(data.get("token", "")), str(data.get("roster", "")), data["events"],
                   kept)


def event_id(uid: str) -> str | None:
    """The Google event id of a series syncd creates (base32hex: lower-case 0-9 and a-v),
    derived from its uid `<person key>-<generation>@syncd`, or of a make-up it books
    (`<person key>-m<slot>-<n>@syncd`); None for other uids."""
    makeup = identity.parse_makeup_uid(uid)
    if makeup is not None:
        key, _, slot = makeup[0].partition("-")
        return f"{key}{slot}n{makeup[1]}"
    marker, _, domain = uid.rpartition("@")
    parsed = identity.parse_marker(marker) if domain == identity.UID_DOMAIN else None
    if parsed is None:
        return None
    key, generation = parsed
    return f"{key}s{generation}"


class GoogleCalendar:
    """One Google calendar, read with incremental sync and written with etags."""

    def __init__(
        self, api: GoogleApi, calendar_id: str, *, people: Sequence[Person], owner_email: str,
        default_timezone: str, attach: bool = True, cache: SyncCache | None = None,
        away_title: str = "", everyone: bool = False,
    ) -> None:
        """`people` decide which events are kept (with out-of-office ones, and all-day
        ones titled like `away_title`; with `everyone`, every event naming someone besides
        the owner: `syncd init`); `attach` puts notes links in the event's attachments
        (guests see the Doc's title) besides the private property."""
        self.name = f"google calendar {calendar_id}"
        self._api = api
        self._calendar_id = calendar_id
        self._owner = owner_email.lower()
        self._relevance = Relevance.of(people, owner_email, away_title, everyone=everyone)
        zone = zone_named(default_timezone)
        if zone is None:
            raise CalendarError(f"unknown time zone {default_timezone!r}")
        self._zone = zone
        self._attach = attach
        self.cache = cache or SyncCache()
        self._ids: dict[str, str] = {}  # series uid → event id, from the last read
        self._made: dict[str, Any] = {}  # event id → event inserted by create_many
        self._loaded: tuple[str, tuple[Series, ...]] | None = None  # decoded converted series
        self.warnings: list[str] = []  # what the last read found worth saying

    # --- reading ----------------------------------------------------------------

    def cache_json(self) -> str:
        """What the last read learned (sync token, kept events), for the next run."""
        return self.cache.to_json()

    def read(self, start: dt.datetime, end: dt.datetime) -> tuple[Series, ...]:
        """Every kept event with its instances between start and end (aware).

        Raises CalendarError when any page of the listing fails: a partial read
        must never look like a calendar without 1:1s.
        """
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("read needs timezone-aware start and end")
        try:
            self.cache = self._sync()
        except GoogleError as exc:
            raise CalendarError(f"{self.name}: {exc}") from None
        owner = self.owner()
        self.warnings = [] if owner in (None, self._owner) else [
            f"{self.name} belongs to {owner}, but the roster's owner is {self._owner}: 1:1s "
            f"are classified from {self._owner}'s side and may be wrong; set owner.email to "
            f"{owner}, or use {self._owner}'s calendar"]
        return self._series(start, end)

    def owner(self) -> str | None:
        """Whose calendar this is, as its events say: Google marks the organizer or attendee
        that is the calendar itself with "self": true (events resource, organizer.self and
        attendees[].self: https://developers.google.com/calendar/api/v3/reference/events).
        None when no kept event says."""
        for event in self.cache.events.values():
            for who in (event.get("organizer", {}), *event.get("attendees", [])):
                if who.get("self") and who.get("email"):
                    return str(who["email"]).lower()
        return None

    def _sync(self) -> SyncCache:
        fingerprint = self._relevance.fingerprint
        cache = self.cache
        if cache.token and cache.roster == fingerprint:
            try:
                items, token = self._list({"syncToken": cache.token})
            except Gone:
                log.info("%s: sync token expired; reading the whole calendar again", self.name)
            else:
                merged = self._merge(dict(cache.events), items, incremental=True)
                if merged is not None:
                    return SyncCache(token, fingerprint, merged, cache.converted)
        items, token = self._list({"showDeleted": True})
        merged = self._merge({}, items, incremental=False)
        assert merged is not None
        return SyncCache(token, fingerprint, merged, cache.converted)

    def _list(self, params: dict[str, Any]) -> tuple[list[Any], str]:
        """Every page of events.list (an explicit pageToken loop: list_next mishandles
        repeated parameters); the last page's nextSyncToken."""
        events = self._api.events()
        items: list[Any] = []
        page: str | None = None
        while True:
            response = self._api.execute(events.list(
                calendarId=self._calendar_id, maxResults=_PAGE, singleEvents=False,
                pageToken=page, **params))
            items.extend(response.get("items", []))
            page = response.get("nextPageToken")
            if not page:
                token = response.get("nextSyncToken")
                if not token:
                    raise GoogleError(0, "", "the listing ended without a sync token")
                return items, str(token)

    def _merge(
        self, kept: dict[str, Any], items: Iterable[Any], *, incremental: bool
    ) -> dict[str, Any] | None:
        """`kept` with the listed changes applied; None when a full read is needed (a
        recurring series became relevant: its earlier changed instances were dropped)."""
        items = list(items)
        masters = [i for i in items if not i.get("recurringEventId")]
        for item in masters:
            if item.get("status") != "cancelled" and self._relevant(item):
                if incremental and item["id"] not in kept and item.get("recurrence"):
                    return None
                kept[item["id"]] = item
            elif item["id"] in kept:
                # Deleted, or no longer anyone's 1:1: it goes with its changed instances.
                for ident in [k for k, v in kept.items()
                              if k == item["id"] or v.get("recurringEventId") == item["id"]]:
                    del kept[ident]
        for item in items:
            parent = item.get("recurringEventId")
            if parent and (parent in kept or self._relevant(item)):
                kept[item["id"]] = item
        return kept

    def _relevant(self, event: Mapping[str, Any]) -> bool:
        people = [str(a.get("email", "")) for a in event.get("attendees", [])]
        return self._relevance.concerns(
            people=[*people, str(event.get("organizer", {}).get("email", ""))],
            title=str(event.get("summary", "")),
            marked=MARKER_KEY in event.get("extendedProperties", {}).get("private", {}),
            out_of_office=event.get("eventType") == "outOfOffice",
            timed="date" not in event.get("start", {}))

    def _series(self, start: dt.datetime, end: dt.datetime) -> tuple[Series, ...]:
        """The kept events as series with their instances in [start, end): converted
        anew only when the events changed or the window left the one converted for
        (which reaches `_AHEAD` further, so the next runs' windows still fit)."""
        events = self.cache.events
        self._ids = {}
        for ident, event in events.items():
            parent = event.get("recurringEventId")
            if not parent or parent not in events:
                self._ids[_uid(event)] = ident
        # Floating times are read on the default zone: it is part of what was converted.
        digest = hashlib.sha256(json.dumps([str(self._zone), events], sort_keys=True)
                                .encode()).hexdigest()
        kept = self.cache.converted
        if (kept.of == digest and kept.start and dt.datetime.fromisoformat(kept.start) <= start
                and end <= dt.datetime.fromisoformat(kept.end)):
            if self._loaded is None or self._loaded[0] != kept.series:
                loaded = load_series(kept.series)
                self._loaded = (kept.series, loaded) if loaded is not None else None
            if self._loaded is not None:
                return self._within(self._loaded[1], start, end)
        until = end + _AHEAD
        series = self._convert(start, until)
        text = dump_series(series)
        if text is not None:
            self.cache = dataclasses.replace(self.cache, converted=Converted(
                digest, text, start.isoformat(), until.isoformat()))
            self._loaded = (text, series)
        return self._within(series, start, end)

    @staticmethod
    def _within(series: tuple[Series, ...], start: dt.datetime,
                end: dt.datetime) -> tuple[Series, ...]:
        return tuple(sorted((dataclasses.replace(within(s, start, end), private_props=True)
                             for s in series), key=lambda s: s.uid))

    def _convert(self, start: dt.datetime, end: dt.datetime) -> tuple[Series, ...]:
        # The iCalendar parser is loaded only when the calendar changed: an unchanged one
        # is answered from the series converted before.
        import icalendar

        from syncd.calendars.ical import series_from_calendar

        events = self.cache.events
        uids = {i: _uid(e) for i, e in events.items() if not e.get("recurringEventId")}
        calendar = icalendar.Calendar()
        etags: dict[str, str] = {}
        for ident, event in events.items():
            parent = event.get("recurringEventId")
            if parent and parent in events:
                master = events[parent]
                uid = uids[parent]
            else:
                master, uid = event, uids.get(ident) or _uid(event)
            try:
                calendar.add_component(self._vevent(event, master, uid))
            except (ValueError, KeyError, TypeError) as exc:
                log.warning("%s: event %s cannot be read (%s); left out", self.name, ident, exc)
                continue
            if not parent or parent not in events:
                etags[uid] = str(event.get("etag", ""))
        return tuple(series_from_calendar(calendar, start, end, self._zone,
                                          lambda uid: etags.get(uid, "")))

    def _vevent(self, event: Mapping[str, Any], master: Mapping[str, Any],
                uid: str) -> icalendar.Event:
        """One Google event as a VEVENT; a cancelled instance carries no times of its own,
        so they are taken from its original start and the master's length."""
        import icalendar

        from syncd.calendars.ical import MARKER_PROP, NOTES_PROP, OOF_PROP

        out = icalendar.Event()
        out.add("UID", uid)
        original = event.get("originalStartTime")
        if event.get("status") == "cancelled" and original:
            begin = self._time(original)
            out.add("DTSTART", begin)
            out.add("DTEND", begin + (self._time(master["end"]) - self._time(master["start"])))
        else:
            out.add("DTSTART", self._time(event["start"]))
            out.add("DTEND", self._time(event["end"]))
        if original:
            out.add("RECURRENCE-ID", self._time(original))
        recurrence = [line for line in event.get("recurrence", []) if line.strip()]
        if recurrence:
            lines = "\r\n".join(recurrence)
            rules = icalendar.Event.from_ical(f"BEGIN:VEVENT\r\n{lines}\r\nEND:VEVENT\r\n")
            for name in ("RRULE", "RDATE", "EXDATE"):
                if name in rules:
                    out[name] = rules[name]
        out.add("STATUS", str(event.get("status", "confirmed")).upper())
        if event.get("transparency", master.get("transparency")) == "transparent":
            out.add("TRANSP", "TRANSPARENT")
        if event.get("eventType", master.get("eventType")) == "outOfOffice":
            out.add(OOF_PROP, "OOF")  # the one out-of-office signal the conversion reads
        out.add("SUMMARY", str(event.get("summary", master.get("summary", ""))))
        if event.get("description"):
            out.add("DESCRIPTION", str(event["description"]))
        organizer = event.get("organizer", master.get("organizer", {})).get("email")
        if organizer:
            out.add("ORGANIZER", f"mailto:{organizer}")
        for guest in event.get("attendees", []):
            params = {"PARTSTAT": _PARTSTAT.get(guest.get("responseStatus", ""), "NEEDS-ACTION"),
                      "CUTYPE": "RESOURCE" if guest.get("resource") else "INDIVIDUAL"}
            if guest.get("displayName"):
                params["CN"] = str(guest["displayName"])
            out.add("ATTENDEE", f"mailto:{guest.get('email', '')}", parameters=params)
        private = event.get("extendedProperties", {}).get("private", {})
        if not event.get("recurringEventId"):
            if private.get(MARKER_KEY):
                out.add(MARKER_PROP, private[MARKER_KEY])
            if private.get(NOTES_KEY):
                out.add(NOTES_PROP, private[NOTES_KEY])
        return out

    def _time(self, value: Mapping[str, Any]) -> dt.date | dt.datetime:
        if "dateTime" in value:
            moment = dt.datetime.fromisoformat(str(value["dateTime"]).replace("Z", "+00:00"))
            zone = _event_zone(str(value.get("timeZone", "")))
            if moment.tzinfo is None:
                return moment.replace(tzinfo=zone or self._zone)
            # An offset with no zone named: the rule then runs on the lead's wall time, not
            # on a fixed offset that DST would break.
            return moment.astimezone(zone or self._zone)
        return dt.date.fromisoformat(str(value["date"]))

    # --- writing ----------------------------------------------------------------

    def create_many(self, specs: Sequence[SeriesSpec]) -> None:
        """Insert these series in HTTP batches; `create` then answers from the results
        (a part that failed, or answered 409, is tried again alone by `create`)."""
        events = self._api.events()
        wanted = [(spec, ident) for spec in specs if (ident := event_id(spec.uid))]
        requests = [events.insert(calendarId=self._calendar_id,
                                  body=_body(spec, ident, self._attach), sendUpdates="all",
                                  supportsAttachments=True)
                    for spec, ident in wanted]
        for (_, ident), result in zip(wanted, self._api.batch(requests), strict=True):
            if not isinstance(result, GoogleError):
                self._made[ident] = result

    def create(self, spec: SeriesSpec) -> str:
        """Insert the series under its deterministic id; a 409 means an earlier run made
        it already (its etag is returned)."""
        ident = event_id(spec.uid)
        if ident is None:
            raise CalendarError(f"{self.name}: {spec.uid} is not a uid syncd makes")
        events = self._api.events()
        try:
            made = self._made.pop(ident, None) or self._api.execute(events.insert(
                calendarId=self._calendar_id, body=_body(spec, ident, self._attach),
                sendUpdates="all", supportsAttachments=True))
        except AlreadyExists:  # an earlier run made it: take what is there
            try:
                made = self._api.execute(events.get(calendarId=self._calendar_id,
                                                    eventId=ident))
            except GoogleError as again:
                raise CalendarError(f"{self.name}: reading {spec.uid}: {again}") from None
        except GoogleError as exc:
            raise CalendarError(f"{self.name}: creating {spec.uid}: {exc}") from None
        self._ids[spec.uid] = ident
        self.cache = dataclasses.replace(self.cache, events={**self.cache.events, ident: made})
        return str(made["etag"])

    def patch(self, uid: str, patch: SeriesPatch, etag: str) -> str:
        """Change the master of series `uid` if it still has `etag`; returns the new etag.

        Raises ConflictError on 412 (changed meanwhile), CalendarError when gone.
        """
        ident = self._ids.get(uid) or event_id(uid)
        if ident is None:
            raise CalendarError(f"{self.name}: event {uid} was not read in this run")
        master = self.cache.events.get(ident)
        if master is None:
            raise CalendarError(f"{self.name}: event {uid} was not read in this run")
        body = self._patch_body(master, patch)
        if not body:  # already as asked (a notes link the insert carried): no call
            return etag
        events = self._api.events()
        # A notes link is not news for the guest; a new length or an end is.
        notify = "all" if patch.duration or patch.until or patch.summary else "none"
        try:
            changed = self._api.execute(
                events.patch(calendarId=self._calendar_id, eventId=ident, body=body,
                             sendUpdates=notify, supportsAttachments=True),
                headers={"If-Match": etag})
        except PreconditionFailed:
            raise ConflictError(f"{self.name}: event {uid} changed since it was read") \
                from None
        except (NotFound, Gone):
            raise CalendarError(f"{self.name}: event {uid} is gone") from None
        except GoogleError as exc:
            raise CalendarError(f"{self.name}: changing {uid}: {exc}") from None
        self.cache = dataclasses.replace(self.cache,
                                         events={**self.cache.events, ident: changed})
        return str(changed["etag"])

    def _patch_body(self, master: Mapping[str, Any], patch: SeriesPatch) -> dict[str, Any]:
        organizer = master.get("organizer", {})
        if organizer and not organizer.get("self"):
            # An attendee's copy: only its private properties are the lead's to write; Google
            # answers any shared change with 403 forbiddenForNonOrganizer.
            if patch.summary is not None or patch.duration is not None or patch.until:
                raise CalendarError(f"{self.name}: {organizer.get('email', 'someone else')} "
                                    "organizes this event; only they may change it")
            return self._private_body(master, patch)
        body: dict[str, Any] = {}
        private = dict(master.get("extendedProperties", {}).get("private", {}))
        if patch.marker is not None:
            private[MARKER_KEY] = patch.marker
        if patch.summary is not None:
            body["summary"] = patch.summary
        if patch.duration is not None:
            start = master["start"]
            begin = self._time(start)
            if not isinstance(begin, dt.datetime):
                raise CalendarError(f"{self.name}: an all-day series has no duration to set")
            end = begin + patch.duration
            body["end"] = {"dateTime": end.isoformat(), **(
                {"timeZone": start["timeZone"]} if "timeZone" in start else {})}
        if patch.until is not None:
            body["recurrence"] = _until(master.get("recurrence", []), patch.until,
                                        "date" in master.get("start", {}))
        if patch.notes_url is not None:
            previous = private.get(NOTES_KEY)
            private[NOTES_KEY] = patch.notes_url
            attached = any(a.get("fileUrl") == patch.notes_url
                           for a in master.get("attachments", []))
            if self._attach and _DRIVE_URL.match(patch.notes_url) and not (
                    attached and previous == patch.notes_url):
                kept = [a for a in master.get("attachments", [])
                        if a.get("fileUrl") not in (previous, patch.notes_url)]
                body["attachments"] = [*kept, {"fileUrl": patch.notes_url, "title": "1:1 notes",
                                               "mimeType": DOC_MIME}]
        if private != master.get("extendedProperties", {}).get("private", {}):
            body["extendedProperties"] = {"private": private}
        return body

    @staticmethod
    def _private_body(master: Mapping[str, Any], patch: SeriesPatch) -> dict[str, Any]:
        """The marker and notes link on the lead's own copy, nothing shared (no attachment)."""
        private = dict(master.get("extendedProperties", {}).get("private", {}))
        if patch.marker is not None:
            private[MARKER_KEY] = patch.marker
        if patch.notes_url is not None:
            private[NOTES_KEY] = patch.notes_url
        if private == master.get("extendedProperties", {}).get("private", {}):
            return {}
        return {"extendedProperties": {"private": private}}


def _uid(event: Mapping[str, Any]) -> str:
    private = event.get("extendedProperties", {}).get("private", {})
    uid = str(private.get(UID_KEY, ""))
    # Only the event syncd created under that uid's id is that uid: a duplicate a calendar
    # app made carries the same private properties under an id of its own.
    if uid and event_id(uid) == event.get("id"):
        return uid
    return str(event.get("iCalUID") or f"{event['id']}@google.com")


def _body(spec: SeriesSpec, ident: str, attach: bool) -> dict[str, Any]:
    end = spec.start + spec.duration
    # A series made once its Doc exists, or a make-up, carries its notes link from the
    # start, as a patch would add it: no second write follows.
    attachments = [{"fileUrl": spec.notes_url, "title": "1:1 notes", "mimeType": DOC_MIME}] \
        if spec.notes_url and attach and _DRIVE_URL.match(spec.notes_url) else []
    return {
        **({"attachments": attachments} if attachments else {}),
        "id": ident,
        "summary": spec.summary,
        "description": spec.description,
        "start": {"dateTime": spec.start.isoformat(), "timeZone": spec.timezone},
        "end": {"dateTime": end.isoformat(), "timeZone": spec.timezone},
        **({"recurrence": [f"RRULE:{spec.rrule}"]} if spec.rrule else {}),
        "attendees": [
            {"email": spec.organizer.email, "responseStatus": "accepted"},
            {"email": spec.attendee.email, **(
                {"displayName": spec.attendee.name} if spec.attendee.name else {})},
        ],
        "extendedProperties": {"private": {MARKER_KEY: spec.marker, UID_KEY: spec.uid, **(
            {NOTES_KEY: spec.notes_url} if spec.notes_url else {})}},
        "reminders": {"useDefault": True},
    }


def _until(lines: Sequence[str], until: dt.datetime, all_day: bool) -> list[str]:
    """The recurrence lines with every RRULE ending at `until` (COUNT dropped)."""
    value = until.astimezone(dt.UTC).strftime("%Y%m%d" if all_day else "%Y%m%dT%H%M%SZ")
    out = []
    for line in lines:
        if line.upper().startswith("RRULE:"):
            parts = [p for p in line[6:].split(";")
                     if p and not p.upper().startswith(("UNTIL=", "COUNT="))]
            line = "RRULE:" + ";".join([*parts, f"UNTIL={value}"])
        out.append(line)
    return out
