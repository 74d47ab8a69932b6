"""Stable names for what syncd owns, derived from a person's email.

The same email always yields the same key, so a series syncd wrote before a
crash is recognised on the next run instead of being created twice.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UID_DOMAIN = "syncd"


def person_key(email: str) -> str:
    """A short, stable, lower-case base32hex key for a person (no email in markers)."""
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
