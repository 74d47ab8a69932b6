"""What happened to each person's 1:1s: match events to people, classify, merge history.

Pure functions over the roster, the observed series and stored rows; the CLI and
reconcile feed them and store the result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from syncd.core import cadence, classify, history, matching
from syncd.core.model import Occurrence, Person, Roster, Series


def anchor(person: Person, series: Sequence[Series], today: dt.date) -> dt.date:
    """Where a person's cadence phase counts from when the roster gives no `start`:
    the earliest recurring series with them, else today."""
    if person.start is not None:
        return person.start
    starts = [s.start.date() for s in series if s.rrule and not s.broken]
    return min(starts, default=today)


def prepare_roster(roster: Roster, observed: Iterable[Series]) -> dict[str, classify.Prepared]:
    """Every active person's events (`matching.series_by_person`), prepared for
    classification once for a run that classifies them more than once."""
    people = [p for p in roster.people if p.active]
    owner = roster.owner.email
    by_person = matching.series_by_person(people, owner, observed)
    return {p.email: classify.prepare(p, owner, by_person.get(p.email, [])) for p in people}


def classify_roster(
    roster: Roster, observed: Iterable[Series], start: dt.datetime, end: dt.datetime,
    now: dt.datetime, prepared: Mapping[str, classify.Prepared] | None = None,
) -> dict[str, list[Occurrence]]:
    """Every active person's expected occurrences in [start, end), classified.

    `prepared`: what `prepare_roster` gave for the same roster and events, when the
    caller has it (the same rows, the events not read again)."""
    people = [p for p in roster.people if p.active]
    if prepared is None:
        prepared = prepare_roster(roster, observed)
    today = now.astimezone(start.tzinfo).date()
    out: dict[str, list[Occurrence]] = {}
    for person in people:
        events = prepared[person.email]
        # A person whose slot is not chosen yet has no expected 1:1s.
        if person.slot is None:
            out[person.email] = []
            continue
        out[person.email] = classify.classify_prepared(
            events, person, roster.timezone, start, end, now,
            anchor(person, events.given, today))
    return out


def with_history(
    fresh: dict[str, list[Occurrence]], stored: Iterable[Occurrence]
) -> dict[str, list[Occurrence]]:
    """Fresh rows merged with stored history, per person (only people in `fresh`)."""
    rows = history.merge(stored, (o for rows in fresh.values() for o in rows))
    out: dict[str, list[Occurrence]] = {email: [] for email in fresh}
    for occ in rows:
        if occ.person in out:
            out[occ.person].append(occ)
    return out


def lookback(roster: Roster) -> dt.timedelta:
    """How far back to classify so that every person's last held 1:1 is in view."""
    longest = max((cadence.interval_days(p.cadence) for p in roster.people), default=7.0)
    return dt.timedelta(days=max(90.0, 2 * longest))
