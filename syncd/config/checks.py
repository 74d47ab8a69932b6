"""Rules that span fields: duplicate people, the owner among them, slots inside
working hours, week only for month-based cadences, and what each way to sign in to
Google needs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from syncd.config.fields import (
    DEFAULT_CADENCE_RULE,
    DEFAULT_CREDENTIALS,
    DEFAULT_DURATION,
    CadenceSpec,
    Duration,
    Email,
    is_loopback,
)
from syncd.config.lines import Lines
from syncd.config.problems import NodePath, Problem, field_name
from syncd.config.schema import (
    KINDS,
    FeedCalendarConfig,
    GoogleBackend,
    SlotEntry,
    WorkingHours,
    backend_of,
)
from syncd.core.model import Cadence

_WEEK_CADENCES = ("monthly", "quarterly")

_M = TypeVar("_M")


def _try(adapter: TypeAdapter[_M], value: object) -> _M | None:
    try:
        return adapter.validate_python(value)
    except ValidationError:
        return None


_CADENCE: TypeAdapter[Cadence] = TypeAdapter(CadenceSpec)
_DURATION_OF: TypeAdapter[dt.timedelta] = TypeAdapter(Duration)
_EMAIL: TypeAdapter[str] = TypeAdapter(Email)
_SLOT: TypeAdapter[SlotEntry] = TypeAdapter(SlotEntry)
_HOURS: TypeAdapter[WorkingHours] = TypeAdapter(WorkingHours)


def cross_checks(data: Mapping[Any, Any], lines: Lines) -> list[Problem]:
    """Rules that span fields. Each uses only the values it needs, checked on their own,
    so a typo elsewhere in the same entry does not hide these problems."""
    problems: list[Problem] = []

    def report(path: NodePath, message: str) -> None:
        problems.append(Problem(lines.of(path), field_name(path), message))

    raw_hours = data.get("working_hours")
    hours = _try(_HOURS, {} if raw_hours is None else raw_hours)
    owner = data.get("owner")
    owner_email = _try(_EMAIL, owner.get("email")) if isinstance(owner, dict) else None

    raw_defaults = data.get("defaults")
    defaults = raw_defaults if isinstance(raw_defaults, dict) else {}
    d_cadence = _value(_CADENCE, defaults, "cadence", DEFAULT_CADENCE_RULE)
    d_duration = _value(_DURATION_OF, defaults, "duration", DEFAULT_DURATION)
    d_slot = _try(_SLOT, defaults["slot"]) if isinstance(defaults.get("slot"), dict) else None
    if d_slot is not None:
        _check_slot(report, ("defaults", "slot"), d_cadence, d_slot, d_duration, hours)

    people = data.get("people")
    emails: dict[str, NodePath] = {}
    for index, raw in enumerate(people if isinstance(people, list) else []):
        if not isinstance(raw, dict):
            continue
        here: NodePath = ("people", index)
        email = _try(_EMAIL, raw.get("email"))
        if email is not None and email == owner_email:
            report((*here, "email"), "this is the owner's email (a 1:1 needs two people)")
        elif email is not None and email in emails:
            first = emails[email]
            report(
                (*here, "email"),
                f"duplicate person: same email as {field_name(first[:2])} "
                f"(line {lines.of(first)})",
            )
        elif email is not None:
            emails[email] = (*here, "email")
        match = raw.get("match")
        aliases = match.get("emails") if isinstance(match, dict) else None
        for number, alias in enumerate(aliases if isinstance(aliases, list) else []):
            if owner_email is not None and _try(_EMAIL, alias) == owner_email:
                report((*here, "match", "emails", number),
                       "this is the owner's email (it would match every event)")

        cadence = _value(_CADENCE, raw, "cadence", d_cadence)
        duration = _value(_DURATION_OF, raw, "duration", d_duration)
        if isinstance(raw.get("slot"), dict):
            slot = _try(_SLOT, raw["slot"])
            if slot is not None:
                _check_slot(report, (*here, "slot"), cadence, slot, duration, hours)
        elif raw.get("slot") is None and isinstance(defaults.get("slot"), dict):
            # The inherited slot was checked against the defaults; report only what
            # this person's own cadence or duration breaks, on that line.
            if d_slot is not None and "cadence" in raw:
                note = " (defaults.slot sets a week)"
                _check_week(report, (*here, "cadence"), cadence, d_slot, note)
            if d_slot is not None and "duration" in raw:
                _check_hours(report, (*here, "duration"), d_slot, duration, hours)
    _check_google(report, data)
    _check_makeups(report, data)
    return problems


def _check_makeups(report: _Report, data: Mapping[Any, Any]) -> None:
    """Booking make-ups needs a calendar syncd may write."""
    makeups, calendar = data.get("makeups"), data.get("calendar")
    if isinstance(makeups, dict) and makeups.get("book") == "auto" and isinstance(
            calendar, dict) and backend_of("calendar", calendar.get("kind")) is \
            FeedCalendarConfig:
        report(("makeups", "book"), "auto needs a calendar syncd can write; an ICS feed is "
               "read-only (syncd suggest still lists free slots)")


def _check_google(report: _Report, data: Mapping[Any, Any]) -> None:
    """Anonymous access only to an emulator on this machine; each way to sign in needs
    its file."""
    google = data.get("google")
    google = google if isinstance(google, dict) else {}
    credentials = google.get("credentials", DEFAULT_CREDENTIALS)
    used = [(section, block) for section in KINDS
            if isinstance(block := data.get(section), dict)
            and (backend := backend_of(section, block.get("kind"))) is not None
            and issubclass(backend, GoogleBackend)]
    if credentials == "anonymous":
        for section, block in used:
            endpoint = block.get("api_endpoint")
            if not isinstance(endpoint, str) or not is_loopback(endpoint):
                report((section, "api_endpoint"), "credentials: anonymous needs an "
                       "api_endpoint on 127.0.0.1, ::1 or localhost (an emulator)")
    elif credentials == "service-account" and used and not google.get("service_account_file"):
        report(("google", "service_account_file"), "required for credentials: service-account")


def _value(
    adapter: TypeAdapter[_M], raw: Mapping[Any, Any], key: str, default: _M | None
) -> _M | None:
    """The checked value of raw[key], `default` when absent, None when invalid (that
    problem is reported by the model; checks that need the value are skipped)."""
    value = raw.get(key)
    if value is None:
        return default
    return _try(adapter, value)


_Report = Callable[[NodePath, str], None]


def _check_slot(
    report: _Report, at: NodePath, cadence: Cadence | None, slot: SlotEntry,
    duration: dt.timedelta | None, hours: WorkingHours | None,
) -> None:
    _check_week(report, (*at, "week"), cadence, slot, "")
    _check_hours(report, (*at, "time"), slot, duration, hours)


def _check_week(
    report: _Report, at: NodePath, cadence: Cadence | None, slot: SlotEntry, note: str
) -> None:
    if cadence is not None and slot.week is not None and cadence.kind not in _WEEK_CADENCES:
        report(at, f"week only applies to monthly and quarterly cadences{note}")


def _check_hours(
    report: _Report, at: NodePath, slot: SlotEntry, duration: dt.timedelta | None,
    hours: WorkingHours | None,
) -> None:
    if hours is None or duration is None:
        return
    start = _minutes(slot.time)
    end = start + duration // dt.timedelta(minutes=1)
    if start < _minutes(hours.start):
        report(at, f"slot {slot.time:%H:%M} starts before working hours start "
                   f"{hours.start:%H:%M}")
    elif end > _minutes(hours.end):
        report(at, f"slot {slot.time:%H:%M} + {_show(duration)} ends after working hours end "
                   f"{hours.end:%H:%M}")


def _minutes(when: dt.time) -> int:
    return when.hour * 60 + when.minute


def _show(duration: dt.timedelta) -> str:
    hours, minutes = divmod(duration // dt.timedelta(minutes=1), 60)
    return (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes or not hours else "")
