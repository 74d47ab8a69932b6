"""Days the lead is away, as pauses: public holidays and out-of-office events.

The `holidays` package knows public holidays offline; the calendar read knows the
lead's own out-of-office. Both become `Pause(time_off=…)` values that the pure core
treats like roster pauses, except that a 1:1 which took place anyway stays held.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from syncd.config import Config
from syncd.core import schedule
from syncd.core.model import Pause, Roster, Series


def public_holidays(country: str, subdivision: str | None, first: dt.date,
                    last: dt.date) -> tuple[Pause, ...]:
    """One single-day pause per public holiday between `first` and `last` (inclusive)."""
    import holidays  # only for configs that ask for holidays: it costs start-up time

    found = holidays.country_holidays(country, subdiv=subdivision,
                                      years=range(first.year, last.year + 1))
    return tuple(Pause(day, day, str(name), "holiday")
                 for day, name in sorted(found.items()) if first <= day <= last)


def with_time_off(config: Config, observed: Iterable[Series], start: dt.datetime,
                  end: dt.datetime) -> Roster:
    """The roster with the holidays and out-of-office days in [start, end) as pauses."""
    off = config.holidays
    pauses: list[Pause] = []
    if off is not None:
        pauses += public_holidays(off.country, off.subdivision, start.date(), end.date())
    pauses += schedule.out_of_office(config.roster, observed, start, end)
    return schedule.with_time_off(config.roster, pauses)
