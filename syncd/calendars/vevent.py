"""Writing iCalendar: a new series as the VEVENT syncd writes, and a change to the master
of an existing one. Shared by the local folder, CalDAV resources and `syncd export`;
loaded only by what writes (a run that writes nothing never imports icalendar)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from icalendar import Component

from syncd.calendars import ical
from syncd.core.model import Attendee, SeriesPatch, SeriesSpec

PRODID = "-//syncd//syncd//EN"
NOTES_LINE = "Notes: {url}"


def series_event(spec: SeriesSpec, zone: ZoneInfo) -> icalendar.Event:
    """The VEVENT of a new series syncd writes (marker, organizer and guest included)."""
    start = ical.aware(spec.start, zone).astimezone(zone)
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
    event.add(ical.MARKER_PROP, spec.marker)
    if spec.description:
        event.add("DESCRIPTION", spec.description)
    if spec.notes_url:
        set_notes(event, spec.notes_url)
    return event


def calendar_bytes(events: list[icalendar.Event]) -> bytes:
    """A VCALENDAR holding `events` and the VTIMEZONEs they use."""
    calendar = icalendar.Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    for event in events:
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


def patch_master(master: Component, patch: SeriesPatch, floating: ZoneInfo) -> None:
    """Apply `patch` to the master VEVENT in place; other components are not touched."""
    if patch.marker is not None:
        _replace(master, ical.MARKER_PROP, patch.marker)
    if patch.summary is not None:
        _replace(master, "SUMMARY", patch.summary)
    if patch.duration is not None:
        if "DTEND" not in master and "DURATION" in master:
            _replace(master, "DURATION", patch.duration)
        else:
            _replace(master, "DTEND", ical.when(master, "DTSTART") + patch.duration)
    if patch.until is not None:
        _set_until(master, patch.until, floating)
    if patch.notes_url is not None:
        set_notes(master, patch.notes_url)
    _replace(master, "SEQUENCE", ical.sequence_of(master) + 1)
    now = _now()
    _replace(master, "DTSTAMP", now)
    _replace(master, "LAST-MODIFIED", now)


def _replace(component: Component, name: str, value: Any) -> None:
    component.pop(name, None)
    component.add(name, value)


def _set_until(master: Component, until: dt.datetime, floating: ZoneInfo) -> None:
    """End every RRULE at `until` in the form RFC 5545 requires for this DTSTART."""
    start = ical.when(master, "DTSTART")
    value: dt.date
    if not isinstance(start, dt.datetime):
        value = until.astimezone(floating).date()
    elif start.tzinfo is None:
        value = until.astimezone(floating).replace(tzinfo=None)
    else:
        value = until.astimezone(dt.UTC)
    for rule in ical.all_values(master.get("RRULE")):
        rule.pop("COUNT", None)
        rule["UNTIL"] = [value]


def set_notes(master: Component, url: str) -> None:
    """Link the notes without clobbering anything a person wrote."""
    previous = ical.text_of(master, ical.NOTES_PROP)
    _replace(master, ical.NOTES_PROP, url)

    attachments = ical.all_values(master.pop("ATTACH", None))
    if previous and previous != url:
        attachments = [a for a in attachments if str(a) != previous]
    for attachment in attachments:
        master.add("ATTACH", attachment)
    if not any(str(a) == url for a in attachments):
        master.add("ATTACH", url)

    current_url = ical.text_of(master, "URL")
    if not current_url or (previous and current_url == previous):
        _replace(master, "URL", url)

    line = NOTES_LINE.format(url=url)
    text = ical.text_of(master, "DESCRIPTION")
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
