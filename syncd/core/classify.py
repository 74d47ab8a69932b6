"""What became of each expected 1:1 of one person (pure: no I/O, no clock).

The roster's cadence gives the expected starts; the person's series (from
`matching`) give the instances the calendar holds. Each expected occurrence is
first paired with its slot instance, then the ones that were cancelled,
declined, deleted or never there look for a make-up. docs/skips.md lists every
rule with an example.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from syncd.core import cadence, identity
from syncd.core.matching import person_emails
from syncd.core.model import Instance, Occurrence, OccurrenceStatus, Person, Series, SkipReason

_DAY = dt.timedelta(days=1)
_MIDNIGHT = dt.time(0)


@dataclass(slots=True)
class _Candidate:
    """One instance of one of the person's series, with what the rules ask of it (its slot
    and start as UTC instants, compared many times)."""

    series: Series
    instance: Instance
    cancelled: bool
    declined: SkipReason | None
    all_day: bool
    slot_at: dt.datetime  # the recurrence id, UTC
    start_at: dt.datetime  # the start, UTC
    usable: bool  # it can stand for a 1:1 that took place: neither cancelled nor declined


class _Slot(NamedTuple):
    """The outcome of an expected occurrence before the make-up search and the clock (a
    tuple: made for every expected 1:1, and cheaper so)."""

    status: OccurrenceStatus
    reason: SkipReason | None = None
    actual_start: dt.datetime | None = None
    series_uid: str = ""
    explicit: bool = False  # cancelled or declined on the event itself


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC)


def _is_all_day(instance: Instance) -> bool:
    """Starts at midnight in its own zone and ends at the next midnight (23-25 h on DST days)."""
    start = instance.start
    if start.time() != _MIDNIGHT:
        return False
    end = instance.end.astimezone(start.tzinfo)
    return end.time() == _MIDNIGHT and end.date() == start.date() + _DAY


def _declined(instance: Instance, emails: frozenset[str], owner: str) -> SkipReason | None:
    declined = {a.email for a in instance.attendees if a.partstat.upper() == "DECLINED"}
    if declined & emails:
        return "declined-by-them"
    if owner in declined:
        return "declined-by-me"
    return None


def _candidates(person: Person, owner: str, series: Sequence[Series]) -> list[_Candidate]:
    emails = person_emails(person)
    # Instances mostly share their series' guests (one tuple): each tuple is asked once,
    # remembered by identity while the instances holding it are alive (this call).
    declined: dict[int, SkipReason | None] = {}
    out = []
    for s in series:
        for inst in s.instances:
            guests = id(inst.attendees)
            if guests not in declined:
                declined[guests] = _declined(inst, emails, owner)
            slot_at = _utc(inst.recurrence_id)
            cancelled = inst.status == "CANCELLED" or s.status == "CANCELLED"
            out.append(_Candidate(
                s, inst, cancelled, declined[guests], _is_all_day(inst), slot_at,
                slot_at if inst.start is inst.recurrence_id else _utc(inst.start),
                not cancelled and declined[guests] is None))
    return out


def _slot_key(
    expected: dt.datetime, at: dt.datetime, cand: _Candidate, grace: dt.timedelta
) -> tuple[int, dt.timedelta] | None:
    """How well an instance fills an expected slot (`at`: the slot in UTC; smaller is
    better), None if it cannot."""
    if cand.all_day:
        # An all-day event on the right day is a 1:1 entered without its time.
        return (1, dt.timedelta(0)) if cand.instance.start.date() == expected.date() else None
    distance = abs(cand.slot_at - at)
    if distance == dt.timedelta(0):
        return 0, distance
    # Only a recurring series has a slot of its own; a single event elsewhere is a make-up.
    if cand.series.rrule and distance <= grace:
        return 1, distance
    return None


@dataclass(frozen=True)
class _Index:
    """Candidates the way `_assign_slots` looks them up: all-day ones by date, the others
    by their slot (UTC, sorted, for bisection)."""

    by_date: dict[dt.date, list[int]]
    timed: list[int]  # candidate indexes, by slot
    slots: list[dt.datetime]  # their slots, in the same order
    # Those that can make up a skipped 1:1 (`_assign_makeups`), by start (UTC).
    usable: list[int]
    starts: list[dt.datetime]
    # Usable one-off events with a make-up marker: (candidate, person key, slot made up).
    booked: list[tuple[int, str, dt.datetime]]


def _index(cands: Sequence[_Candidate]) -> _Index:
    by_date: dict[dt.date, list[int]] = {}
    timed: list[tuple[dt.datetime, int]] = []
    for c, cand in enumerate(cands):
        if cand.all_day:
            by_date.setdefault(cand.instance.start.date(), []).append(c)
        else:
            timed.append((cand.slot_at, c))
    timed.sort()
    usable = sorted((cand.start_at, c) for c, cand in enumerate(cands)
                    if cand.usable and not cand.all_day)
    booked = []
    for c, cand in enumerate(cands):
        if cand.series.rrule or not cand.series.marker or not cand.usable:
            continue
        parsed = identity.parse_makeup_marker(cand.series.marker)
        if parsed is not None:
            booked.append((c, *parsed))
    return _Index(by_date, [c for _, c in timed], [t for t, _ in timed],
                  [c for _, c in usable], [t for t, _ in usable], booked)


def _assign_slots(
    expected: Sequence[dt.datetime], at: Sequence[dt.datetime], cands: Sequence[_Candidate],
    index: _Index, grace: dt.timedelta,
) -> dict[int, int]:
    """Expected index → candidate index, best pairs first, each instance used once (`at`:
    the expected slots in UTC)."""
    # Each expected slot is compared only with the instances `_slot_key` could accept: the
    # all-day ones on its date, the others whose slot lies within `grace` (by bisection),
    # not with every instance of the window.
    by_date, slots, timed = index.by_date, index.slots, index.timed
    pairs: list[tuple[tuple[int, dt.timedelta], bool, int, int]] = []
    for e, when in enumerate(expected):
        found = [timed[n] for n in range(bisect.bisect_left(slots, at[e] - grace),
                                         bisect.bisect_right(slots, at[e] + grace))]
        if by_date:
            found += by_date.get(when.date(), [])
        for c in found:
            key = _slot_key(when, at[e], cands[c], grace)
            if key is not None:
                # A usable duplicate beats a cancelled one at the same time.
                pairs.append((key, not cands[c].usable, e, c))
    return _pair_off(pairs)


def _pair_off(pairs: Iterable[tuple[Any, ...]]) -> dict[int, int]:
    """Expected index → candidate index, taking the best pairs first.

    Each pair is a tuple that sorts best-first and ends with (expected, candidate);
    every expected occurrence and every candidate is used at most once.
    """
    chosen: dict[int, int] = {}
    used: set[int] = set()
    for *_, e, c in sorted(pairs):
        if e not in chosen and c not in used:
            chosen[e] = c
            used.add(c)
    return chosen


def _covering(
    series: Sequence[Series], expected: dt.datetime, grace: dt.timedelta
) -> Series | None:
    """A recurring series whose rule puts an occurrence near `expected` (instance absent)."""
    return next((s for s in series if s.rrule and cadence.expand(
        s.rrule, s.start, expected - grace, expected + grace)), None)


def _from_slot(at: dt.datetime, cand: _Candidate) -> _Slot:
    """The outcome of the expected slot (`at`, UTC) that `cand` fills."""
    uid = cand.series.uid
    if cand.cancelled:
        return _Slot("skipped", "cancelled", series_uid=uid, explicit=True)
    if cand.declined is not None:
        return _Slot("skipped", cand.declined, series_uid=uid, explicit=True)
    inst = cand.instance
    if inst.moved and not cand.all_day:
        return _Slot("rescheduled", actual_start=inst.start, series_uid=uid)
    # A series kept at another time (10:30, or Thursdays) held the 1:1 at its own time.
    actual = None if cand.all_day or cand.start_at == at else inst.start
    return _Slot("held", actual_start=actual, series_uid=uid)


def _without_slot(series: Sequence[Series], expected: dt.datetime, grace: dt.timedelta) -> _Slot:
    cover = _covering(series, expected, grace)
    if cover is None:
        return _Slot("missing")
    if cover.status == "CANCELLED":
        return _Slot("skipped", "cancelled", series_uid=cover.uid, explicit=True)
    # An EXDATE is how Apple Calendar and Thunderbird delete one occurrence: a decision
    # made on the event, known now like a cancellation (a vanished instance is not).
    return _Slot("skipped", "deleted", series_uid=cover.uid,
                 explicit=_excluded(cover, expected, grace))


def _excluded(series: Series, expected: dt.datetime, grace: dt.timedelta) -> bool:
    """Whether the occurrence `series` would have near `expected` is one of its EXDATEs."""
    removed = {_utc(d) for d in series.exdates}
    return any(_utc(o) in removed for o in cadence.expand(
        series.rrule, series.start, expected - grace, expected + grace))


def _assign_makeups(
    at: Sequence[dt.datetime], wanting: Sequence[int], index: _Index, taken: set[int],
    grace: dt.timedelta,
) -> dict[int, int]:
    """Expected index → make-up candidate (usable, timed, not taken, starting within
    `grace`): nearest first, each instance used once (`at`: the expected slots in UTC)."""
    pairs: list[tuple[dt.timedelta, dt.datetime, int, int]] = []
    starts = index.starts
    for e in wanting:
        for n in range(bisect.bisect_left(starts, at[e] - grace),
                       bisect.bisect_right(starts, at[e] + grace)):
            c = index.usable[n]
            if c not in taken:
                pairs.append((abs(starts[n] - at[e]), starts[n], e, c))
    return _pair_off(pairs)


def _booked_makeups(
    person: Person, expected: Sequence[dt.datetime], wanting: Sequence[int], index: _Index,
    taken: set[int],
) -> dict[int, int]:
    """Expected index → the usable one-off event whose make-up marker names that slot."""
    if not index.booked or not wanting:
        return {}
    key = identity.person_key(person.email)
    slots = {_utc(expected[e]): e for e in wanting}
    out: dict[int, int] = {}
    for c, marked, slot in index.booked:
        if marked != key or c in taken:
            continue
        e = slots.get(slot)
        if e is not None and e not in out:
            out[e] = c
    return out


def _not_yet(expected: dt.datetime, slot: _Slot, now: dt.datetime) -> bool:
    """True when the outcome still lies ahead; a skip made on the event is known already."""
    happens = slot.actual_start or expected
    if slot.status == "held":
        return happens > now
    if slot.status == "rescheduled":
        # A past slot made up later stays rescheduled: the lead sees it moved.
        return expected > now and happens > now
    return not slot.explicit and expected > now


def _with_clock(person: str, expected: dt.datetime, slot: _Slot, now: dt.datetime) -> Occurrence:
    """Apply time: what has not happened yet is upcoming."""
    status: OccurrenceStatus = "upcoming" if _not_yet(expected, slot, now) else slot.status
    # Positional (person, expected, status, reason, actual_start, series_uid): made for
    # every expected 1:1.
    return Occurrence(
        person, expected, status, slot.reason if status == "skipped" else None,
        slot.actual_start if status in ("held", "rescheduled", "upcoming") else None,
        slot.series_uid if status != "missing" else "",
    )


@dataclass(frozen=True, eq=False)
class Prepared:
    """One person's events as classification reads them: in a fixed order, each instance
    with what the rules ask of it. Made once (`prepare`) for any number of windows and both
    cadence phases, as it depends on neither."""

    given: tuple[Series, ...]  # the events as given, in their order
    series: tuple[Series, ...]  # the same, in the order ties are broken by
    candidates: tuple[_Candidate, ...]
    index: _Index  # of the candidates
    emails: frozenset[str]  # the person's addresses (their own declines)
    owner: str

    def holds(self, series: Sequence[Series]) -> bool:
        """Whether these are exactly the events given (the same objects, in order)."""
        return len(series) == len(self.given) and all(
            a is b for a, b in zip(series, self.given, strict=True))


def prepare(person: Person, owner: str, series: Sequence[Series]) -> Prepared:
    """`series` (the person's events, see `matching.series_by_person`) prepared for
    `classify_prepared`; `owner` is the lead's lower-case email."""
    # Ties between equally good events are broken by position: fix the order, so the
    # same events give the same rows whatever order a source listed them in.
    ordered = tuple(sorted(series, key=lambda s: (s.uid, s.start)))
    cands = tuple(_candidates(person, owner, ordered))
    return Prepared(tuple(series), ordered, cands, _index(cands), person_emails(person), owner)


def classify(
    person: Person, timezone: str, owner: str, series: Sequence[Series],
    start: dt.datetime, end: dt.datetime, now: dt.datetime, anchor: dt.date,
) -> list[Occurrence]:
    """One Occurrence per expected 1:1 of `person` in [start, end), paused ones included,
    sorted by expected start.

    `series` are the person's events (see `matching.series_by_person`), `owner` the
    lead's lower-case email, `anchor` where the cadence phase counts from when the
    roster gives no `start`. Rules and examples: docs/skips.md.
    """
    return classify_prepared(prepare(person, owner, series), person, timezone, start, end, now,
                             anchor)


def classify_prepared(
    prepared: Prepared, person: Person, timezone: str, start: dt.datetime, end: dt.datetime,
    now: dt.datetime, anchor: dt.date,
) -> list[Occurrence]:
    """`classify` of the events `prepared` holds, prepared for this person and owner: the
    same rows, the events read once for several windows."""
    if person_emails(person) != prepared.emails:
        raise ValueError(f"events prepared for another person than {person.email}")
    split = cadence.phases(person, timezone)
    if split is not None:
        # Each cadence phase on its own, the same events for both: one continuous history.
        (before, cut), after = split
        return (classify_prepared(prepared, before, timezone, start, min(end, cut), now, anchor)
                + classify_prepared(prepared, after, timezone, max(start, cut), end, now,
                                    anchor))
    series = prepared.series
    zone = ZoneInfo(timezone)
    first = cadence.first_start(person, person.start or anchor, timezone)
    rule = cadence.rrule_text(person.cadence, person.fixed_slot)
    expected = [w.astimezone(zone) for w in cadence.expand(rule, first, start, end)]
    if person.pauses:
        pauses = [cadence.in_pause(w, person.pauses) for w in expected]
        # A roster pause pauses the 1:1 outright; time off only one that did not take place.
        paused = [p is not None and p.time_off is None for p in pauses]
        off = [p.time_off if p is not None else None for p in pauses]
    else:
        paused, off = [False] * len(expected), [None] * len(expected)
    if any(s.broken for s in series):
        # One unreadable event may hide any of these 1:1s: never guess a skip.
        return [Occurrence(person.email, w, "paused", off[e]) if paused[e] or off[e]
                else Occurrence(person.email, w, "unknown") for e, w in enumerate(expected)]

    grace = dt.timedelta(days=cadence.interval_days(person.cadence) / 2)
    cands = prepared.candidates
    at = [_utc(w) for w in expected]
    slots = _assign_slots(expected, at, cands, prepared.index, grace)
    outcomes: dict[int, _Slot] = {}
    for e, when in enumerate(expected):
        if paused[e]:
            continue
        c = slots.get(e)
        outcomes[e] = (_from_slot(at[e], cands[c]) if c is not None
                       else _without_slot(series, when, grace))
    wanting = [e for e, o in outcomes.items() if o.status in ("skipped", "missing")]
    taken = set(slots.values())
    # A make-up syncd booked names the slot it makes up, however far from it it lies.
    makeups = _booked_makeups(person, expected, wanting, prepared.index, taken)
    taken |= set(makeups.values())
    makeups |= _assign_makeups(at, [e for e in wanting if e not in makeups], prepared.index,
                               taken, grace)
    for e, c in makeups.items():
        cand = cands[c]
        outcomes[e] = _Slot("rescheduled", actual_start=cand.instance.start,
                            series_uid=cand.series.uid)

    rows = [
        Occurrence(person.email, when, "paused") if paused[e]
        else _with_clock(person.email, when, outcomes[e], now)
        for e, when in enumerate(expected)
    ]
    if not any(off):
        return rows
    return [Occurrence(row.person, row.expected, "paused", off[e])
            if off[e] and row.status not in ("held", "rescheduled") else row
            for e, row in enumerate(rows)]
