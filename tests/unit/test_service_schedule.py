"""The service's schedule: intervals, jitter, per-source backoff (pure, on a fake clock)."""

from __future__ import annotations

import datetime as dt

import pytest

from syncd.service import (
    BACKOFF_CAP,
    BACKOFF_FIRST,
    CALENDAR,
    NOTES,
    Schedule,
    backoff_delay,
    format_interval,
    parse_interval,
)

MINUTE = 60.0
INTERVAL = 15 * MINUTE


def fixed(value: float) -> Schedule:
    """A schedule whose random source always gives `value` (0.5: no jitter at all)."""
    return Schedule(INTERVAL, random=lambda: value)


@pytest.mark.parametrize(("text", "seconds"), [
    ("2s", 2), ("15m", 900), ("1h", 3600), ("1h30m", 5400), (" 90S ", 90), ("1h0m5s", 3605)])
def test_interval_accepts_seconds_minutes_hours(text: str, seconds: int) -> None:
    assert parse_interval(text) == dt.timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "15", "0s", "1d", "m", "15 m", "-5m", "1.5h"])
def test_interval_rejects_anything_else(text: str) -> None:
    with pytest.raises(ValueError):
        parse_interval(text)


def test_interval_is_shown_the_way_it_is_written() -> None:
    assert [format_interval(parse_interval(t)) for t in ("15m", "1h30m", "2s")] == \
        ["15m", "1h30m", "2s"]


def test_first_cycle_is_due_at_start() -> None:
    schedule = fixed(0.5)
    assert schedule.due(1000.0)
    assert schedule.held_back(1000.0) == frozenset()


def test_jitter_stays_within_ten_percent_and_uses_the_whole_range() -> None:
    values = iter([i / 100 for i in range(100)])
    schedule = Schedule(INTERVAL, random=lambda: next(values))
    delays = [schedule.jittered() for _ in range(100)]
    assert all(0.9 * INTERVAL <= d < 1.1 * INTERVAL for d in delays)
    assert min(delays) == pytest.approx(0.9 * INTERVAL)
    assert max(delays) == pytest.approx(INTERVAL * (1 + 0.1 * (2 * 0.99 - 1)))


def test_next_regular_cycle_is_one_jittered_interval_after_the_end_of_the_last() -> None:
    schedule = fixed(0.0)  # the shortest interval: 90 %
    schedule.record(started=0.0, finished=30.0, failed=())
    assert schedule.next_run(31.0) == pytest.approx(30.0 + 0.9 * INTERVAL)
    assert not schedule.due(30.0 + 0.9 * INTERVAL - 1)
    assert schedule.due(30.0 + 0.9 * INTERVAL)


def test_backoff_doubles_from_one_minute_and_stops_at_one_hour() -> None:
    assert [backoff_delay(n) for n in range(1, 9)] == \
        [60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert (BACKOFF_FIRST, BACKOFF_CAP) == (60, 3600)
    assert backoff_delay(100_000) == BACKOFF_CAP


def test_a_failed_source_is_retried_with_growing_delays() -> None:
    schedule = Schedule(24 * 3600.0, random=lambda: 0.5)  # a day: only retries matter
    now = 0.0
    retries = []
    for _ in range(8):
        schedule.record(started=now, finished=now, failed={CALENDAR})
        retries.append(schedule.retry_at[CALENDAR] - now)
        now = schedule.next_run(now)  # the retry is the next cycle
        assert schedule.due(now)
    assert retries == [60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_a_failing_source_does_not_block_the_next_regular_cycle() -> None:
    schedule = Schedule(2 * MINUTE, random=lambda: 0.5)
    schedule.record(started=0.0, finished=0.0, failed={CALENDAR})
    # The retry (in 1 min) comes first; the calendar is held back until then.
    assert schedule.next_run(0.0) == MINUTE
    schedule.record(started=MINUTE, finished=MINUTE, failed={CALENDAR})  # 2nd failure: 2 min
    assert schedule.retry_at[CALENDAR] == 3 * MINUTE
    # The regular cycle (2 min after the first) still runs, with the notes only.
    assert schedule.next_run(MINUTE) == 2 * MINUTE
    assert schedule.held_back(2 * MINUTE) == {CALENDAR}
    schedule.record(started=2 * MINUTE, finished=2 * MINUTE, failed=())
    assert schedule.failures == {CALENDAR: 2, NOTES: 0}  # a held-back source is not retried
    assert schedule.next_run(2 * MINUTE) == 3 * MINUTE  # the calendar's retry
    assert schedule.held_back(3 * MINUTE) == frozenset()
    schedule.record(started=3 * MINUTE, finished=3 * MINUTE, failed=())
    assert schedule.failures == {CALENDAR: 0, NOTES: 0}
    assert schedule.retry_at == {}
    assert schedule.next_run(3 * MINUTE) == 4 * MINUTE  # back on the regular beat


def test_each_source_backs_off_on_its_own() -> None:
    schedule = fixed(0.5)
    schedule.record(started=0.0, finished=0.0, failed={CALENDAR, NOTES})
    schedule.record(started=MINUTE, finished=MINUTE, failed={NOTES})
    assert schedule.failures == {CALENDAR: 0, NOTES: 2}
    assert schedule.held_back(MINUTE + 1) == {NOTES}


def test_a_cycle_that_tried_nothing_changes_no_backoff() -> None:
    schedule = fixed(0.5)
    schedule.record(started=0.0, finished=0.0, failed={CALENDAR})
    schedule.record(started=MINUTE, finished=MINUTE, failed=(), attempted=())
    assert schedule.failures[CALENDAR] == 1


def test_restart_forgets_failures_and_runs_at_once() -> None:
    schedule = fixed(0.5)
    schedule.record(started=0.0, finished=0.0, failed={CALENDAR})
    schedule.restart()
    assert schedule.due(1.0)
    assert schedule.held_back(1.0) == frozenset()
    assert schedule.failures[CALENDAR] == 0


def test_interval_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Schedule(0)
