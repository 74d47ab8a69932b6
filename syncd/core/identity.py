"""Stable names for what syncd owns, derived from a person's email.

The same email always yields the same key, so a series syncd wrote before a
crash is recognised on the next run instead of being created twice.
"""

from __future__ import annotations

import base64
import hashlib

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
