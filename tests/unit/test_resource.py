"""One series as one iCalendar resource: what a new one holds, and a patch that changes
its master only."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from syncd.calendars import resource
from syncd.calendars.base import CalendarError
from syncd.core.model import SeriesPatch
from tests.contracts.calendar import FIRST, SPEC, WEEK, WINDOW

ZONE = ZoneInfo("Europe/Berlin")


def test_a_new_resource_reads_back_as_the_series() -> None:
    raw = resource.new_resource(SPEC)
    assert b"BEGIN:VTIMEZONE" in raw and b"X-SYNCD-ID:" + SPEC.marker.encode() in raw
    (series,) = resource.series_in(raw, "alice.ics", '"e1"', *WINDOW, ZONE)
    assert (series.uid, series.etag, series.start) == (SPEC.uid, '"e1"', FIRST)


def test_an_unknown_zone_is_refused() -> None:
    with pytest.raises(CalendarError, match="unknown time zone 'Mars/Olympus'"):
        resource.new_resource(dataclasses.replace(SPEC, timezone="Mars/Olympus"))


def test_a_patch_changes_the_master_and_keeps_each_override_as_it_was() -> None:
    override = (
        f"BEGIN:VEVENT\r\nUID:{SPEC.uid}\r\nRECURRENCE-ID;TZID=Europe/Berlin:20261110T100000"
        "\r\nDTSTART;TZID=Europe/Berlin:20261111T140000\r\nDTEND;TZID=Europe/Berlin:"
        "20261111T144500\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:moved by Alice\r\n"
        "END:VEVENT\r\n").encode()
    raw = resource.new_resource(SPEC).replace(b"END:VCALENDAR", override + b"END:VCALENDAR")
    new = resource.patched(raw, SPEC.uid, SeriesPatch(duration=dt.timedelta(hours=1)), ZONE)

    def overrides(data: bytes) -> list[bytes]:
        return [e.to_ical() for e in resource.parse(data).walk("VEVENT")
                if "RECURRENCE-ID" in e]

    assert overrides(new) == overrides(raw)
    (series,) = resource.series_in(new, "alice.ics", "", *WINDOW, ZONE)
    assert series.duration == dt.timedelta(hours=1)
    (moved,) = [i for i in series.instances if i.recurrence_id == FIRST + WEEK]
    assert moved.start == dt.datetime(2026, 11, 11, 14, 0, tzinfo=ZONE)


def test_a_resource_with_only_changed_instances_has_no_series_to_patch() -> None:
    only = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{SPEC.uid}\r\nRECURRENCE-ID:20261110T090000Z\r\nDTSTART:20261110T090000Z\r\n"
        "DTEND:20261110T094500Z\r\nDTSTAMP:20261101T000000Z\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n").encode()
    with pytest.raises(CalendarError, match="only changed instances"):
        resource.patched(only, SPEC.uid, SeriesPatch(summary="x"), ZONE)


def test_text_that_is_not_a_calendar_is_refused() -> None:
    with pytest.raises(ValueError, match="not a VCALENDAR"):
        resource.parse(b"BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n")
