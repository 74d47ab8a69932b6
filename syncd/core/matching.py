"""Which observed events are a roster person's 1:1s (pure).

An event belongs to a person when it carries syncd's marker for them, when its
people are exactly the owner and that person (or one of their aliases), or,
for events that list nobody but the owner, when its title matches the person's
`title_pattern`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence

from syncd.core import identity
from syncd.core.model import Person, Series

NON_PEOPLE = ("ROOM", "RESOURCE")


def person_emails(person: Person) -> frozenset[str]:
    """The lower-case addresses that mean this person: their email and aliases."""
    return frozenset(e.strip().lower() for e in (person.email, *person.aliases) if e.strip())


def participants(series: Series) -> frozenset[str]:
    """Emails of the people in a series (organizer included, rooms and resources left out)."""
    people = {a.email for a in series.attendees if a.cutype not in NON_PEOPLE}
    if series.organizer:
        people.add(series.organizer)
    return frozenset(people)


def marker_key(series: Series) -> str | None:
    """The person key in syncd's marker on the series (a series' or a make-up's), or None
    when it carries none."""
    if not series.marker:
        return None
    parsed = identity.parse_marker(series.marker) or identity.parse_makeup_marker(series.marker)
    return parsed[0] if parsed is not None else None


def other_person(series: Series, owner: str) -> str | None:
    """The one person besides the owner in a two-person event, else None."""
    people = participants(series)
    if len(people) != 2 or owner not in people:
        return None
    (other,) = people - {owner}
    return other


def _nobody_else(series: Series, owner: str) -> bool:
    return participants(series) <= {owner}


def _title_matches(person: Person, summary: str) -> bool:
    return bool(person.title_pattern) and re.search(
        person.title_pattern, summary, re.IGNORECASE) is not None


def belongs_to(series: Series, person: Person, owner: str) -> bool:
    """True when `series` is one of `person`'s 1:1s with `owner` (all emails lower-case).

    Matches, in order: syncd's marker for the person; people (rooms and resources
    left out, organizer included) exactly {owner, the person's email or an alias};
    an event with no people but the owner whose title matches `title_pattern`.
    """
    key = marker_key(series)
    if key is not None and key == identity.person_key(person.email):
        return True
    other = other_person(series, owner)
    if other is not None:
        return other in person_emails(person)
    return _nobody_else(series, owner) and _title_matches(person, series.summary)


def series_by_person(
    people: Sequence[Person], owner: str, observed: Iterable[Series]
) -> dict[str, list[Series]]:
    """Email → that person's series (in observed order), the same matches as `belongs_to`.

    One pass over the events: markers and two-person events are looked up by key or
    email; only events with nobody but the owner are tried against title patterns.
    People without a match are left out of the result.
    """
    by_key = {identity.person_key(p.email): p for p in people}
    by_email: dict[str, list[Person]] = defaultdict(list)
    for person in people:
        for email in person_emails(person):
            by_email[email].append(person)
    titled = [p for p in people if p.title_pattern]
    found: dict[str, list[Series]] = defaultdict(list)
    for series in observed:
        matched: list[Person] = []
        key = marker_key(series)
        if key is not None and key in by_key:
            matched.append(by_key[key])
        other = other_person(series, owner)
        if other is not None:
            matched.extend(by_email.get(other, ()))
        elif _nobody_else(series, owner):
            matched.extend(p for p in titled if _title_matches(p, series.summary))
        for email in dict.fromkeys(p.email for p in matched):
            found[email].append(series)
    return dict(found)
