"""Which calendar events can concern the roster at all (pure).

Every calendar reader keeps only such events before converting them: a feed's
pre-filter, Google's incremental sync, CalDAV's cache. The rule is over-inclusive
on purpose: an event kept too many costs space, one left out could look like a
missing 1:1 and be created twice. Which person an event belongs to is decided
later, on converted series (`core/matching.py`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from syncd.core.matching import person_emails
from syncd.core.model import Person

# An address as calendars write it in a property value (after "mailto:", between quotes
# or angle brackets): what is between the separators around an "@".
_ADDRESS = re.compile(r"[^\s:;,\"<>=\\()\[\]]{1,254}@[^\s:;,\"<>=\\()\[\]]{1,254}")


def addresses(text: str) -> list[str]:
    """The email addresses in a property line or a whole iCalendar text, lower-case."""
    return _ADDRESS.findall(text.lower())


@dataclass(frozen=True)
class Relevance:
    """What makes an event concern the roster: syncd's marker on it, the lead out of the
    office, a roster person's address or alias among its people (the lead's own, on
    nearly every event of their calendar, selects nothing), a title matching a person's
    `match: {title}` pattern, or an all-day title matching the roster's away title."""

    emails: frozenset[str]  # lower-case
    titles: tuple[re.Pattern[str], ...]
    away: re.Pattern[str] | None
    # Changes with anything above: events kept under another roster are read again.
    fingerprint: str
    # Set for `syncd init`, which has no roster yet: any address but this one (the
    # owner's) among an event's people makes it concern the roster to be.
    anyone_but: str | None = None

    @classmethod
    def of(cls, people: Sequence[Person], owner_email: str, away_title: str = "", *,
           everyone: bool = False) -> Relevance:
        """The rule for a roster's people, its owner and its away title; with `everyone`,
        every event naming someone besides the owner as well."""
        owner = owner_email.lower()
        emails = sorted({e for p in people for e in person_emails(p)} - {owner})
        titles = [p.title_pattern for p in people if p.title_pattern]
        wanted = [owner, *emails, *titles, *([away_title] if away_title else []),
                  *(["*"] if everyone else [])]
        return cls(
            frozenset(emails), tuple(re.compile(t, re.IGNORECASE) for t in titles),
            re.compile(away_title, re.IGNORECASE) if away_title else None,
            hashlib.sha256("\n".join(wanted).encode()).hexdigest()[:16],
            owner if everyone else None)

    def concerns(
        self, *, people: Iterable[str] = (), title: str | None = None, marked: bool = False,
        out_of_office: bool = False, timed: bool = False,
    ) -> bool:
        """True when an event with these facts can concern the roster. `people`: its
        attendees' and organizer's addresses; `timed`: it surely has times of day (the away
        title counts only for a day off). A reader that sees an event piece by piece may
        ask about each piece: any one that concerns the roster is enough."""
        if marked or out_of_office:
            return True
        if any(p.lower() in self.emails for p in people):
            return True
        if self.anyone_but is not None and any(
                p.strip() and p.lower() != self.anyone_but for p in people):
            return True
        if title is None:
            return False
        if any(t.search(title) for t in self.titles):
            return True
        return not timed and self.away is not None and self.away.search(title) is not None
