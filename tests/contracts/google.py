"""The Google emulator as a contract backend: syncd's Google calendar and Docs notes on one
side, the real google-api-python-client as the person's own apps on the other."""

from __future__ import annotations

import datetime as dt
from typing import Any

from google.auth.credentials import AnonymousCredentials
from googleapiclient.discovery import build

from syncd.calendars.google import GoogleCalendar, event_id
from syncd.google.api import Endpoints, GoogleApi
from tests.contracts.calendar import PERSON
from tests.emulator import Emulator


def anonymous() -> AnonymousCredentials:
    """No credentials: the emulator on loopback does not ask for any."""
    return AnonymousCredentials()  # type: ignore[no-untyped-call]


def api(emu: Emulator) -> GoogleApi:
    return GoogleApi(anonymous(), Endpoints.at(emu.url))


def client(emu: Emulator, name: str, version: str, endpoint: str) -> Any:
    """The real client library, as the person's own app."""
    return build(name, version, credentials=anonymous(), static_discovery=True,
                 client_options={"api_endpoint": endpoint})


def calendar(emu: Emulator, cache: Any = None) -> GoogleCalendar:
    return GoogleCalendar(api(emu), "primary", people=(PERSON,), owner_email="dana@example.com",
                          default_timezone="Europe/Berlin", cache=cache)


def instance_id(events: Any, uid: str, recurrence_id: dt.datetime) -> str:
    ident = event_id(uid)
    listed = events.instances(calendarId="primary", eventId=ident).execute()["items"]
    wanted = recurrence_id.astimezone(dt.UTC)
    for item in listed:
        start = dt.datetime.fromisoformat(item["originalStartTime"]["dateTime"])
        if start.astimezone(dt.UTC) == wanted:
            return str(item["id"])
    raise AssertionError(f"no instance at {recurrence_id}")
