"""Merging fresh classifications with the stored history of past 1:1s (pure).

Many feeds drop old events. A past occurrence that was classified once keeps
its concrete status when a later read can no longer see it: a fresh `missing`
or `unknown` never overwrites what was known.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from syncd.core.model import Occurrence

# Statuses that only say "we cannot see it", not what happened.
_BLIND = ("missing", "unknown")


def _key(occ: Occurrence) -> tuple[str, dt.datetime]:
    return occ.person, occ.expected.astimezone(dt.UTC)


def merge(stored: Iterable[Occurrence], fresh: Iterable[Occurrence]) -> list[Occurrence]:
    """Fresh rows, except where the fresh row is blind and history knows better;
    stored rows the fresh read no longer covers are kept. Sorted by person, then time."""
    rows = {_key(o): o for o in stored}
    for occ in fresh:
        key = _key(occ)
        known = rows.get(key)
        if known is None or occ.status not in _BLIND or known.status in _BLIND:
            rows[key] = occ
    return [rows[key] for key in sorted(rows)]


def settled(rows: Iterable[Occurrence], now: dt.datetime) -> list[Occurrence]:
    """The rows worth storing: expected before `now` and with a known outcome."""
    return [o for o in rows if o.expected < now and o.status not in ("upcoming", "unknown")]
