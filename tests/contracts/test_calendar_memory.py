"""The calendar contract on the in-memory calendar."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.contracts.calendar import CalendarContract, ResourceHarness
from tests.memory import MemoryCalendar


class MemoryHarness(ResourceHarness):
    def __init__(self) -> None:
        self.calendar = self.store = MemoryCalendar()

    def next_run(self) -> MemoryCalendar:
        return self.store  # nothing is cached between runs: the dict is the calendar

    def get_raw(self, uid: str) -> bytes:
        return self.store.raw(uid)

    def put_raw(self, uid: str, raw: bytes) -> None:
        self.store.put(uid, raw)

    def delete(self, uid: str) -> None:
        self.store.delete(uid)

    def break_reads(self) -> None:
        self.store.fail_reads = True


class TestMemoryCalendar(CalendarContract):
    @pytest.fixture
    def harness(self) -> Iterator[MemoryHarness]:
        yield MemoryHarness()
