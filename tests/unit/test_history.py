"""History: a skip, once seen, survives a feed that drops old events."""

from __future__ import annotations

import datetime as dt

from syncd.core import history
from syncd.core.model import Occurrence

UTC = dt.UTC
T1 = dt.datetime(2026, 10, 6, 8, 0, tzinfo=UTC)
T2 = dt.datetime(2026, 10, 13, 8, 0, tzinfo=UTC)
NOW = dt.datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def occ(when: dt.datetime, status: str, reason: str | None = None) -> Occurrence:
    return Occurrence("a@x.org", when, status, reason)  # type: ignore[arg-type]


def test_blind_fresh_rows_do_not_erase_known_outcomes() -> None:
    stored = [occ(T1, "skipped", "cancelled"), occ(T2, "held")]
    fresh = [occ(T1, "missing"), occ(T2, "unknown")]
    assert history.merge(stored, fresh) == stored


def test_concrete_fresh_rows_win_and_new_rows_are_added() -> None:
    stored = [occ(T1, "missing")]
    fresh = [occ(T1, "rescheduled"), occ(T2, "held")]
    assert history.merge(stored, fresh) == fresh


def test_merge_is_stable_when_rerun() -> None:
    stored = [occ(T1, "skipped", "deleted")]
    fresh = [occ(T1, "missing"), occ(T2, "held")]
    once = history.merge(stored, fresh)
    assert history.merge(once, fresh) == once


def test_only_settled_past_rows_are_stored() -> None:
    later = NOW + dt.timedelta(days=1)
    rows = [occ(T1, "held"), occ(T2, "unknown"), occ(later, "upcoming")]
    assert history.settled(rows, NOW) == [occ(T1, "held")]
