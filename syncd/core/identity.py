"""Stable names for what syncd owns, derived from a person's email.

The same email always yields the same key, so a series syncd wrote before a
crash is recognised on the next run instead of being created twice.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UID_DOMAIN = "syncd"


@functools.lru_cache(maxsize=4096)
def person_key(email: str) -> str:
    """A short, stable, lower-case base32hex key for a person (no email in markers).
    Remembered: a run asks for each roster person's key many times."""
    digest = hashlib.sha256(email.strip().lower().encode()).digest()
    return base64.b32hexencode(digest).decode().lower()[:16]


def marker(email: str, generation: int) -> str:
    """The ownership marker written on a series (X-SYNCD-ID)."""
    return f"{person_key(email)}-{generation}"


def parse_marker(value: str) -> tuple[str, int] | None:
    """(person key, generation) from a marker, or None if it is not one of ours."""
    key, sep, gen = value.strip().rpartition("-")
    if not sep or len(key) != 16 or not gen.isdigit():
        return None
    return key, int(gen)


def series_uid(email: str, generation: int) -> str:
    """Deterministic UID for a series syncd creates."""
    return f"{marker(email, generation)}@{UID_DOMAIN}"


# --- one-off make-ups ----------------------------------------------------------------

_MAKEUP = re.compile(r"^([0-9a-v]{16})-m(\d{12})$")


def makeup_marker(email: str, expected: dt.datetime) -> str:
    """The marker of a make-up syncd books: the person's key and the slot it makes up (UTC).

    Not a generation marker (`parse_marker` gives None), so a make-up is never taken
    for a series; `parse_makeup_marker` reads it back."""
    return f"{person_key(email)}-m{expected.astimezone(dt.UTC):%Y%m%d%H%M}"


def parse_makeup_marker(value: str) -> tuple[str, dt.datetime] | None:
    """(person key, the slot made up, UTC) from a make-up marker, else None."""
    found = _MAKEUP.match(value.strip())
    if found is None:
        return None
    slot = dt.datetime.strptime(found.group(2), "%Y%m%d%H%M").replace(tzinfo=dt.UTC)
    return found.group(1), slot


def makeup_uid(email: str, expected: dt.datetime, booking: int) -> str:
    """Deterministic UID of the `booking`-th make-up syncd books for one skipped slot (a
    re-run finds it; one booked again after a person deleted the first gets a new one)."""
    return f"{makeup_marker(email, expected)}-{booking}@{UID_DOMAIN}"


def parse_makeup_uid(uid: str) -> tuple[str, int] | None:
    """(make-up marker, booking number) from a uid `makeup_uid` gave, else None."""
    body, _, domain = uid.rpartition("@")
    marker_value, _, booking = body.rpartition("-")
    if domain != UID_DOMAIN or not booking.isdigit() or parse_makeup_marker(marker_value) is None:
        return None
    return marker_value, int(booking)


def created_by_syncd(uid: str, marker_value: str) -> bool:
    """True when `uid` is the one syncd gives the series it creates with this marker
    (an adopted series keeps the UID its maker gave it)."""
    return uid == f"{marker_value}@{UID_DOMAIN}"


# --- what syncd wrote on a series ------------------------------------------------------

WRITTEN_PARTS = ("people", "title", "slot")


@dataclass(frozen=True)
class Written:
    """What syncd wrote on a series, kept in state to prove later that a series is still the
    one it wrote: short hashes of who is in it, its title and its slot (weekday, local time
    and rule). Duration, description, instance edits and links are left out: changing them
    never makes a series someone else's."""

    people: str
    title: str
    slot: str

    def text(self) -> str:
        """The form kept in state."""
        return f"{self.people}.{self.title}.{self.slot}"

    @classmethod
    def parse(cls, text: str) -> Written | None:
        """The value `text()` gave, or None for anything else."""
        parts = text.split(".")
        return cls(*parts) if len(parts) == 3 and all(parts) else None

    def changed(self, other: Written) -> tuple[str, ...]:
        """Which of people, title and slot differ between the two, in that order."""
        return tuple(name for name in WRITTEN_PARTS if getattr(self, name) != getattr(other, name))


def written(
    people: Iterable[str], summary: str, start: dt.datetime, timezone: str, rrule: str
) -> Written:
    """The identity of a series with these people, title, first start and rule."""
    try:
        local = start.astimezone(ZoneInfo(timezone)) if timezone else start
    except (ValueError, ZoneInfoNotFoundError):
        local = start
    # The rule without UNTIL or COUNT (ending a series does not make it another one), its
    # parts sorted (calendars write them in any order).
    parts = sorted(p for p in rrule.upper().split(";")
                   if p and not p.startswith(("UNTIL=", "COUNT=")))
    slot = f"{local.strftime('%a %H:%M')} {';'.join(parts)}"
    return Written(_short(",".join(sorted({p.strip().lower() for p in people}))),
                   title_of(summary), _short(slot))


def title_of(summary: str) -> str:
    """The title part of a Written."""
    return _short(summary.strip())


def _short(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]
