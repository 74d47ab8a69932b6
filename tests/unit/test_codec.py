"""The series codec: what it stores reads back exactly as it was, zone, fold and
microseconds included, whichever of its compact forms a time or an instance took."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from syncd.calendars.codec import dump_series, load_series, series_of_rows, series_rows
from syncd.core.model import Attendee, Instance, Series

BERLIN = ZoneInfo("Europe/Berlin")
ZONES = (BERLIN, ZoneInfo("America/New_York"), ZoneInfo("UTC"), dt.UTC)
GUESTS = (Attendee("lea@example.com", "Lea", "ACCEPTED"),
          Attendee("max@example.com", "", "DECLINED"),
          Attendee("room@example.com", "Room", "ACCEPTED", "ROOM"))

# Wall times around both DST changes of 2026 in Europe (29 March, 25 October) and the US
# (8 March, 1 November), where a wall time is skipped or shown twice.
_walls = st.builds(
    lambda day, minute, micro: dt.datetime(2026, 1, 1) + dt.timedelta(days=day, minutes=minute,
                                                                       microseconds=micro),
    st.sampled_from((0, 66, 86, 87, 296, 297, 304, 305)),
    st.integers(min_value=0, max_value=24 * 60 - 1).map(lambda m: m - m % 15),
    st.sampled_from((0, 0, 0, 500)))
_times = st.builds(lambda wall, zone, fold: wall.replace(tzinfo=zone, fold=fold),
                   _walls, st.sampled_from(ZONES), st.sampled_from((0, 0, 1)))
_guests = st.lists(st.sampled_from(GUESTS), max_size=2, unique=True).map(tuple)


@st.composite
def _series(draw: st.DrawFn) -> Series:
    start = draw(_times)
    length = dt.timedelta(minutes=draw(st.sampled_from((0, 30, 45, 60 * 24))))
    status = draw(st.sampled_from(("CONFIRMED", "CANCELLED")))
    guests = draw(_guests)
    instances = []
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        if draw(st.booleans()):
            # The rule's slot as the master sets it, at a time in the master's zone or not;
            # or the same instants shown in another zone or fold (equal, not the same).
            slot = draw(_times) if draw(st.booleans()) else start + dt.timedelta(weeks=1)
            shown = draw(st.sampled_from((None, "fold", *ZONES)))
            times = ((slot, slot + length) if shown is None
                     else (slot.replace(fold=1), (slot + length).replace(fold=1))
                     if shown == "fold"
                     else (slot.astimezone(shown), (slot + length).astimezone(shown)))
            instances.append(Instance(slot, *times, status, guests))
        else:
            instances.append(Instance(
                draw(_times), draw(_times), draw(_times),
                draw(st.sampled_from(("CONFIRMED", "CANCELLED", "TENTATIVE"))),
                draw(_guests), draw(st.booleans())))
    return Series(
        uid=draw(st.sampled_from(("a@x", "b@x"))), summary="1:1", start=start,
        end=start + length if draw(st.booleans()) else draw(_times),
        timezone=str(start.tzinfo), rrule=draw(st.sampled_from(("", "FREQ=WEEKLY"))),
        exdates=tuple(draw(st.lists(_times, max_size=2))), attendees=guests,
        organizer="lea@example.com", status=status, instances=tuple(instances),
        etag="e", transparent=draw(st.booleans()), all_day=draw(st.booleans()))


@settings(max_examples=300, deadline=None)
@given(series=st.lists(_series(), max_size=3).map(tuple))
def test_series_read_back_exactly_as_stored(series: tuple[Series, ...]) -> None:
    # repr, not ==: an aware datetime equals the same instant in any zone, and its fold
    # takes no part in ==; repr shows the wall time, the zone and a fold of 1.
    text = dump_series(series)
    assert text is not None
    assert repr(load_series(text)) == repr(series)
    rows = series_rows(series)
    assert rows is not None
    assert repr(series_of_rows(rows)) == repr(series)


def test_a_plain_instance_is_stored_as_one_number() -> None:
    start = dt.datetime(2026, 3, 2, 10, 0, tzinfo=BERLIN)
    slots = [start + dt.timedelta(weeks=n) for n in range(6)]  # across the March DST change
    length = dt.timedelta(minutes=30)
    moved = Instance(slots[2], slots[2] + dt.timedelta(hours=1), slots[2] + 2 * length,
                     overridden=True)
    series = Series(uid="a@x", summary="1:1", start=start, end=start + length,
                    timezone="Europe/Berlin", rrule="FREQ=WEEKLY", attendees=GUESTS[:1],
                    instances=tuple(moved if n == 2 else Instance(s, s, s + length,
                                                                  attendees=GUESTS[:1])
                                    for n, s in enumerate(slots)))
    rows = series_rows((series,))
    assert rows is not None
    assert [isinstance(i, int) for i in rows[0]["instances"]] == [True, True, False, True, True,
                                                                  True]
    assert repr(series_of_rows(rows)) == repr((series,))


def test_a_time_in_a_zone_that_is_not_iana_is_not_stored() -> None:
    odd = dt.timezone(dt.timedelta(hours=2))
    start = dt.datetime(2026, 3, 2, 10, 0, tzinfo=odd)
    series = Series(uid="a@x", summary="1:1", start=start, end=start, timezone="")
    assert dump_series((series,)) is None


def test_a_damaged_cache_of_this_version_is_no_cache() -> None:
    """A series cache with the right version but rows of another shape (a damaged state,
    an unreleased build) is no cache: the reader converts afresh instead of failing."""
    start = dt.datetime(2026, 3, 3, 10, tzinfo=BERLIN)
    series = Series(uid="a@x", summary="1:1", start=start, end=start + dt.timedelta(hours=1),
                    timezone="Europe/Berlin", rrule="FREQ=WEEKLY", instances=())
    text = dump_series((series,))
    assert text is not None and load_series(text) == (series,)
    data = json.loads(text)
    renamed = [{("uuid" if k == "uid" else k): v for k, v in row.items()}
               for row in data["series"]]
    bad_time = [{**row, "start": "x"} for row in data["series"]]
    for rows in (renamed, bad_time, 7, [[1, 2]]):
        assert load_series(json.dumps({**data, "series": rows})) is None, rows
    assert load_series("[]") is None
