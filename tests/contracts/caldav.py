"""CalDAV servers as contract backends: syncd's CalDAV calendar on one side, python-caldav
as the person's own calendar app (a second client) on the other, and every HTTP request
syncd's client sends counted by a response hook on its session."""

from __future__ import annotations

import itertools
from typing import Any

from caldav.davclient import DAVClient

from syncd.calendars.caldav import CalDAVCalendar, DavCache
from tests.caldav_servers import Server, new_calendar
from tests.contracts.calendar import OWNER, PERSON, ResourceHarness

_names = itertools.count(1)


def client(server: Server) -> DAVClient:
    """A client as syncd makes one (Basic auth at once when there is a password)."""
    return DAVClient(url=server.root, username=server.username,
                     password=server.password or None,
                     auth_type="basic" if server.password else None, enable_rfc6764=False)


class Counted:
    """Counts the HTTP responses a client's session receives."""

    def __init__(self) -> None:
        self.count = 0

    def attach(self, dav: DAVClient) -> DAVClient:
        dav.session.hooks["response"].append(self._seen)
        return dav

    def _seen(self, response: Any, **_: Any) -> Any:
        self.count += 1
        return response


class CalDAVHarness(ResourceHarness):
    """A fresh calendar on a running server per test."""

    counts_requests = True

    def __init__(self, server: Server, name: str = "") -> None:
        self.server = server
        self.name = name or f"contract-{next(_names)}"
        self.url = new_calendar(server, self.name)
        self.counted = Counted()
        self.person = client(server).calendar(url=self.url)  # the person's own app
        self.calendar = self.last = self.open(None)

    def open(self, cache: DavCache | None) -> CalDAVCalendar:
        return CalDAVCalendar(self.counted.attach(client(self.server)), calendar=self.url,
                              default_timezone="Europe/Berlin", people=(PERSON,),
                              owner_email=OWNER.email, cache=cache)

    def requests(self) -> int:
        return self.counted.count

    def next_run(self) -> CalDAVCalendar:
        # What reconcile keeps in state: the calendar's URL, sync token and resources.
        self.last = self.open(self.last.cache)
        return self.last

    def _object(self, uid: str) -> Any:
        return self.person.get_object_by_uid(uid)

    def get_raw(self, uid: str) -> bytes:
        return str(self._object(uid).data).encode()

    def put_raw(self, uid: str, raw: bytes) -> None:
        found = self._object(uid)
        found.data = raw.decode()
        found.save()

    def delete(self, uid: str) -> None:
        self._object(uid).delete()

    def break_reads(self) -> None:
        # The calendar disappears (deleted in another app): reads must fail.
        self.person.delete()
