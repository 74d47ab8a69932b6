"""Where new 1:1s go, in the shell: the decisions state keeps, the busy time syncd can
see, and the new decisions recorded (the choice itself is `core/placement.py`).

What syncd sees: the lead's own calendar (its other events), every roster 1:1, and on
Google the free/busy of the lead and of people whose calendars show it to the lead.
Anyone else's availability is unknown, and said so, never taken for free.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from syncd import backends
from syncd.config import Config, GoogleCalendarConfig
from syncd.core import matching, placement, schedule
from syncd.core.model import Placement, Roster, Series
from syncd.state import State


@dataclass(frozen=True)
class Placed:
    """The roster with every decision applied, and what to tell the lead."""

    roster: Roster
    info: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def settle(config: Config, roster: Roster, state: State, observed: Sequence[Series] | None,
           now: dt.datetime, *, decide: bool, record: bool) -> Placed:
    """With `decide`, decide what is undecided (unless the calendar was not read); apply
    all decisions to `roster`. With `record`, the new ones are kept in state (with an audit
    line); without `decide`, only those state keeps apply."""
    stored = state.placements()
    if observed is None:
        return Placed(placement.resolve(roster, stored, {}, now))
    if not decide:
        return Placed(stored_roster(roster, state, observed, now))
    mine = matching.series_by_person(roster.people, roster.owner.email, observed)
    history = state.people_with_history() | {row.person for row in state.memory().series}
    todo = placement.undecided(roster, stored, mine, history, now)
    made = placement.Placing()
    if todo:
        end = now + placement.CLEAR_OF_ONE_ON_ONES
        busy = [*schedule.owner_busy(roster, observed, now, end).intervals,
                *placement.calendar_one_on_ones(mine, now)]
        shown = free_busy(config, [roster.owner.email, *todo], now, end)
        owner = shown.get(roster.owner.email)
        busy += owner.intervals if owner is not None and owner.known else ()
        made = placement.place(roster, stored, mine, history, busy, shown, now)
        if record and made.made:
            with state.transaction():
                for decided in made.made:
                    state.record_placement(decided)
                    state.audit(now, "place", decided.person, decided.first.isoformat(),
                                _detail(decided))
    decided_now = {**stored, **{p.person: p for p in made.made}}
    resolved = placement.resolve(roster, decided_now, mine, now)
    return Placed(resolved, (*made.info, *placement.queued_lines(resolved, decided_now)),
                  made.warnings)


def stored_roster(roster: Roster, state: State, observed: Sequence[Series],
                  now: dt.datetime) -> Roster:
    """`roster` with the decisions state keeps (read-only commands: nothing is decided)."""
    mine = matching.series_by_person(roster.people, roster.owner.email, observed)
    return placement.resolve(roster, state.placements(), mine, now)


def free_busy(config: Config, emails: list[str], start: dt.datetime,
              end: dt.datetime) -> dict[str, schedule.Busy]:
    """Google's free/busy for each email; unknown for all on other calendars."""
    unknown = {email: schedule.Busy(email, known=False) for email in emails}
    if not isinstance(config.calendar, GoogleCalendarConfig):
        return unknown
    from syncd.google import auth, freebusy

    try:
        api = backends.connect_google(config)
    except auth.AuthError:
        return unknown
    assert api is not None  # the calendar is Google's
    return freebusy.query(api, emails, start, end)


def _detail(decided: Placement) -> str:
    parts = []
    if decided.slot is not None:
        parts.append(f"slot {schedule.DAY_NAMES[decided.slot.day]} "
                     f"{decided.slot.time:%H:%M} chosen")
    parts.append(f"{'first 1:1' if decided.new else 'start'} {decided.first.isoformat()}")
    return ", ".join(parts)
