"""The calendar contract on the local calendar (a folder of .ics files)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.calendars.local import LocalCalendar
from tests.contracts.calendar import CalendarContract, ResourceHarness
from tests.memory import uids


class LocalHarness(ResourceHarness):
    def __init__(self, folder: Path) -> None:
        folder.mkdir()
        self.folder = folder
        self.calendar = self.next_run()

    def next_run(self) -> LocalCalendar:
        return LocalCalendar(self.folder, "Europe/Berlin")

    def _file(self, uid: str) -> Path:
        (found,) = [p for p in self.folder.glob("*.ics") if uid in uids(p.read_bytes())]
        return found

    def get_raw(self, uid: str) -> bytes:
        return self._file(uid).read_bytes()

    def put_raw(self, uid: str, raw: bytes) -> None:
        self._file(uid).write_bytes(raw)

    def delete(self, uid: str) -> None:
        self._file(uid).unlink()

    def break_reads(self) -> None:
        # Half a file, as a sync client leaves it mid-copy: the whole read must fail.
        (self.folder / "half.ics").write_bytes(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTST")


class TestLocalCalendar(CalendarContract):
    @pytest.fixture
    def harness(self, tmp_path: Path) -> Iterator[LocalHarness]:
        yield LocalHarness(tmp_path / "calendar")
