"""A vdir-style folder of .ics files (one file per series) as a writable calendar.

Files are parsed with icalendar and expanded with recurring_ical_events. Any file
that cannot be used fails the whole read: a broken calendar must never look like
an empty one. Writes touch only the master VEVENT of a series and go through
atomic_write, so overrides and everything a person wrote stay as they were.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
import recurring_ical_events
from icalendar import Component
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from syncd.calendars.base import CalendarError, ConflictError
from syncd.fsutil import atomic_write
from syncd.model import Attendee, Instance, Series, SeriesPatch, SeriesSpec

PRODID = "-//syncd//syncd//EN"
MARKER_PROP = "X-SYNCD-ID"
NOTES_PROP = "X-SYNCD-NOTES"
NOTES_LINE = "Notes: {url}"

_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]")
# recurring_ical_events compares floating times as naive wall-clock values against
# the query, so the query is widened by more than any UTC offset and the instances
# are then filtered on their aware times.
_SLACK = dt.timedelta(days=1)


@dataclass(frozen=True)
class _File:
    """One calendar file as read from disk: the bytes its etag is taken from, parsed."""

    path: Path
    raw: bytes
    calendar: icalendar.Calendar
    synthetic: frozenset[str]  # UIDs given in memory to events that have none


class LocalCalendar:
    """A folder of .ics files: one series per file, several UIDs per file tolerated."""

    def __init__(self, path: Path, default_timezone: str) -> None:
        """Use the folder at `path`; floating and all-day times are read in `default_timezone`."""
        zone = _zone(default_timezone)
        if zone is None:
            raise CalendarError(f"unknown time zone {default_timezone!r}")
        self.path = path
        self.name = f"local calendar {path}"
        self._default = zone
        self._index: dict[str, Path] = {}  # uid → file, rebuilt by every read

    # --- reading -------------------------------------------------------------

    def read(self, start: dt.datetime, end: dt.datetime) -> tuple[Series, ...]:
        """Every event in the folder with its instances between start and end (aware)."""
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("read needs timezone-aware start and end")
        files = self._scan()
        self._index = self._index_of(files)
        series: list[Series] = []
        for file in files:
            with self._about(file.path):
                series.extend(self._series_in(file, start, end))
        return tuple(sorted(series, key=lambda s: s.uid))

    def _series_in(self, file: _File, start: dt.datetime, end: dt.datetime) -> list[Series]:
        zone = self._floating_zone(file.calendar)
        by_uid: dict[str, list[Component]] = {}
        for event in file.calendar.walk("VEVENT"):
            by_uid.setdefault(_uid(event), []).append(event)
        occurrences: dict[str, list[Component]] = {}
        for occurrence in _expand(file.calendar, start - _SLACK, end + _SLACK):
            occurrences.setdefault(_uid(occurrence), []).append(occurrence)
        etag = _etag(file.raw)
        return [
            _series(events, occurrences.get(uid, []), zone, etag, start, end)
            for uid, events in by_uid.items()
        ]

    # --- writing -------------------------------------------------------------

    def create(self, spec: SeriesSpec) -> str:
        """Write a new series file; if a file already holds spec.uid, return its etag."""
        found = self._find(spec.uid)
        if found is not None:
            return _etag(found.raw)
        zone = _zone(spec.timezone)
        if zone is None:
            raise CalendarError(f"{self.name}: unknown time zone {spec.timezone!r}")
        target = self.path / _file_name(spec.uid)
        if target.exists():
            raise CalendarError(f"{self.name}: {target.name} already holds another event")
        data = _new_calendar(spec, zone)
        atomic_write(target, data, 0o600)
        self._index[spec.uid] = target
        return _etag(data)

    def patch(self, uid: str, patch: SeriesPatch, etag: str) -> str:
        """Change the master of series `uid` if its file still has `etag`; returns the new etag."""
        found = self._find(uid)
        if found is None:
            raise CalendarError(f"{self.name}: event {uid} is gone")
        if _etag(found.raw) != etag:
            raise ConflictError(f"{self.name}: event {uid} changed since it was read")
        if uid in found.synthetic:
            raise CalendarError(
                f"{self.name}: event {uid} in {found.path.name} has no UID of its own; not changed"
            )
        with self._about(found.path):
            events = found.calendar.walk("VEVENT")
            master = _master([e for e in events if _uid(e) == uid])
            if master is None:
                raise CalendarError(
                    f"{self.name}: {found.path.name} has only changed instances of {uid}"
                )
            _apply(master, patch, self._floating_zone(found.calendar))
            for event in events:
                if _uid(event) in found.synthetic:
                    event.pop("UID")
            data = found.calendar.to_ical()
        atomic_write(found.path, data)
        return _etag(data)

    # --- files and the uid index ---------------------------------------------

    def _scan(self) -> list[_File]:
        """Every calendar file of the folder, parsed, in name order."""
        if not self.path.is_dir():
            raise CalendarError(f"{self.name}: no such folder")
        paths = sorted(
            p for p in self.path.iterdir() if p.name.endswith(".ics") and not p.name.startswith(".")
        )
        return [self._load(p) for p in paths]

    def _load(self, path: Path) -> _File:
        with self._about(path):
            raw = path.read_bytes()
            calendar = icalendar.Calendar.from_ical(raw)
            if not isinstance(calendar, icalendar.Calendar):
                raise ValueError("not a VCALENDAR")
        synthetic: set[str] = set()
        for number, event in enumerate(calendar.walk("VEVENT"), 1):
            if not _uid(event):
                # RFC 5545 requires a UID but some exports lack one: name the event by
                # its place in the file so it can be read (it is never written back).
                uid = f"{path.name}#{number}"
                event.add("UID", uid)
                synthetic.add(uid)
        return _File(path, raw, calendar, frozenset(synthetic))

    def _index_of(self, files: Iterable[_File]) -> dict[str, Path]:
        index: dict[str, Path] = {}
        for file in files:
            for uid in {_uid(e) for e in file.calendar.walk("VEVENT")}:
                if uid in index:
                    raise CalendarError(
                        f"{self.name}: event {uid} is in both {index[uid].name} and "
                        f"{file.path.name}"
                    )
                index[uid] = file.path
        return index

    def _find(self, uid: str) -> _File | None:
        """The file holding `uid`: the indexed one if it still does, else after a rescan."""
        path = self._index.get(uid)
        if path is not None and path.is_file():
            file = self._load(path)
            if any(_uid(e) == uid for e in file.calendar.walk("VEVENT")):
                return file
        files = self._scan()
        self._index = self._index_of(files)
        return next((f for f in files if f.path == self._index.get(uid)), None)

    def _floating_zone(self, calendar: icalendar.Calendar) -> ZoneInfo:
        # recurring_ical_events applies X-WR-TIMEZONE to floating times; the master
        # must be read the same way or its instances would not line up with it.
        declared = calendar.get("X-WR-TIMEZONE")
        return (_zone(str(declared)) if declared else None) or self._default

    @contextlib.contextmanager
    def _about(self, path: Path) -> Iterator[None]:
        """Turn any failure while using `path` into a CalendarError naming the file."""
        try:
            yield
        except CalendarError:
            raise
        except Exception as exc:
            raise CalendarError(
                f"{self.name}: cannot use {path.name}: {type(exc).__name__}: {exc}"
            ) from exc


# --- turning components into Series --------------------------------------------


def _series(
    events: list[Component],
    occurrences: list[Component],
    zone: ZoneInfo,
    etag: str,
    start: dt.datetime,
    end: dt.datetime,
) -> Series:
    """One Series from the VEVENTs of a uid (master plus overrides) and its occurrences."""
    master = _master(events)
    base = master if master is not None else events[0]
    base_start, base_end = _span(base, zone)
    overridden = {_aware(_when(e, "RECURRENCE-ID"), zone) for e in events if _is_override(e)}
    instances = [_instance(o, zone, overridden) for o in occurrences]
    return Series(
        uid=_uid(base),
        summary=_text(base, "SUMMARY"),
        start=base_start,
        end=base_end,
        timezone=_zone_key(base, zone),
        rrule=_rrule(base) if master is not None else "",
        exdates=_exdates(base, zone),
        attendees=_attendees(base),
        organizer=_email(_text(base, "ORGANIZER")),
        status=_text(base, "STATUS").upper() or "CONFIRMED",
        description=_text(base, "DESCRIPTION"),
        marker=_text(base, MARKER_PROP),
        notes_url=_text(base, NOTES_PROP),
        instances=tuple(
            sorted(
                (i for i in instances if _overlaps(i, start, end)),
                key=lambda i: i.recurrence_id,
            )
        ),
        etag=etag,
    )


def _instance(occurrence: Component, zone: ZoneInfo, overridden: set[dt.datetime]) -> Instance:
    start, end = _span(occurrence, zone)
    # recurring_ical_events sets RECURRENCE-ID on every occurrence of a recurring event.
    recurrence_id = (
        _aware(_when(occurrence, "RECURRENCE-ID"), zone)
        if "RECURRENCE-ID" in occurrence
        else start
    )
    return Instance(
        recurrence_id=recurrence_id,
        start=start,
        end=end,
        status=_text(occurrence, "STATUS").upper() or "CONFIRMED",
        attendees=_attendees(occurrence),
        overridden=recurrence_id in overridden,
    )


def _expand(calendar: icalendar.Calendar, start: dt.datetime, end: dt.datetime) -> list[Component]:
    return list(recurring_ical_events.of(calendar).between(start, end))


def _overlaps(instance: Instance, start: dt.datetime, end: dt.datetime) -> bool:
    # Zero-length events at the very start of the window count as inside it.
    return instance.start < end and (instance.end > start or instance.start >= start)


def _master(events: list[Component]) -> Component | None:
    """The VEVENT without RECURRENCE-ID; of several, the newest (highest SEQUENCE)."""
    masters = [e for e in events if not _is_override(e)]
    if not masters:
        return None
    return max(masters, key=lambda e: int(e.get("SEQUENCE", 0)))


def _is_override(event: Component) -> bool:
    return "RECURRENCE-ID" in event


def _uid(event: Component) -> str:
    return _text(event, "UID")


def _text(component: Component, name: str) -> str:
    """A property as plain text ("" when absent; the first one when repeated)."""
    value = _first(component.get(name))
    return "" if value is None else str(value)


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) else value


def _all(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _when(component: Component, name: str) -> dt.date:
    """A DATE or DATE-TIME property as icalendar decodes it (a datetime is also a date)."""
    value = component.decoded(name)
    if not isinstance(value, dt.date):
        raise ValueError(f"{name} is not a date or date-time")
    return value


def _aware(value: dt.date, zone: ZoneInfo) -> dt.datetime:
    """Floating times get `zone`; a DATE becomes midnight in `zone`."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    return dt.datetime.combine(value, dt.time(), tzinfo=zone)


def _span(event: Component, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """Start and end of an event; without DTEND from DURATION, a day for DATEs, else +0."""
    raw_start = _when(event, "DTSTART")
    start = _aware(raw_start, zone)
    if "DTEND" in event:
        return start, _aware(_when(event, "DTEND"), zone)
    if "DURATION" in event:
        return start, start + _duration(event)
    if not isinstance(raw_start, dt.datetime):
        return start, start + dt.timedelta(days=1)
    return start, start


def _duration(event: Component) -> dt.timedelta:
    value = event.decoded("DURATION")
    if not isinstance(value, dt.timedelta):
        raise ValueError("DURATION is not a duration")
    return value


def _zone_key(event: Component, floating: ZoneInfo) -> str:
    """IANA key of the zone DTSTART is written in (Windows names mapped when known)."""
    start = _when(event, "DTSTART")
    tzinfo = start.tzinfo if isinstance(start, dt.datetime) else None
    if tzinfo is None:
        return floating.key
    if isinstance(tzinfo, ZoneInfo):
        return tzinfo.key
    tzid = str(event["DTSTART"].params.get("TZID", ""))
    zone = _zone(tzid) or _zone(WINDOWS_TO_OLSON.get(tzid, ""))
    return (zone or floating).key


def _zone(key: str) -> ZoneInfo | None:
    if not key:
        return None
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _rrule(event: Component) -> str:
    rule = _first(event.get("RRULE"))
    return "" if rule is None else str(rule.to_ical().decode())


def _exdates(event: Component, zone: ZoneInfo) -> tuple[dt.datetime, ...]:
    return tuple(
        _aware(item.dt, zone) for exdate in _all(event.get("EXDATE")) for item in exdate.dts
    )


def _attendees(component: Component) -> tuple[Attendee, ...]:
    return tuple(
        Attendee(
            email=_email(str(address)),
            name=str(address.params.get("CN", "")),
            partstat=str(address.params.get("PARTSTAT", "NEEDS-ACTION")).upper(),
            cutype=str(address.params.get("CUTYPE", "INDIVIDUAL")).upper(),
        )
        for address in _all(component.get("ATTENDEE"))
    )


def _email(address: str) -> str:
    text = address.strip()
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:"):]
    return text.strip().lower()


def _etag(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- writing -------------------------------------------------------------------


def _file_name(uid: str) -> str:
    safe = _UNSAFE.sub("_", uid)
    if not safe or safe.startswith("."):
        # A leading dot would hide the file from every later read.
        safe = "_" + safe[1:]
    return f"{safe}.ics"


def _new_calendar(spec: SeriesSpec, zone: ZoneInfo) -> bytes:
    start = _aware(spec.start, zone).astimezone(zone)
    calendar = icalendar.Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    event = icalendar.Event()
    event.add("UID", spec.uid)
    event.add("DTSTAMP", _now())
    event.add("SEQUENCE", 0)
    event.add("STATUS", "CONFIRMED")
    event.add("SUMMARY", spec.summary)
    event.add("DTSTART", start)
    event.add("DTEND", start + spec.duration)
    if spec.rrule:
        event.add("RRULE", icalendar.vRecur.from_ical(spec.rrule))
    event.add("ORGANIZER", _address(spec.organizer.email), parameters=_cn(spec.organizer))
    event.add(
        "ATTENDEE",
        _address(spec.organizer.email),
        parameters={**_cn(spec.organizer), "PARTSTAT": "ACCEPTED", "ROLE": "REQ-PARTICIPANT"},
    )
    event.add(
        "ATTENDEE",
        _address(spec.attendee.email),
        parameters={**_cn(spec.attendee), "PARTSTAT": "NEEDS-ACTION", "RSVP": "TRUE"},
    )
    event.add(MARKER_PROP, spec.marker)
    if spec.description:
        event.add("DESCRIPTION", spec.description)
    calendar.add_component(event)
    # add_missing_timezones arrived in icalendar 6.1; older versions write TZID only.
    add_timezones = getattr(calendar, "add_missing_timezones", None)
    if add_timezones is not None:
        add_timezones()
    return bytes(calendar.to_ical())


def _address(email: str) -> str:
    return f"mailto:{email}"


def _cn(person: Attendee) -> dict[str, str]:
    return {"CN": person.name} if person.name else {}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _apply(master: Component, patch: SeriesPatch, floating: ZoneInfo) -> None:
    """Apply `patch` to the master VEVENT in place; other components are not touched."""
    if patch.marker is not None:
        _replace(master, MARKER_PROP, patch.marker)
    if patch.summary is not None:
        _replace(master, "SUMMARY", patch.summary)
    if patch.duration is not None:
        if "DTEND" not in master and "DURATION" in master:
            _replace(master, "DURATION", patch.duration)
        else:
            _replace(master, "DTEND", _when(master, "DTSTART") + patch.duration)
    if patch.until is not None:
        _set_until(master, patch.until, floating)
    if patch.notes_url is not None:
        _set_notes(master, patch.notes_url)
    _replace(master, "SEQUENCE", int(master.get("SEQUENCE", 0)) + 1)
    now = _now()
    _replace(master, "DTSTAMP", now)
    _replace(master, "LAST-MODIFIED", now)


def _replace(component: Component, name: str, value: Any) -> None:
    component.pop(name, None)
    component.add(name, value)


def _set_until(master: Component, until: dt.datetime, floating: ZoneInfo) -> None:
    """End every RRULE at `until` in the form RFC 5545 requires for this DTSTART."""
    start = _when(master, "DTSTART")
    value: dt.date
    if not isinstance(start, dt.datetime):
        value = until.astimezone(floating).date()
    elif start.tzinfo is None:
        value = until.astimezone(floating).replace(tzinfo=None)
    else:
        value = until.astimezone(dt.UTC)
    for rule in _all(master.get("RRULE")):
        rule.pop("COUNT", None)
        rule["UNTIL"] = [value]


def _set_notes(master: Component, url: str) -> None:
    """Link the notes without clobbering anything a person wrote."""
    previous = _text(master, NOTES_PROP)
    _replace(master, NOTES_PROP, url)

    attachments = _all(master.pop("ATTACH", None))
    if previous and previous != url:
        attachments = [a for a in attachments if str(a) != previous]
    for attachment in attachments:
        master.add("ATTACH", attachment)
    if not any(str(a) == url for a in attachments):
        master.add("ATTACH", url)

    current_url = _text(master, "URL")
    if not current_url or (previous and current_url == previous):
        _replace(master, "URL", url)

    line = NOTES_LINE.format(url=url)
    text = _text(master, "DESCRIPTION")
    lines = text.split("\n")
    if line in lines:
        return
    old_line = NOTES_LINE.format(url=previous)
    if previous and old_line in lines:
        text = "\n".join(line if part == old_line else part for part in lines)
    elif text.strip():
        text = f"{text.rstrip()}\n\n{line}"
    else:
        text = line
    _replace(master, "DESCRIPTION", text)
