"""The report's numbers: weeks, skips and make-ups, streaks, adherence, overdue, heat-map,
next week's agendas and roster health (pure: rows and events in, a Report out)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from syncd.core import cadence
from syncd.core.model import (
    Attendee,
    Instance,
    Occurrence,
    Owner,
    Pause,
    Person,
    Roster,
    Series,
    Slot,
)
from syncd.report import build as rb

BERLIN = ZoneInfo("Europe/Berlin")
OWNER = Owner("Dana Lead", "dana@example.com")
NOW = dt.datetime(2026, 12, 15, 8, 30, tzinfo=BERLIN)  # a Tuesday
W50 = rb.iso_week(2026, 50, BERLIN)  # Mon 7 Dec to Mon 14 Dec


def person(name: str, cad: str = "weekly", pauses: Sequence[Pause] = (),
           aliases: Sequence[str] = (), active: bool = True) -> Person:
    email = f"{name.split()[0].lower()}@example.com"
    return Person(name, email, cadence.parse_cadence(cad), Slot(1, dt.time(10, 0)),
                  dt.timedelta(minutes=45), pauses=tuple(pauses), aliases=tuple(aliases),
                  active=active)


ALICE = person("Alice Example")
BOB = person("Bob Example", aliases=("bob@old.example",))
CAROL = person("Carol Example")


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


def occ(who: Person, when: dt.datetime, state: str, reason: str | None = None,
        actual: dt.datetime | None = None) -> Occurrence:
    return Occurrence(who.email, when, state, reason, actual)  # type: ignore[arg-type]


def event(uid: str, others: Sequence[str], starts: Sequence[dt.datetime], *, rrule: str = "",
          status: str = "CONFIRMED", declined: Sequence[str] = (), cn: str = "",
          summary: str = "1:1") -> Series:
    people = (Attendee(OWNER.email, "Dana Lead", "ACCEPTED"),
              *(Attendee(e, cn, "DECLINED" if e in declined else "ACCEPTED") for e in others))
    hour = dt.timedelta(hours=1)
    return Series(
        uid=uid, summary=summary, start=starts[0], end=starts[0] + hour,
        timezone="Europe/Berlin", rrule=rrule, attendees=people, organizer=OWNER.email,
        status=status,
        instances=tuple(Instance(s, s, s + hour, status, people) for s in starts),
    )


def report(people: Sequence[Person], rows: Sequence[Occurrence],
           observed: Sequence[Series] | None = (), period: rb.Period = W50,
           agendas: dict[tuple[str, dt.date], bool | None] | None = None,
           now: dt.datetime = NOW) -> rb.Report:
    by_person: dict[str, list[Occurrence]] = {p.email: [] for p in people if p.active}
    for row in rows:
        by_person[row.person].append(row)
    roster = Roster(OWNER, "Europe/Berlin", tuple(people))
    return rb.build(roster, by_person, observed, {p.email: f"https://notes/{p.email}"
                                                  for p in people}, agendas, period, now)


def mine(rep: rb.Report, who: Person) -> rb.PersonReport:
    return next(p for p in rep.people if p.person == who)


# --- weeks ---------------------------------------------------------------------


def test_default_week_is_the_last_complete_iso_week_in_the_roster_zone() -> None:
    wednesday = dt.datetime(2026, 11, 25, 9, 0, tzinfo=BERLIN)
    week = rb.last_complete_week(wednesday, BERLIN)
    assert (week.label, week.start.isoformat(), week.end.isoformat()) == (
        "2026-W47", "2026-11-16T00:00:00+01:00", "2026-11-23T00:00:00+01:00")
    # At Monday 00:00 the week before has just become complete; a minute earlier it had not.
    monday = dt.datetime(2026, 11, 23, 0, 0, tzinfo=BERLIN)
    assert rb.last_complete_week(monday, BERLIN).label == "2026-W47"
    assert rb.last_complete_week(monday - dt.timedelta(minutes=1), BERLIN).label == "2026-W46"
    # Instants in another zone are read in the roster's: Sunday 23:30 UTC is Monday in Berlin.
    utc = dt.datetime(2026, 11, 22, 23, 30, tzinfo=dt.UTC)
    assert rb.last_complete_week(utc, BERLIN).label == "2026-W47"


def test_a_week_over_the_dst_change_is_168_local_hours_but_169_real_ones() -> None:
    week = rb.iso_week(2026, 43, BERLIN)  # clocks go back on Sunday 25 October
    assert week.start.isoformat() == "2026-10-19T00:00:00+02:00"
    assert week.end.isoformat() == "2026-10-26T00:00:00+01:00"
    assert week.end.astimezone(dt.UTC) - week.start.astimezone(dt.UTC) == dt.timedelta(hours=169)


def test_heatmap_columns_are_12_iso_weeks_ending_with_the_report_week_across_new_year() -> None:
    labels = [w.label for w in rb.columns(rb.iso_week(2027, 2, BERLIN))]
    assert labels == [f"2026-W{n}" for n in range(44, 54)] + ["2027-W01", "2027-W02"]
    span = rb.day_span(dt.date(2026, 12, 1), dt.date(2026, 12, 9), BERLIN)
    assert span.label == "2026-12-01..2026-12-09" and not span.is_week
    assert span.end.isoformat() == "2026-12-10T00:00:00+01:00"
    assert rb.columns(span)[-1].label == "2026-W50"


# --- skips and make-ups -----------------------------------------------------------


def test_skips_of_the_week_with_reasons_and_missing() -> None:
    rows = [occ(ALICE, at(12, 1), "held"), occ(ALICE, at(12, 8), "skipped", "declined-by-me"),
            occ(BOB, at(12, 9), "missing"), occ(BOB, at(12, 16), "upcoming")]
    rep = report([ALICE, BOB], rows)
    assert [(s.person.email, s.expected, s.reason, s.make_up) for s in rep.skipped] == [
        (ALICE.email, at(12, 8), "declined-by-me", None),
        (BOB.email, at(12, 9), "missing", None),
    ]


def test_next_slot_moved_earlier_is_the_make_up_even_from_history_alone() -> None:
    rows = [occ(ALICE, at(12, 8), "skipped", "cancelled"),
            occ(ALICE, at(12, 15), "rescheduled", actual=at(12, 11, 14))]
    (skip,) = report([ALICE], rows, observed=None).skipped
    assert skip.make_up == at(12, 11, 14)


def test_an_ad_hoc_event_before_the_next_slot_is_a_make_up_unless_cancelled_or_declined() -> None:
    rows = [occ(ALICE, at(12, 8), "skipped", "cancelled"), occ(ALICE, at(12, 15), "upcoming")]
    weekly = event("a-weekly", [ALICE.email], [at(12, 8), at(12, 15)], rrule="FREQ=WEEKLY")
    cancelled = event("a-cancelled", [ALICE.email], [at(12, 12, 9)], status="CANCELLED")
    declined = event("a-declined", [ALICE.email], [at(12, 13, 9)], declined=[ALICE.email])
    ad_hoc = event("a-adhoc", [ALICE.email], [at(12, 14, 15)])
    (skip,) = report([ALICE], rows, [weekly, cancelled, declined, ad_hoc]).skipped
    assert skip.make_up == at(12, 14, 15)
    # The regular next 1:1 is not a make-up, nor is anything that will not take place.
    (skip,) = report([ALICE], rows, [weekly, cancelled, declined]).skipped
    assert skip.make_up is None


def test_the_last_known_slot_looks_one_interval_ahead_for_a_make_up() -> None:
    rows = [occ(ALICE, at(12, 8), "missing")]
    soon = event("soon", [ALICE.email], [at(12, 14, 16)])
    later = event("later", [ALICE.email], [at(12, 16, 16)])
    assert report([ALICE], rows, [soon]).skipped[0].make_up == at(12, 14, 16)
    assert report([ALICE], rows, [later]).skipped[0].make_up is None


# --- streaks, adherence, overdue -----------------------------------------------------


def test_skip_streak_counts_back_over_pauses_and_stops_at_a_held_or_unknown_one() -> None:
    rows = [occ(ALICE, at(11, 10), "held"), occ(ALICE, at(11, 17), "skipped", "cancelled"),
            occ(ALICE, at(11, 24), "paused"), occ(ALICE, at(12, 1), "missing"),
            occ(ALICE, at(12, 8), "skipped", "deleted"),
            # After the period: not part of this report's streak.
            occ(ALICE, at(12, 15), "missing"),
            occ(BOB, at(12, 1), "skipped", "cancelled"), occ(BOB, at(12, 8), "unknown")]
    rep = report([ALICE, BOB], rows)
    assert mine(rep, ALICE).skip_streak == 3
    assert mine(rep, BOB).skip_streak == 0


def test_upcoming_rows_inside_a_current_period_do_not_break_the_streak() -> None:
    rows = [occ(ALICE, at(12, 1), "skipped", "cancelled"), occ(ALICE, at(12, 8), "missing"),
            occ(ALICE, at(12, 15), "upcoming")]
    rep = report([ALICE], rows, period=rb.iso_week(2026, 51, BERLIN))
    assert mine(rep, ALICE).skip_streak == 2


def test_adherence_counts_held_and_rescheduled_out_of_settled_expected_ones() -> None:
    held = [occ(ALICE, at(9, 1) + dt.timedelta(weeks=n), "held") for n in range(11)]
    rows = [*held, occ(ALICE, at(11, 17), "rescheduled", actual=at(11, 18)),
            occ(ALICE, at(11, 24), "paused"), occ(ALICE, at(12, 1), "unknown"),
            occ(ALICE, at(12, 8), "skipped", "cancelled"),
            occ(BOB, at(12, 8), "paused")]
    rep = report([ALICE, BOB], rows)
    # W39-W50 start on 21 September: 8 held (28 Sep .. 10 Nov) + 1 rescheduled, 1 skipped.
    assert (mine(rep, ALICE).adherence_12w.happened,
            mine(rep, ALICE).adherence_12w.expected) == (9, 10)
    assert mine(rep, ALICE).adherence_12w.rate == 0.9
    assert (mine(rep, ALICE).adherence_6m.happened,
            mine(rep, ALICE).adherence_6m.expected) == (12, 13)
    assert mine(rep, BOB).adherence_12w.rate is None


def test_overdue_people_longest_gap_first_and_never_held_before_all() -> None:
    rows = [occ(ALICE, at(11, 24), "held"), occ(ALICE, at(12, 1), "missing"),
            occ(ALICE, at(12, 8), "missing"),
            occ(BOB, at(11, 10), "held"), occ(BOB, at(12, 8), "skipped", "cancelled"),
            occ(CAROL, at(12, 1), "missing"), occ(CAROL, at(12, 8), "missing")]
    late = report([ALICE, BOB, CAROL], rows).overdue
    assert [(p.person.email, p.days_since_last_held) for p in late] == [
        (CAROL.email, None), (BOB.email, 35), (ALICE.email, 21)]
    fine = report([ALICE], [occ(ALICE, at(12, 8), "held")])
    assert fine.overdue == () and mine(fine, ALICE).days_since_last_held == 7


# --- heat-map ------------------------------------------------------------------


def test_heatmap_cell_is_the_worst_status_of_its_week() -> None:
    rows = [occ(ALICE, at(12, 7, 9), "held"), occ(ALICE, at(12, 8), "skipped", "cancelled"),
            occ(ALICE, at(11, 30, 9), "skipped", "deleted"), occ(ALICE, at(12, 1), "missing"),
            occ(ALICE, at(11, 24), "paused"),
            occ(ALICE, at(11, 17), "rescheduled", actual=at(11, 18)),
            occ(ALICE, at(11, 10), "held")]
    cells = mine(report([ALICE], rows), ALICE).cells
    assert len(cells) == rb.HEATMAP_WEEKS
    assert [(c.week, c.status) for c in cells[-6:]] == [
        ("2026-W45", "none"), ("2026-W46", "held"), ("2026-W47", "rescheduled"),
        ("2026-W48", "paused"), ("2026-W49", "missing"), ("2026-W50", "skipped")]


# --- next week -------------------------------------------------------------------


def test_next_week_lists_coming_1_1s_with_agenda_state_and_calendar_presence() -> None:
    rows = [occ(ALICE, at(12, 15), "upcoming"), occ(ALICE, at(12, 22), "upcoming"),
            # A past slot made up after now is still to come.
            occ(BOB, at(12, 10), "rescheduled", actual=at(12, 16, 14)),
            occ(CAROL, at(12, 17), "upcoming")]
    weekly = event("a", [ALICE.email], [at(12, 15), at(12, 22)], rrule="FREQ=WEEKLY")
    agendas: dict[tuple[str, dt.date], bool | None] = {
        # Bob's make-up on 12-16 keeps the section of the slot it makes up (12-10).
        (ALICE.email, dt.date(2026, 12, 15)): False, (BOB.email, dt.date(2026, 12, 10)): True,
        (CAROL.email, dt.date(2026, 12, 17)): None}
    rep = report([ALICE, BOB, CAROL], rows, [weekly], agendas=agendas)
    assert [(u.person.email, u.start, u.on_calendar, u.agenda, u.nudge)
            for u in rep.next_week] == [
        (ALICE.email, at(12, 15), True, "empty", True),
        (BOB.email, at(12, 16, 14), False, "written", False),
        (CAROL.email, at(12, 17), False, "missing", True),
    ]
    assert rep.next_week[0].notes_url == f"https://notes/{ALICE.email}"
    assert [u.person for u in rep.nudges] == [ALICE, CAROL]
    unread = report([ALICE], rows[:1], None, agendas=None)
    assert [(u.on_calendar, u.agenda, u.nudge) for u in unread.next_week] == [
        (None, "unknown", False)]


# --- roster health ------------------------------------------------------------------


def test_pauses_covering_today_or_starting_within_a_week_with_the_day_they_return() -> None:
    soon = person("Alice Example", pauses=[Pause(dt.date(2026, 12, 21), dt.date(2027, 1, 8),
                                                 "parental leave")])
    later = person("Bob Example", pauses=[Pause(dt.date(2026, 12, 23), dt.date(2026, 12, 30))])
    now_off = person("Carol Example", pauses=[Pause(dt.date(2026, 12, 1), dt.date(2026, 12, 16)),
                                              Pause(dt.date(2026, 11, 1), dt.date(2026, 11, 5))])
    away = report([soon, later, now_off], []).away
    assert [(a.person.email, a.returns) for a in away] == [
        (soon.email, dt.date(2027, 1, 9)), (now_off.email, dt.date(2026, 12, 17))]
    assert away[0].pause.reason == "parental leave"


def test_no_live_series_and_strangers_from_the_events_read() -> None:
    ahead = [at(12, 15), at(12, 22)]
    retired = person("Ivan Former", active=False)
    observed = [
        event("alice", [ALICE.email], ahead, rrule="FREQ=WEEKLY"),
        event("bob-alias", ["bob@old.example"], ahead, rrule="FREQ=WEEKLY"),
        event("carol-ended", [CAROL.email], [at(11, 3), at(11, 10)], rrule="FREQ=WEEKLY"),
        event("ivan", [retired.email], ahead, rrule="FREQ=WEEKLY"),
        event("frank", ["frank@example.com"], ahead, rrule="FREQ=WEEKLY",
              cn="Frank Contractor", summary="Frank / Dana"),
        event("team", [ALICE.email, BOB.email], ahead, rrule="FREQ=WEEKLY"),
        event("once", ["zed@example.com"], [at(12, 16)]),
        event("old", ["olga@example.com"], [at(6, 2), at(6, 9)], rrule="FREQ=WEEKLY"),
        event("gone", ["gus@example.com"], ahead, rrule="FREQ=WEEKLY", status="CANCELLED"),
    ]
    rep = report([ALICE, BOB, CAROL, retired], [], observed)
    assert rep.calendar_read
    assert rep.no_series == (CAROL,)
    assert rep.strangers == (rb.Stranger("frank@example.com", "Frank Contractor",
                                         "Frank / Dana"),)
    assert [p.person for p in rep.people] == [ALICE, BOB, CAROL]


def test_without_a_calendar_read_roster_health_says_unknown_not_empty() -> None:
    rep = report([ALICE], [occ(ALICE, at(12, 8), "skipped", "cancelled")], observed=None)
    assert not rep.calendar_read
    assert rep.no_series is None and rep.strangers is None
    assert [s.reason for s in rep.skipped] == ["cancelled"]
