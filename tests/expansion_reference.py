"""series_from_calendar as it was before syncd/calendars/occurrences.py: every occurrence
read from the copy of its VEVENT that recurring_ical_events makes for it, kept verbatim as
the reference the uncopied occurrences must equal (tests/unit/test_occurrences.py). Not
used by syncd. What did not change is imported from syncd.calendars.ical.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from icalendar import Component

from syncd.calendars.ical import (
    _SLACK,
    MARKER_PROP,
    NOTES_PROP,
    OOF_PROP,
    _alone,
    _ambiguous,
    _attendees,
    _broken,
    _email,
    _exdates,
    _is_override,
    _reason,
    _rrule,
    _span,
    _this_and_future,
    _too_dense,
    _zone_key,
    aware,
    check_depth,
    floating_zone,
    master_of,
    text_of,
    uid_of,
    when,
)
from syncd.calendars.window import overlaps
from syncd.core.model import Instance, Series


def series_from_calendar(
    calendar: icalendar.Calendar,
    start: dt.datetime,
    end: dt.datetime,
    default_zone: ZoneInfo,
    etag_for: Callable[[str], str],
) -> list[Series]:
    """What syncd.calendars.ical.series_from_calendar gives, read from the copies."""
    check_depth(calendar)
    zone = floating_zone(calendar, default_zone)
    by_uid: dict[str, list[Component]] = {}
    for event in calendar.walk("VEVENT"):
        by_uid.setdefault(uid_of(event), []).append(event)
    occurrences: dict[str, list[Component]] = {}
    failed = {uid: reason for uid, events in by_uid.items()
              if (reason := _ambiguous(events) or _too_dense(events, end + _SLACK))}
    expandable = {uid: events for uid, events in by_uid.items() if uid not in failed}
    whole = calendar if not failed else _alone(
        calendar, [event for events in expandable.values() for event in events])
    try:
        for occurrence in _expand(whole, start - _SLACK, end + _SLACK):
            occurrences.setdefault(uid_of(occurrence), []).append(occurrence)
    except Exception:
        occurrences.clear()
        for uid, events in expandable.items():
            try:
                occurrences[uid] = _expand(_alone(calendar, events), start - _SLACK, end + _SLACK)
            except Exception as exc:
                failed[uid] = _reason(exc)
    result = []
    for uid, events in by_uid.items():
        etag = etag_for(uid)
        if uid in failed:
            result.append(_broken(events, zone, etag, failed[uid], start))
            continue
        try:
            result.append(_series(events, occurrences.get(uid, []), zone, etag, start, end))
        except Exception as exc:
            result.append(_broken(events, zone, etag, _reason(exc), start))
    return result


def _expand(calendar: icalendar.Calendar, start: dt.datetime, end: dt.datetime) -> list[Component]:
    return list(recurring_ical_events.of(calendar).between(start, end))


def _series(
    events: list[Component],
    occurrences: list[Component],
    zone: ZoneInfo,
    etag: str,
    start: dt.datetime,
    end: dt.datetime,
) -> Series:
    master = master_of(events)
    base = master if master is not None else events[0]
    base_start, base_end = _span(base, zone)
    overridden = {aware(when(e, "RECURRENCE-ID"), zone) for e in events if _is_override(e)}
    shifts = {aware(when(e, "RECURRENCE-ID"), zone): _span(e, zone)[0]
              - aware(when(e, "RECURRENCE-ID"), zone) for e in events if _this_and_future(e)}
    instances = [_instance(o, zone, overridden, shifts) for o in occurrences]
    return Series(
        uid=uid_of(base),
        summary=text_of(base, "SUMMARY"),
        start=base_start,
        end=base_end,
        timezone=_zone_key(base, zone),
        rrule=_rrule(base) if master is not None else "",
        exdates=_exdates(base, zone),
        attendees=_attendees(base),
        organizer=_email(text_of(base, "ORGANIZER")),
        status=text_of(base, "STATUS").upper() or "CONFIRMED",
        description=text_of(base, "DESCRIPTION"),
        marker=text_of(base, MARKER_PROP),
        notes_url=text_of(base, NOTES_PROP),
        instances=tuple(
            sorted(
                (i for i in instances if overlaps(i, start, end)),
                key=lambda i: i.recurrence_id,
            )
        ),
        etag=etag,
        transparent=text_of(base, "TRANSP").upper() == "TRANSPARENT",
        out_of_office=text_of(base, OOF_PROP).upper() == "OOF",
        all_day=not isinstance(when(base, "DTSTART"), dt.datetime),
    )


def _instance(
    occurrence: Component, zone: ZoneInfo, overridden: set[dt.datetime],
    shifts: dict[dt.datetime, dt.timedelta],
) -> Instance:
    start, end = _span(occurrence, zone)
    # recurring_ical_events sets RECURRENCE-ID on every occurrence of a recurring event.
    recurrence_id = (
        aware(when(occurrence, "RECURRENCE-ID"), zone)
        if "RECURRENCE-ID" in occurrence
        else start
    )
    changed = recurrence_id in overridden
    if _this_and_future(occurrence) and recurrence_id in shifts:
        # Every later occurrence carries the split's RECURRENCE-ID; its own slot is
        # where it started before the split moved the rest of the series.
        recurrence_id = start - shifts[recurrence_id]
        changed = True
    return Instance(
        recurrence_id=recurrence_id,
        start=start,
        end=end,
        status=text_of(occurrence, "STATUS").upper() or "CONFIRMED",
        attendees=_attendees(occurrence),
        overridden=changed,
    )
