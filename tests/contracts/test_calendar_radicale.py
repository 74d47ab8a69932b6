"""The calendar contract on the CalDAV calendar against a real Radicale server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.caldav_servers import Server, radicale
from tests.contracts.caldav import CalDAVHarness
from tests.contracts.calendar import CalendarContract


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with radicale(tmp_path_factory.mktemp("radicale")) as running:
        yield running


class TestRadicaleCalendar(CalendarContract):
    @pytest.fixture
    def harness(self, server: Server) -> Iterator[CalDAVHarness]:
        yield CalDAVHarness(server)
