"""What became of each expected 1:1: held, moved, made up, skipped, missing, paused."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from syncd.core import cadence
from syncd.core.classify import classify
from syncd.core.model import Attendee, Instance, Occurrence, Pause, Person, Series, Slot

BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.UTC
OWNER = "dana@example.com"
ALICE_EMAIL = "alice@example.com"
# Weekly on Tuesdays 10:00 Berlin from Tue 2026-09-01.
ALICE = Person("Alice Example", ALICE_EMAIL, cadence.parse_cadence("weekly"),
               Slot(1, dt.time(10, 0)), dt.timedelta(minutes=45), start=dt.date(2026, 9, 1))
START = dt.datetime(2026, 9, 1, tzinfo=BERLIN)
END = dt.datetime(2026, 9, 29, tzinfo=BERLIN)  # four Tuesdays: 1, 8, 15, 22 September
LATER = dt.datetime(2026, 12, 1, tzinfo=BERLIN)
TUE = "FREQ=WEEKLY;BYDAY=TU"


def at(day: int, hour: int = 10, minute: int = 0, month: int = 9,
       zone: dt.tzinfo = BERLIN) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=zone)


def guests(them: str = "ACCEPTED", me: str = "ACCEPTED") -> tuple[Attendee, ...]:
    return (Attendee(OWNER, partstat=me), Attendee(ALICE_EMAIL, partstat=them))


def inst(rid: dt.datetime, start: dt.datetime | None = None, *, status: str = "CONFIRMED",
         them: str = "ACCEPTED", me: str = "ACCEPTED", minutes: int = 45) -> Instance:
    begin = start or rid
    return Instance(rid, begin, begin + dt.timedelta(minutes=minutes), status,
                    guests(them, me), overridden=start is not None or status != "CONFIRMED")


def series(uid: str, first: dt.datetime, rrule: str = TUE, *,
           edits: dict[dt.datetime, Instance] | None = None,
           exdates: tuple[dt.datetime, ...] = (), broken: str = "",
           lo: dt.datetime = START, hi: dt.datetime = END) -> Series:
    """A 45-minute series with its instances in [lo, hi): generated, then `edits` applied."""
    slots = cadence.expand(rrule, first, lo, hi, exdates) if rrule else [first]
    changed = edits or {}
    return Series(
        uid=uid, summary="1:1 Alice / Dana", start=first, end=first + dt.timedelta(minutes=45),
        timezone=str(first.tzinfo), rrule=rrule, exdates=exdates, attendees=guests(),
        organizer=OWNER, instances=tuple(changed.get(s, inst(s)) for s in slots),
        broken=broken,
    )


def single(uid: str, when: dt.datetime, minutes: int = 45) -> Series:
    return Series(uid=uid, summary="catch-up", start=when,
                  end=when + dt.timedelta(minutes=minutes), timezone="Europe/Berlin",
                  attendees=guests(), organizer=OWNER,
                  instances=(inst(when, minutes=minutes),))


def run(*found: Series, person: Person = ALICE, now: dt.datetime = LATER,
        start: dt.datetime = START, end: dt.datetime = END) -> list[Occurrence]:
    return classify(person, "Europe/Berlin", OWNER, found, start, end, now, dt.date(2026, 9, 1))


def statuses(rows: list[Occurrence]) -> list[str]:
    return [o.status for o in rows]


def test_held_every_week() -> None:
    rows = run(series("s", at(1)))
    assert [o.expected for o in rows] == [at(1), at(8), at(15), at(22)]
    assert statuses(rows) == ["held"] * 4
    assert all(o.actual_start is None and o.series_uid == "s" for o in rows)


def test_moved_same_day_is_rescheduled() -> None:
    rows = run(series("s", at(1), edits={at(8): inst(at(8), at(8, 15))}))
    assert statuses(rows) == ["held", "rescheduled", "held", "held"]
    assert rows[1].actual_start == at(8, 15)


def test_series_moved_to_another_weekday_after_until() -> None:
    old = series("old", at(1), "FREQ=WEEKLY;UNTIL=20260914T000000Z;BYDAY=TU")
    new = series("new", at(17), "FREQ=WEEKLY;BYDAY=TH", lo=at(17))
    rows = run(old, new)
    assert statuses(rows) == ["held"] * 4
    assert [o.series_uid for o in rows] == ["old", "old", "new", "new"]
    assert [o.actual_start for o in rows] == [None, None, at(17), at(24)]


def test_split_series_at_another_time_same_weekday() -> None:
    old = series("old", at(1), "FREQ=WEEKLY;UNTIL=20260907T000000Z;BYDAY=TU")
    new = series("new", at(8, 10, 30), lo=at(8))
    rows = run(old, new)
    assert statuses(rows) == ["held"] * 4
    assert [o.actual_start for o in rows] == [None, at(8, 10, 30), at(15, 10, 30),
                                              at(22, 10, 30)]


def test_declined_by_them() -> None:
    rows = run(series("s", at(1), edits={at(15): inst(at(15), them="DECLINED")}))
    assert (rows[2].status, rows[2].reason) == ("skipped", "declined-by-them")
    assert rows[2].series_uid == "s"


def test_declined_by_me() -> None:
    rows = run(series("s", at(1), edits={at(15): inst(at(15), me="DECLINED")}))
    assert (rows[2].status, rows[2].reason) == ("skipped", "declined-by-me")


def test_cancelled_with_make_up_two_days_later() -> None:
    weekly = series("s", at(1), edits={at(8): inst(at(8), status="CANCELLED")})
    rows = run(weekly, single("adhoc", at(10, 14)))
    assert statuses(rows) == ["held", "rescheduled", "held", "held"]
    assert rows[1].actual_start == at(10, 14)
    assert rows[1].series_uid == "adhoc"
    assert rows[1].reason is None


def test_cancelled_without_make_up() -> None:
    rows = run(series("s", at(1), edits={at(8): inst(at(8), status="CANCELLED")}))
    assert (rows[1].status, rows[1].reason, rows[1].series_uid) == ("skipped", "cancelled", "s")


def test_declined_with_make_up_is_rescheduled() -> None:
    weekly = series("s", at(1), edits={at(8): inst(at(8), them="DECLINED")})
    rows = run(weekly, single("adhoc", at(7, 16)))
    assert (rows[1].status, rows[1].actual_start) == ("rescheduled", at(7, 16))


def test_exdate_is_skipped_deleted() -> None:
    rows = run(series("s", at(1), exdates=(at(8),)))
    assert (rows[1].status, rows[1].reason, rows[1].series_uid) == ("skipped", "deleted", "s")
    assert statuses(rows) == ["held", "skipped", "held", "held"]


def test_no_event_at_all_is_missing() -> None:
    rows = run()
    assert statuses(rows) == ["missing"] * 4
    assert all(o.reason is None and o.series_uid == "" for o in rows)


def test_paused_weeks_are_paused_whatever_the_calendar_says() -> None:
    away = dataclasses.replace(ALICE, pauses=(Pause(dt.date(2026, 9, 7), dt.date(2026, 9, 20)),))
    weekly = series("s", at(1), edits={at(8): inst(at(8), status="CANCELLED")})
    rows = run(weekly, person=away)
    assert statuses(rows) == ["held", "paused", "paused", "held"]


def test_future_occurrences_are_upcoming() -> None:
    now = at(10, 12)
    rows = run(series("s", at(1)), now=now)
    assert statuses(rows) == ["held", "held", "upcoming", "upcoming"]
    assert statuses(run(now=now)) == ["missing", "missing", "upcoming", "upcoming"]


def test_future_cancellation_is_a_skip_now_but_future_exdate_is_not() -> None:
    now = at(10, 12)
    cancelled = series("s", at(1), edits={at(15): inst(at(15), status="CANCELLED")})
    assert (run(cancelled, now=now)[2].status, run(cancelled, now=now)[2].reason) == (
        "skipped", "cancelled")
    excluded = series("s", at(1), exdates=(at(15),))
    assert run(excluded, now=now)[2].status == "upcoming"


def test_future_move_is_upcoming_with_its_new_time() -> None:
    rows = run(series("s", at(1), edits={at(15): inst(at(15), at(16, 9))}), now=at(10))
    assert (rows[2].status, rows[2].actual_start) == ("upcoming", at(16, 9))


def test_past_slot_made_up_in_the_future_is_rescheduled() -> None:
    weekly = series("s", at(1), edits={at(8): inst(at(8), status="CANCELLED")})
    rows = run(weekly, single("adhoc", at(11, 9)), now=at(9, 12))
    assert (rows[1].status, rows[1].actual_start) == ("rescheduled", at(11, 9))


def test_broken_series_makes_everything_unknown_but_pauses() -> None:
    away = dataclasses.replace(ALICE, pauses=(Pause(dt.date(2026, 9, 22), dt.date(2026, 9, 22)),))
    rows = run(series("s", at(1)), series("x", at(1), broken="bad RRULE"), person=away)
    assert statuses(rows) == ["unknown", "unknown", "unknown", "paused"]


def _dst_rows(person: Person, local_first: dt.datetime, utc_first: dt.datetime,
              lo: dt.datetime, hi: dt.datetime) -> tuple[list[Occurrence], list[Occurrence]]:
    """Rows for a series written in Berlin time and for one written in UTC hours."""
    local = run(series("berlin", local_first, lo=lo, hi=hi), person=person, start=lo, end=hi)
    in_utc = run(series("utc", utc_first, lo=lo, hi=hi), person=person, start=lo, end=hi)
    return local, in_utc


def _local_hours(rows: list[Occurrence]) -> list[int | None]:
    return [o.actual_start.astimezone(BERLIN).hour if o.actual_start else None for o in rows]


def test_dst_autumn_weeks() -> None:
    # Tuesdays 13, 20, 27 October; clocks go back on Sunday 25 October.
    lo, hi = at(13, 0, month=10), at(28, 0, month=10)
    local, in_utc = _dst_rows(ALICE, at(1), at(1, 8, zone=UTC), lo, hi)
    assert [o.expected.hour for o in local] == [10, 10, 10]
    assert [o.expected.astimezone(UTC).hour for o in local] == [8, 8, 9]
    assert statuses(local) == ["held"] * 3
    assert _local_hours(local) == [None, None, None]
    # 08:00 UTC is 10:00 in summer time and 09:00 after the switch: held an hour early.
    assert statuses(in_utc) == ["held"] * 3
    assert _local_hours(in_utc) == [None, None, 9]


def test_dst_spring_weeks() -> None:
    # Tuesdays 17, 24, 31 March; clocks go forward on Sunday 29 March.
    march = dataclasses.replace(ALICE, start=dt.date(2026, 3, 3))
    lo, hi = at(17, 0, month=3), at(1, 0, month=4)
    local, in_utc = _dst_rows(march, at(3, month=3), at(3, 9, month=3, zone=UTC), lo, hi)
    assert [o.expected.hour for o in local] == [10, 10, 10]
    assert statuses(local) == ["held"] * 3
    assert _local_hours(local) == [None, None, None]
    assert statuses(in_utc) == ["held"] * 3
    assert _local_hours(in_utc) == [None, None, 11]


def test_all_day_event_on_the_right_day_counts_as_held() -> None:
    day = dt.datetime(2026, 9, 8, tzinfo=BERLIN)
    all_day = single("allday", day, minutes=24 * 60)
    wrong_day = single("wrong", day + dt.timedelta(days=1), minutes=24 * 60)
    rows = run(all_day, wrong_day)
    assert statuses(rows) == ["missing", "held", "missing", "missing"]
    assert (rows[1].actual_start, rows[1].series_uid) == (None, "allday")


def test_each_instance_makes_up_for_one_occurrence_only() -> None:
    weekly = series("s", at(1), edits={at(8): inst(at(8), status="CANCELLED"),
                                       at(15): inst(at(15), status="CANCELLED")})
    rows = run(weekly, single("adhoc", at(11, 10)))
    # Friday the 11th is 3 days after the 8th and 4 before the 15th: nearest wins.
    assert [(o.status, o.reason) for o in rows[1:3]] == [
        ("rescheduled", None), ("skipped", "cancelled")]


def test_slot_instance_of_another_week_is_no_make_up() -> None:
    weekly = series("s", at(1), edits={at(8): inst(at(8), status="CANCELLED"),
                                       at(15): inst(at(15), at(10, 10))})
    rows = run(weekly)
    assert (rows[1].status, rows[1].reason) == ("skipped", "cancelled")
    assert (rows[2].status, rows[2].actual_start) == ("rescheduled", at(10, 10))


def test_rerun_gives_identical_rows() -> None:
    found = (series("s", at(1), edits={at(8): inst(at(8), status="CANCELLED"),
                                        at(15): inst(at(15), at(16, 9))}),
             single("adhoc", at(10, 14)))
    assert run(*found, now=at(12)) == run(*found, now=at(12))


def test_time_off_pauses_only_the_1on1s_that_did_not_take_place() -> None:
    # A holiday on the 8th (the 1:1 was held anyway) and the 15th (cancelled), the
    # lead away on the 22nd (nothing on the calendar); a roster pause would pause all.
    time_off = (Pause(dt.date(2026, 9, 8), dt.date(2026, 9, 8), "Holiday", "holiday"),
                Pause(dt.date(2026, 9, 15), dt.date(2026, 9, 15), "Holiday", "holiday"),
                Pause(dt.date(2026, 9, 22), dt.date(2026, 9, 22), "Away", "out-of-office"))
    person = dataclasses.replace(ALICE, pauses=time_off)
    found = series("s", at(1), edits={at(15): inst(at(15), status="CANCELLED")},
                   hi=at(22))
    rows = run(found, person=person)
    assert [(o.status, o.reason) for o in rows] == [
        ("held", None), ("held", None), ("paused", "holiday"), ("paused", "out-of-office")]
