"""Per-person status: last held, next expected, skips in 90 days, overdue."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from syncd.core import cadence, status
from syncd.core.model import Occurrence, Pause, Person, Slot

BERLIN = ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=BERLIN)
WEEKLY = Person("Alice", "alice@example.com", cadence.parse_cadence("weekly"),
                Slot(1, dt.time(10, 0)), dt.timedelta(minutes=45))


def tue(day: int, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, 10, 0, tzinfo=BERLIN)


def occ(when: dt.datetime, state: str, reason: str | None = None,
        actual: dt.datetime | None = None) -> Occurrence:
    return Occurrence("alice@example.com", when, state, reason, actual)  # type: ignore[arg-type]


WINDOW = (NOW - dt.timedelta(days=90), NOW)


def test_held_moved_meeting_counts_at_its_real_time() -> None:
    rows = [occ(tue(3), "held"), occ(tue(10), "rescheduled", actual=tue(12)),
            occ(tue(17), "skipped", "cancelled"), occ(tue(24), "missing"),
            occ(tue(1, 12), "upcoming")]
    s = status.person_status(WEEKLY, rows, *WINDOW, NOW)
    assert s.last_held == tue(12)
    assert s.days_since_last_held == 13
    assert s.next_expected == tue(1, 12)
    assert s.skips_90d == 2
    # 13 days without a held weekly 1:1 is more than 1.5 weeks.
    assert s.overdue
    assert [o.status for o in s.occurrences] == ["held", "rescheduled", "skipped", "missing"]


def test_recent_one_to_one_is_not_overdue_and_pause_suspends_overdue() -> None:
    recent = [occ(tue(24), "held"), occ(tue(1, 12), "upcoming")]
    assert not status.person_status(WEEKLY, recent, *WINDOW, NOW).overdue
    old = [occ(tue(3), "held")]
    assert status.person_status(WEEKLY, old, *WINDOW, NOW).overdue
    on_leave = Person(**{**WEEKLY.__dict__, "pauses": (
        Pause(dt.date(2026, 11, 20), dt.date(2026, 12, 31), "leave"),)})
    assert not status.person_status(on_leave, old, *WINDOW, NOW).overdue


def test_json_contract_shape() -> None:
    rows = [occ(tue(10), "rescheduled", actual=tue(12)), occ(tue(17), "skipped", "cancelled")]
    out = status.status_json([status.person_status(WEEKLY, rows, *WINDOW, NOW)], BERLIN)
    (person,) = out["people"]
    assert set(person) >= {"email", "name", "cadence", "last_held", "days_since_last_held",
                           "next_expected", "overdue", "occurrences"}
    assert person["occurrences"] == [
        {"expected": "2026-11-10T10:00:00+01:00", "status": "rescheduled", "reason": None,
         "actual_start": "2026-11-12T10:00:00+01:00"},
        {"expected": "2026-11-17T10:00:00+01:00", "status": "skipped", "reason": "cancelled",
         "actual_start": None},
    ]
