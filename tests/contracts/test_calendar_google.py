"""The calendar contract on the Google calendar backend against the emulator."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from syncd.calendars.google import GoogleCalendar, event_id
from tests.contracts import google
from tests.contracts.calendar import CalendarContract, CalendarHarness
from tests.emulator import Emulator, running_emulator


class GoogleHarness(CalendarHarness):
    counts_requests = True

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.calendar = self.last = google.calendar(emu)
        self.events = google.client(emu, "calendar", "v3", emu.calendar_endpoint).events()

    def requests(self) -> int:
        return len(self.emu.requests())

    def next_run(self) -> GoogleCalendar:
        # The sync token and kept events, as reconcile stores them in state.
        self.last = google.calendar(self.emu, self.last.cache)
        return self.last

    def move(self, uid: str, recurrence_id: dt.datetime, to: dt.datetime) -> None:
        ident = google.instance_id(self.events, uid, recurrence_id)
        length = dt.timedelta(minutes=45)
        self.events.patch(calendarId="primary", eventId=ident, body={
            "start": {"dateTime": to.isoformat(), "timeZone": "Europe/Berlin"},
            "end": {"dateTime": (to + length).isoformat(), "timeZone": "Europe/Berlin"},
        }).execute()

    def cancel(self, uid: str, recurrence_id: dt.datetime) -> None:
        ident = google.instance_id(self.events, uid, recurrence_id)
        self.events.delete(calendarId="primary", eventId=ident).execute()

    def retitle(self, uid: str, title: str) -> None:
        self.events.patch(calendarId="primary", eventId=event_id(uid),
                          body={"summary": title}).execute()

    def delete(self, uid: str) -> None:
        self.events.delete(calendarId="primary", eventId=event_id(uid)).execute()

    def break_reads(self) -> None:
        # Not retried (a 403 is not a rate limit), and never an empty calendar.
        self.emu.fault(method="GET", path="/events$", status=403, reason="forbidden", times=50)


class TestGoogleCalendar(CalendarContract):
    @pytest.fixture
    def harness(self) -> Iterator[GoogleHarness]:
        with running_emulator(owner="dana@example.com") as emu:
            yield GoogleHarness(emu)
