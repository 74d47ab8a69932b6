"""Turning a parsed iCalendar into Series: shared by the local folder and ICS feeds.

Expansion is done by recurring_ical_events. Some real exports make it raise; one
bad event must not hide every other one, so a calendar whose expansion fails is
expanded again one UID at a time, and a UID that still fails becomes a Series
marked `broken` that carries whatever of its master could be read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar
from zoneinfo import ZoneInfo

import icalendar
from icalendar import Component
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from syncd.calendars.window import overlaps, zone_named
from syncd.core.model import Attendee, Instance, Series

if TYPE_CHECKING:
    from syncd.calendars.occurrences import Occurrence

MARKER_PROP = "X-SYNCD-ID"
NOTES_PROP = "X-SYNCD-NOTES"
# Outlook's and Exchange's free/busy status; OOF = out of office.
OOF_PROP = "X-MICROSOFT-CDO-BUSYSTATUS"

# recurring_ical_events compares floating times as naive wall-clock values against
# the query, so the query is widened by more than any UTC offset and the instances
# are then filtered on their aware times.
_SLACK = dt.timedelta(days=1)
_REASON_LENGTH = 160
_T = TypeVar("_T")
# dateutil walks a rule from its DTSTART one FREQ period at a time, every period
# producing each of its days times each BYHOUR/BYMINUTE/BYSECOND combination, and
# recurring_ical_events keeps every start in the window in a list. A 1:1 rule costs a
# few thousand such steps even from decades back; FREQ=SECONDLY, or DAILY with sixty
# BYSECONDs, costs billions of steps and gigabytes. Rules estimated above this are not
# expanded: their series comes back broken, saying why.
_MAX_STEPS = 200_000
_PERIOD = {  # the shortest length of one period, so the step count is never underestimated
    "SECONDLY": dt.timedelta(seconds=1), "MINUTELY": dt.timedelta(minutes=1),
    "HOURLY": dt.timedelta(hours=1), "DAILY": dt.timedelta(days=1),
    "WEEKLY": dt.timedelta(days=7), "MONTHLY": dt.timedelta(days=28),
    "YEARLY": dt.timedelta(days=365),
}
_DAYS_IN_PERIOD = {"WEEKLY": 7, "MONTHLY": 31, "YEARLY": 366}  # candidate days per period
# RFC 5545 nests three deep (VCALENDAR > VEVENT > VALARM). Deeper nesting is an attack:
# icalendar and recurring_ical_events walk every component below each event, so events
# nested inside events cost time quadratic in the depth, and serialising recurses.
_MAX_DEPTH = 8


def series_from_calendar(
    calendar: icalendar.Calendar,
    start: dt.datetime,
    end: dt.datetime,
    default_zone: ZoneInfo,
    etag_for: Callable[[str], str],
) -> list[Series]:
    """One Series per UID of `calendar`'s VEVENTs, with its instances between start and end.

    Floating and all-day times are read in the calendar's X-WR-TIMEZONE, else in
    `default_zone`. `etag_for(uid)` gives each Series its etag. Every VEVENT must
    have a UID (see name_anonymous_events). A UID whose events cannot be expanded
    or read comes back with `broken` set and no instances, as does one whose rule is
    too costly to expand (see _too_dense) or that has two different masters (see
    _ambiguous). Components nested deeper than any calendar nests them raise ValueError.
    """
    check_depth(calendar)
    zone = floating_zone(calendar, default_zone)
    by_uid: dict[str, list[Component]] = {}
    for event in calendar.walk("VEVENT"):
        by_uid.setdefault(uid_of(event), []).append(event)
    occurrences: dict[str, list[Occurrence]] = {}
    failed = {uid: reason for uid, events in by_uid.items()
              if (reason := _ambiguous(events) or _too_dense(events, end + _SLACK))}
    expandable = {uid: events for uid, events in by_uid.items() if uid not in failed}
    whole = calendar if not failed else _alone(
        calendar, [event for events in expandable.values() for event in events])
    try:
        for occurrence in _expand(whole, start - _SLACK, end + _SLACK):
            occurrences.setdefault(uid_of(occurrence.event), []).append(occurrence)
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


def check_depth(calendar: Component) -> None:
    """ValueError when components are nested deeper than any real calendar nests them."""
    level = [calendar]
    for _ in range(_MAX_DEPTH):
        level = [child for component in level for child in component.subcomponents]
        if not level:
            return
    raise ValueError(f"components nested more than {_MAX_DEPTH} deep "
                     "(RFC 5545 nests three: VCALENDAR, VEVENT, VALARM)")


def name_anonymous_events(calendar: icalendar.Calendar, prefix: str) -> frozenset[str]:
    """Give every VEVENT without a UID the UID "<prefix>#<n>" (n counts all VEVENTs from 1).

    RFC 5545 requires a UID but some exports lack one. Returns the UIDs given; such
    events can be read but never written back.
    """
    given: set[str] = set()
    for number, event in enumerate(calendar.walk("VEVENT"), 1):
        if not uid_of(event):
            uid = f"{prefix}#{number}"
            event.add("UID", uid)
            given.add(uid)
    return frozenset(given)


def floating_zone(calendar: icalendar.Calendar, default: ZoneInfo) -> ZoneInfo:
    """The zone floating times of `calendar` are in: X-WR-TIMEZONE when valid, else `default`."""
    # recurring_ical_events applies X-WR-TIMEZONE to floating times; the master
    # must be read the same way or its instances would not line up with it.
    declared = calendar.get("X-WR-TIMEZONE")
    return (zone_named(str(declared)) if declared else None) or default


def twin_masters(calendar: Component) -> bool:
    """Whether a UID of `calendar` has two VEVENTs without RECURRENCE-ID (see _ambiguous,
    which compares them whole)."""
    seen: set[str] = set()
    for event in calendar.walk("VEVENT"):
        if not _is_override(event):
            uid = uid_of(event)
            if uid in seen:
                return True
            seen.add(uid)
    return False


def master_of(events: list[Component]) -> Component | None:
    """The VEVENT without RECURRENCE-ID; of several, the newest (highest SEQUENCE)."""
    masters = [e for e in events if not _is_override(e)]
    if not masters:
        return None
    return max(masters, key=sequence_of)


def sequence_of(event: Component) -> int:
    """An event's SEQUENCE; 0 when it has none or one that cannot be read (not a number,
    or written twice), so a quirk in one event does not stop the others being read."""
    try:
        return int(event.get("SEQUENCE", 0))
    except (TypeError, ValueError):
        return 0


def uid_of(event: Component) -> str:
    """The UID of a component ("" when it has none)."""
    return text_of(event, "UID")


def text_of(component: Component, name: str) -> str:
    """A property as plain text ("" when absent; the first one when repeated)."""
    value = _first(component.get(name))
    return "" if value is None else str(value)


def all_values(value: Any) -> list[Any]:
    """A property value icalendar gives as one item or a list (when repeated), as a list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def when(component: Component, name: str) -> dt.date:
    """A DATE or DATE-TIME property as icalendar decodes it (a datetime is also a date)."""
    value = component.decoded(name)
    if not isinstance(value, dt.date):
        raise ValueError(f"{name} is not a date or date-time")
    return value


def aware(value: dt.date, zone: ZoneInfo) -> dt.datetime:
    """Floating times get `zone`; a DATE becomes midnight in `zone`."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    return dt.datetime.combine(value, dt.time(), tzinfo=zone)


# --- expanding -------------------------------------------------------------------


def _expand(calendar: icalendar.Calendar, start: dt.datetime, end: dt.datetime
            ) -> list[Occurrence]:
    # Imported on the first expansion: a feed whose converted series are cached, and a
    # command that expands nothing, never load recurring_ical_events.
    from syncd.calendars.occurrences import between

    return between(calendar, start, end)


def _ambiguous(events: list[Component]) -> str:
    """Why a UID's events do not say which one is the series, or "".

    Two masters of one UID are told apart by SEQUENCE. When the newest differ (beyond
    DTSTAMP), the expansion would silently pick one, hide the other and, for a local
    calendar, write to either: such a UID is treated as unreadable instead.
    """
    masters = [e for e in events if not _is_override(e)]
    if len(masters) < 2:
        return ""
    top = max(sequence_of(e) for e in masters)
    try:
        newest = {_content(e) for e in masters if sequence_of(e) == top}
    except Exception:
        return ""  # unwritable: reading the series fails on its own, saying why
    if len(newest) < 2:
        return ""
    return f"{len(newest)} different events share this UID and SEQUENCE {top}"


def _content(event: Component) -> bytes:
    return b"\n".join(line for line in event.to_ical().splitlines()
                       if not line.upper().startswith(b"DTSTAMP"))


def _too_dense(events: list[Component], end: dt.datetime) -> str:
    """Why the rules of a UID's events are too costly to expand up to `end`, or ""."""
    for event in events:
        for rule in all_values(event.get("RRULE")):
            try:
                steps, freq, first = _steps(event, rule, end.date())
            except Exception:
                continue  # an unreadable rule or DTSTART: expansion fails on its own, saying why
            if steps > _MAX_STEPS:
                return (f"RRULE:FREQ={freq} from {first.isoformat()} needs over "
                        f"{_MAX_STEPS} steps to expand: not a 1:1 cadence")
    return ""


def _steps(event: Component, rule: Any, end: dt.date) -> tuple[int, str, dt.date]:
    """How many candidate starts dateutil may make for `rule` from DTSTART to `end`
    (an overestimate: every period counted at its shortest, every day of it a candidate)."""
    first = _day(when(event, "DTSTART"))
    freq = str(_first(rule.get("FREQ")) or "").upper()
    until = _first(rule.get("UNTIL"))
    last = min(end, _day(until)) if isinstance(until, dt.date) else end
    span = dt.timedelta(days=max(0, (last - first).days) + 1)
    interval = max(1, int(_first(rule.get("INTERVAL")) or 1))
    steps = (span // (_PERIOD[freq] * interval) + 1) * _DAYS_IN_PERIOD.get(freq, 1)
    for by in ("BYHOUR", "BYMINUTE", "BYSECOND"):
        steps *= max(1, len(all_values(rule.get(by))))
    return steps, freq, first


def _day(value: dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _alone(calendar: icalendar.Calendar, events: list[Component]) -> icalendar.Calendar:
    """A calendar with `calendar`'s properties and time zones and only `events`."""
    alone = icalendar.Calendar()
    for name, value in calendar.items():
        alone[name] = value
    for timezone in calendar.walk("VTIMEZONE"):
        alone.add_component(timezone)
    for event in events:
        alone.add_component(event)
    return alone


def _reason(exc: Exception) -> str:
    line = " ".join(f"{type(exc).__name__}: {exc}".split())
    return line if len(line) <= _REASON_LENGTH else line[: _REASON_LENGTH - 1] + "…"


# --- turning components into Series ----------------------------------------------


def _series(
    events: list[Component],
    occurrences: list[Occurrence],
    zone: ZoneInfo,
    etag: str,
    start: dt.datetime,
    end: dt.datetime,
) -> Series:
    """One Series from the VEVENTs of a uid (master plus overrides) and its occurrences."""
    master = master_of(events)
    base = master if master is not None else events[0]
    base_start, base_end = _span(base, zone)
    overridden = {aware(when(e, "RECURRENCE-ID"), zone) for e in events if _is_override(e)}
    shifts = {aware(when(e, "RECURRENCE-ID"), zone): _span(e, zone)[0]
              - aware(when(e, "RECURRENCE-ID"), zone) for e in events if _this_and_future(e)}
    said: dict[int, _Said] = {}  # by id() of the VEVENT: a master has many occurrences
    instances = [_instance(o, zone, overridden, shifts, said) for o in occurrences]
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


def _broken(
    events: list[Component], zone: ZoneInfo, etag: str, reason: str, fallback: dt.datetime
) -> Series:
    """A Series without instances and with every master field that can still be read.

    Its times fall back to `fallback` (the start of the read window) when DTSTART is
    unreadable: the Series exists to say which person an unusable event involves.
    """
    master = master_of(events)
    base = master if master is not None else events[0]
    base_start, base_end = _maybe(lambda: _span(base, zone), (fallback, fallback))
    return Series(
        uid=uid_of(base),
        summary=_maybe(lambda: text_of(base, "SUMMARY"), ""),
        start=base_start,
        end=base_end,
        timezone=_maybe(lambda: _zone_key(base, zone), zone.key),
        rrule=_maybe(lambda: _rrule(base), "") if master is not None else "",
        attendees=_maybe(lambda: _attendees(base), ()),
        organizer=_maybe(lambda: _email(text_of(base, "ORGANIZER")), ""),
        status=_maybe(lambda: text_of(base, "STATUS").upper(), "") or "CONFIRMED",
        description=_maybe(lambda: text_of(base, "DESCRIPTION"), ""),
        marker=_maybe(lambda: text_of(base, MARKER_PROP), ""),
        notes_url=_maybe(lambda: text_of(base, NOTES_PROP), ""),
        etag=etag,
        broken=reason,
    )


def _maybe(read: Callable[[], _T], default: _T) -> _T:
    try:
        return read()
    except Exception:
        return default


class _Said(NamedTuple):
    """What a VEVENT says for every one of its occurrences."""

    recurrence_id: dt.datetime | None  # its own RECURRENCE-ID (None: the occurrence's start)
    this_and_future: bool
    status: str
    attendees: tuple[Attendee, ...]

    @classmethod
    def of(cls, event: Component, zone: ZoneInfo) -> _Said:
        """Read in the order the copies of it were read, so a VEVENT unreadable in more
        than one way makes its series broken for the same reason."""
        return cls(
            aware(when(event, "RECURRENCE-ID"), zone) if "RECURRENCE-ID" in event else None,
            _this_and_future(event),
            text_of(event, "STATUS").upper() or "CONFIRMED",
            _attendees(event),
        )


def _instance(
    occurrence: Occurrence, zone: ZoneInfo, overridden: set[dt.datetime],
    shifts: dict[dt.datetime, dt.timedelta], said: dict[int, _Said],
) -> Instance:
    event = occurrence.event
    own = said.get(id(event))
    if own is None:
        own = said[id(event)] = _Said.of(event, zone)
    start = aware(occurrence.start, zone)
    # recurring_ical_events gives every occurrence of a recurring event a RECURRENCE-ID:
    # its VEVENT's own, else its start.
    recurrence_id = start if own.recurrence_id is None else own.recurrence_id
    changed = recurrence_id in overridden
    if own.this_and_future and recurrence_id in shifts:
        # Every later occurrence carries the split's RECURRENCE-ID; its own slot is
        # where it started before the split moved the rest of the series.
        recurrence_id = start - shifts[recurrence_id]
        changed = True
    return Instance(
        recurrence_id=recurrence_id,
        start=start,
        end=aware(occurrence.end, zone),
        status=own.status,
        attendees=own.attendees,
        overridden=changed,
    )


def _is_override(event: Component) -> bool:
    return "RECURRENCE-ID" in event


def _this_and_future(event: Component) -> bool:
    """A RECURRENCE-ID;RANGE=THISANDFUTURE override: it changes the rest of the series."""
    value = event.get("RECURRENCE-ID")
    return value is not None and str(value.params.get("RANGE", "")).upper() == "THISANDFUTURE"


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) else value


def _span(event: Component, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """Start and end of an event; without DTEND from DURATION, a day for DATEs, else +0."""
    raw_start = when(event, "DTSTART")
    start = aware(raw_start, zone)
    if "DTEND" in event:
        return start, aware(when(event, "DTEND"), zone)
    if "DURATION" in event:
        return start, start + _duration(event)
    if not isinstance(raw_start, dt.datetime):
        return start, start + dt.timedelta(days=1)
    return start, start


def _duration(event: Component) -> dt.timedelta:
    value = event.decoded("DURATION")
    if not isinstance(value, dt.timedelta):
        raise ValueError("DURATION is not a duration")
    return value


def _zone_key(event: Component, floating: ZoneInfo) -> str:
    """IANA key of the zone DTSTART is written in (Windows names mapped when known)."""
    start = when(event, "DTSTART")
    tzinfo = start.tzinfo if isinstance(start, dt.datetime) else None
    if tzinfo is None:
        return floating.key
    if isinstance(tzinfo, ZoneInfo):
        return tzinfo.key
    tzid = str(event["DTSTART"].params.get("TZID", ""))
    zone = zone_named(tzid) or zone_named(WINDOWS_TO_OLSON.get(tzid, ""))
    return (zone or floating).key


def _rrule(event: Component) -> str:
    rule = _first(event.get("RRULE"))
    return "" if rule is None else str(rule.to_ical().decode())


def _exdates(event: Component, zone: ZoneInfo) -> tuple[dt.datetime, ...]:
    return tuple(
        aware(item.dt, zone) for exdate in all_values(event.get("EXDATE")) for item in exdate.dts
    )


def _attendees(component: Component) -> tuple[Attendee, ...]:
    return tuple(
        Attendee(
            email=_email(str(address)),
            name=str(address.params.get("CN", "")),
            partstat=str(address.params.get("PARTSTAT", "NEEDS-ACTION")).upper(),
            cutype=str(address.params.get("CUTYPE", "INDIVIDUAL")).upper(),
        )
        for address in all_values(component.get("ATTENDEE"))
    )


def _email(address: str) -> str:
    text = address.strip()
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:"):]
    return text.strip().lower()
