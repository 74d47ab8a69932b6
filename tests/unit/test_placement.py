"""Where new 1:1s go (core/placement.py) and cadence phases (core/cadence.py): pure."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from syncd.core import cadence, classify, placement
from syncd.core.model import (
    Attendee,
    Instance,
    Owner,
    Person,
    Phase,
    Placement,
    Preferences,
    Roster,
    Series,
    Slot,
)
from syncd.core.schedule import Busy, Interval

BERLIN = ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2027, 1, 4, 9, 0, tzinfo=BERLIN)  # a Monday
LEAD = Owner("Dana Lead", "dana@example.com")
PREFS = Preferences(frozenset({1, 2, 3}), dt.time(10), dt.time(17), dt.timedelta(minutes=15))


def auto(name: str, cadence_text: str = "weekly", minutes: int = 30) -> Person:
    return Person(name, f"{name.lower()}@example.com", cadence.parse_cadence(cadence_text),
                  None, dt.timedelta(minutes=minutes), preferences=PREFS, auto_slot=True)


def fixed(name: str, day: int, hour: int, cadence_text: str = "weekly") -> Person:
    return Person(name, f"{name.lower()}@example.com", cadence.parse_cadence(cadence_text),
                  Slot(day, dt.time(hour)), dt.timedelta(minutes=30))


def roster(*people: Person, rollout: int | None = None) -> Roster:
    return Roster(LEAD, "Europe/Berlin", people, max_new_per_week=rollout)


def weekly(title: str, day: dt.date, start: dt.time, end: dt.time) -> list[Interval]:
    return [Interval(dt.datetime.combine(day + dt.timedelta(weeks=n), start, BERLIN),
                     dt.datetime.combine(day + dt.timedelta(weeks=n), end, BERLIN), title)
            for n in range(30)]


STANDUP = weekly("Standup", dt.date(2027, 1, 5), dt.time(10), dt.time(11))  # Tuesdays


def test_the_first_free_start_after_busy_time_and_its_buffer() -> None:
    chosen = placement.place(roster(auto("Ana")), {}, {}, frozenset(), STANDUP, {}, NOW)
    (ana,) = chosen.made
    assert (ana.slot, ana.first, ana.new) == (Slot(1, dt.time(11, 15)), dt.date(2027, 1, 5),
                                              True)
    assert "availability was not visible" in chosen.info[0]


def test_people_spread_over_the_preferred_days() -> None:
    team = roster(auto("Ana"), auto("Ben"), auto("Cy"), auto("Dee"))
    made = placement.place(team, {}, {}, frozenset(), [], {}, NOW).made
    assert [(p.slot.day, p.slot.time) for p in made if p.slot] == [
        (1, dt.time(10)), (2, dt.time(10)), (3, dt.time(10)), (1, dt.time(10, 45))]


def test_a_visible_persons_busy_time_counts_and_unknown_is_said() -> None:
    ana = auto("Ana")
    theirs = Busy(ana.email, tuple(weekly("", dt.date(2027, 1, 5), dt.time(10), dt.time(16))))
    chosen = placement.place(roster(ana), {}, {}, frozenset(), [], {ana.email: theirs}, NOW)
    assert chosen.made[0].slot == Slot(1, dt.time(16, 15))
    assert "free on you and them" in chosen.info[0]
    assert "not visible" not in chosen.info[0]


def test_only_eight_meetings_need_to_be_free_but_other_1_1s_never_clash() -> None:
    # Busy on the ninth Tuesday only: the tenth week on does not matter for the lead's time.
    ninth = [Interval(dt.datetime(2027, 3, 2, 10, tzinfo=BERLIN),
                      dt.datetime(2027, 3, 2, 17, tzinfo=BERLIN), "Offsite")]
    assert placement.choose_slot(roster(), auto("Ana"), ninth, NOW) == Slot(1, dt.time(10))
    # A quarterly 1:1 in April on Tuesdays 10:00 keeps a weekly one off that slot.
    team = roster(fixed("Qi", 1, 10, "quarterly"), auto("Ana"))
    quarterly = dataclasses.replace(team.people[0], start=dt.date(2027, 4, 1))
    team = dataclasses.replace(team, people=(quarterly, team.people[1]))
    (ana,) = placement.place(team, {}, {}, frozenset(), [], {}, NOW).made
    assert ana.slot == Slot(2, dt.time(10))  # Tuesday had a 1:1, Wednesday is emptier


def test_no_free_slot_is_a_warning_and_no_decision() -> None:
    full = [Interval(dt.datetime(2027, 1, 4, tzinfo=BERLIN),
                     dt.datetime(2027, 7, 1, tzinfo=BERLIN), "Sabbatical")]
    chosen = placement.place(roster(auto("Ana")), {}, {}, frozenset(), full, {}, NOW)
    assert chosen.made == ()
    assert chosen.warnings == ("Ana: no free slot on the preferred days for the next 8 "
                               "meetings; nothing created: widen preferences or set slot:",)
    queued = placement.resolve(roster(auto("Ana")), {}, {}, NOW).people[0]
    assert queued.queued and queued.slot is None


def test_rollout_queues_new_people_a_week_apart_in_roster_order() -> None:
    team = roster(fixed("Ana", 1, 10), fixed("Ben", 2, 10), fixed("Cy", 0, 10), rollout=1)
    made = placement.place(team, {}, {}, frozenset(), [], {}, NOW).made
    assert [(p.person, p.first) for p in made] == [
        ("ana@example.com", dt.date(2027, 1, 5)), ("ben@example.com", dt.date(2027, 1, 13)),
        ("cy@example.com", dt.date(2027, 1, 18))]
    decided = {p.person: p for p in made}
    resolved = placement.resolve(team, decided, {}, NOW)
    assert [(p.queued, p.start) for p in resolved.people] == [
        (False, dt.date(2027, 1, 5)), (True, dt.date(2027, 1, 13)),
        (True, dt.date(2027, 1, 18))]
    assert placement.queued_lines(resolved, decided) == [
        "Ben: queued: first 1:1 on Wed 2027-01-13 10:00 (rollout: at most 1 new a week)",
        "Cy: queued: first 1:1 on Mon 2027-01-18 10:00 (rollout: at most 1 new a week)"]
    # A week before Ben's first 1:1 his series is made (the invitation a week ahead).
    ahead = dt.datetime(2027, 1, 6, 10, 0, tzinfo=BERLIN)
    assert placement.resolve(team, decided, {}, ahead - dt.timedelta(minutes=1)).people[1].queued
    assert not placement.resolve(team, decided, {}, ahead).people[1].queued


def test_people_with_a_1_1_or_history_are_not_new() -> None:
    ana, ben = fixed("Ana", 1, 10), fixed("Ben", 2, 10)
    theirs = Series("ana-1", "Ana / Dana", dt.datetime(2026, 10, 6, 10, tzinfo=BERLIN),
                    dt.datetime(2026, 10, 6, 10, 30, tzinfo=BERLIN), "Europe/Berlin",
                    "FREQ=WEEKLY;BYDAY=TU",
                    attendees=(Attendee(LEAD.email), Attendee(ana.email)))
    team = roster(ana, ben, rollout=1)
    made = placement.place(team, {}, {ana.email: [theirs]}, frozenset({ben.email}), [], {},
                           NOW).made
    assert made == ()


def test_auto_with_a_live_1_1_keeps_its_slot() -> None:
    ana = auto("Ana")
    theirs = Series("ana-1", "Ana / Dana", dt.datetime(2026, 10, 8, 15, tzinfo=BERLIN),
                    dt.datetime(2026, 10, 8, 15, 30, tzinfo=BERLIN), "Europe/Berlin",
                    "FREQ=WEEKLY;BYDAY=TH")
    (kept,) = placement.place(roster(ana), {}, {ana.email: [theirs]}, frozenset(), [], {},
                              NOW).made
    assert (kept.slot, kept.first, kept.new) == (Slot(3, dt.time(15)), dt.date(2026, 10, 8),
                                                 False)


def test_a_queued_person_whose_week_passed_unseen_is_queued_again() -> None:
    ben = fixed("Ben", 2, 10)
    team = roster(ben, rollout=1)
    old = Placement(ben.email, dt.date(2027, 1, 6), None, True, dt.date(2027, 1, 1))
    later = dt.datetime(2027, 1, 7, 9, tzinfo=BERLIN)
    assert placement.undecided(team, {ben.email: old}, {}, frozenset(), later) == [ben.email]
    (again,) = placement.place(team, {ben.email: old}, {}, frozenset(), [], {}, later).made
    assert again.first == dt.date(2027, 1, 13)
    # Once syncd met them (history), the decision stands.
    assert placement.undecided(team, {ben.email: old}, {}, frozenset({ben.email}),
                               later) == []


def test_a_chosen_slot_that_now_clashes_gets_a_suggestion() -> None:
    ana = dataclasses.replace(auto("Ana"), slot=Slot(1, dt.time(10)), start=dt.date(2027, 1, 5))
    team = roster(ana)
    meetings = {ana.email: [Interval(s, s + ana.duration) for s in cadence.expected(
        ana, "Europe/Berlin", NOW, NOW + dt.timedelta(weeks=8), ana.start or NOW.date())]}
    lines = placement.move_suggestions(team, meetings, STANDUP, {}, NOW)
    assert lines == ['Ana: syncd chose Tue 10:00, which now clashes; it is not moved on its '
                     'own: a free slot now is Tue 11:15 (set slot: {day: tue, time: "11:15"} '
                     'to take it)']
    assert placement.move_suggestions(team, meetings, [], {}, NOW) == []


NIA = Person("Nia", "nia@example.com", cadence.parse_cadence("weekly"), Slot(1, dt.time(10)),
             dt.timedelta(minutes=30), start=dt.date(2027, 1, 5),
             then=Phase(dt.timedelta(weeks=4), cadence.parse_cadence("biweekly")))


def test_phases_switch_cadence_on_the_day_after_the_first_phase() -> None:
    starts = cadence.expected(NIA, "Europe/Berlin", NOW, NOW + dt.timedelta(weeks=9),
                              NOW.date())
    assert [s.date().isoformat() for s in starts] == [
        "2027-01-05", "2027-01-12", "2027-01-19", "2027-01-26",  # weekly for 4 weeks
        "2027-02-02", "2027-02-16", "2027-03-02"]  # biweekly from the switch day
    assert cadence.in_effect(NIA, dt.date(2027, 2, 1)).cadence.weeks == 1
    after = cadence.in_effect(NIA, dt.date(2027, 2, 2))
    assert (after.cadence.weeks, after.start, after.then) == (2, dt.date(2027, 2, 2), None)


def test_classification_is_continuous_across_two_series() -> None:
    first = Series("n1", "1:1", dt.datetime(2027, 1, 5, 10, tzinfo=BERLIN),
                   dt.datetime(2027, 1, 5, 10, 30, tzinfo=BERLIN), "Europe/Berlin",
                   "FREQ=WEEKLY;UNTIL=20270201T230000Z;BYDAY=TU",
                   attendees=(Attendee(LEAD.email), Attendee(NIA.email)),
                   instances=tuple(Instance(s, s, s + NIA.duration) for s in (
                       dt.datetime(2027, 1, d, 10, tzinfo=BERLIN) for d in (5, 12, 19, 26))))
    second = dataclasses.replace(
        first, uid="n2", start=dt.datetime(2027, 2, 2, 10, tzinfo=BERLIN),
        end=dt.datetime(2027, 2, 2, 10, 30, tzinfo=BERLIN),
        rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=TU",
        instances=tuple(Instance(s, s, s + NIA.duration) for s in (
            dt.datetime(2027, 2, 2, 10, tzinfo=BERLIN),
            dt.datetime(2027, 2, 16, 10, tzinfo=BERLIN))))
    now = dt.datetime(2027, 2, 20, 9, tzinfo=BERLIN)
    rows = classify.classify(NIA, "Europe/Berlin", LEAD.email, [first, second],
                             NOW, now, now, NOW.date())
    assert [(o.expected.date().isoformat(), o.status, o.series_uid) for o in rows] == [
        ("2027-01-05", "held", "n1"), ("2027-01-12", "held", "n1"),
        ("2027-01-19", "held", "n1"), ("2027-01-26", "held", "n1"),
        ("2027-02-02", "held", "n2"), ("2027-02-16", "held", "n2")]
