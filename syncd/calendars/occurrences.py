"""The occurrences of a calendar's VEVENTs in a time span, as recurring_ical_events finds
them, without the copy of its VEVENT it makes for each.

recurring_ical_events returns every occurrence as a copy of the VEVENT it comes from,
with DTSTART, DTEND and RECURRENCE-ID set: copying is most of what an expansion costs,
and all that syncd reads of a copy is its VEVENT's own properties and those three
times. The library's adapter extension point gives them without the copy.
tests/unit/test_occurrences.py holds the Series read this way to those read from the
copies (tests/expansion_reference.py).

Imported on the first expansion: a feed whose converted series are cached, and a
command that expands nothing, never load recurring_ical_events.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import icalendar
import recurring_ical_events
from icalendar import Component
from recurring_ical_events import ComponentsWithName, EventAdapter


@dataclass(slots=True)
class Occurrence:
    """One occurrence: the VEVENT it comes from, and its start and end (the copy's DTSTART
    and DTEND: as written, floating or all-day ones too). That VEVENT is the master, the
    override for this occurrence, or the THISANDFUTURE override it follows; its
    RECURRENCE-ID is the copy's, and without one the copy's is the start."""

    event: Component
    start: dt.date
    end: dt.date

    def __setitem__(self, name: str, value: object) -> None:
        """recurring_ical_events sets SEQUENCE on each occurrence of a series in which an
        event has one: an Instance does not show it, so it is not kept."""


class _Uncopied(EventAdapter):  # type: ignore[misc]  # (the library has no type hints)
    """recurring_ical_events' VEVENT adapter, making Occurrences instead of copies."""

    def __init__(self, component: Component) -> None:
        super().__init__(component)
        self.event = component

    def as_component(self, start: dt.date | None = None, stop: dt.date | None = None,
                     keep_recurrence_attributes: bool = True) -> Occurrence:
        """This VEVENT's occurrence from start to stop (its own times when None)."""
        return Occurrence(self.event, self.start if start is None else start,
                          self.end if stop is None else stop)


def between(calendar: icalendar.Calendar, start: dt.datetime, end: dt.datetime
            ) -> list[Occurrence]:
    """The occurrences of `calendar`'s VEVENTs from `start` to `end`, as
    `recurring_ical_events.of(calendar).between(start, end)` finds them."""
    query = recurring_ical_events.of(
        calendar, components=[ComponentsWithName("VEVENT", adapter=_Uncopied)])
    return list(query.between(start, end))
