"""The pure planner: which actions a roster, a calendar and state lead to."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from syncd.core import cadence, identity, planner
from syncd.core.model import (
    AgendaSection,
    Attendee,
    Instance,
    Memory,
    NotesDoc,
    OwnedSeries,
    Owner,
    Person,
    Plan,
    Roster,
    Series,
    Slot,
)

BERLIN = ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=BERLIN)
DANA = Owner("Dana Lead", "dana@example.com")
ALICE = Person("Alice Example", "alice@example.com", cadence.parse_cadence("weekly"),
               Slot(1, dt.time(10, 0)), dt.timedelta(minutes=45), start=dt.date(2026, 9, 1))
BOB = Person("Bob Example", "bob@example.com", cadence.parse_cadence("monthly"),
             Slot(3, dt.time(14, 0), 1), dt.timedelta(minutes=45))


def roster(*people: Person) -> Roster:
    return Roster(DANA, "Europe/Berlin", people)


def series(uid: str, with_email: str, *, rrule: str = "FREQ=WEEKLY;BYDAY=TU",
           start: dt.datetime = dt.datetime(2026, 9, 1, 10, 0, tzinfo=BERLIN),
           minutes: int = 45, marker: str = "", notes_url: str = "",
           instances: tuple[Instance, ...] = ()) -> Series:
    return Series(
        uid=uid, summary=f"1:1 {with_email}", start=start,
        end=start + dt.timedelta(minutes=minutes), timezone="Europe/Berlin", rrule=rrule,
        attendees=(Attendee("dana@example.com", partstat="ACCEPTED"),
                   Attendee(with_email, partstat="ACCEPTED")),
        organizer="dana@example.com", marker=marker, notes_url=notes_url,
        instances=instances, etag=f"etag-{uid}",
    )


def kinds(plan: Plan, person: str | None = None) -> list[str]:
    return [a.kind for a in plan.actions if person is None or a.person == person]


def test_empty_calendar_creates_series_and_notes_for_each_active_person() -> None:
    retired = dataclasses.replace(BOB, active=False)
    plan = planner.plan(roster(ALICE, retired), (), {}, Memory(), NOW)
    assert kinds(plan) == ["create-series", "create-notes", "attach-notes", "prepare-notes"]
    create = plan.actions[0]
    assert create.spec is not None
    # Alice started in September: the new series starts at the next slot, not in the past.
    assert create.spec.start == dt.datetime(2026, 12, 1, 10, 0, tzinfo=BERLIN)
    assert create.spec.rrule == "FREQ=WEEKLY;BYDAY=TU"
    assert create.series_uid == identity.series_uid("alice@example.com", 1)
    assert plan.actions[-1].section_date == dt.date(2026, 12, 1)


def test_handmade_series_following_the_roster_is_adopted_not_duplicated() -> None:
    handmade = series("hand@google.com", "alice@example.com")
    plan = planner.plan(roster(ALICE), (handmade,), {}, Memory(), NOW)
    assert kinds(plan) == ["adopt-series", "create-notes", "attach-notes", "prepare-notes"]
    adopt = plan.actions[0]
    assert adopt.series_uid == "hand@google.com"
    assert adopt.patch is not None and adopt.patch.marker == identity.marker(ALICE.email, 1)


def test_handmade_series_on_another_slot_is_left_alone_and_not_duplicated() -> None:
    handmade = series("hand@google.com", "alice@example.com", rrule="FREQ=WEEKLY;BYDAY=WE",
                      start=dt.datetime(2026, 9, 2, 10, 0, tzinfo=BERLIN))
    plan = planner.plan(roster(ALICE), (handmade,), {}, Memory(), NOW)
    assert "create-series" not in kinds(plan) and "adopt-series" not in kinds(plan)
    assert any("hand@google.com" in w and "left alone" in w for w in plan.warnings)


def test_owned_series_in_step_plans_nothing_and_moved_instances_are_only_reported() -> None:
    marker = identity.marker(ALICE.email, 1)
    moved = Instance(dt.datetime(2026, 12, 15, 10, 0, tzinfo=BERLIN),
                     dt.datetime(2026, 12, 16, 11, 0, tzinfo=BERLIN),
                     dt.datetime(2026, 12, 16, 11, 45, tzinfo=BERLIN), overridden=True)
    owned = series("s1", "alice@example.com", marker=marker, notes_url="file:///n/alice.md",
                   instances=(moved,))
    doc = NotesDoc("alice@example.com", "alice.md", "file:///n/alice.md",
                   frozenset({dt.date(2026, 12, 1)}),
                   (AgendaSection(dt.date(2026, 12, 1), dt.datetime(2026, 12, 1, 10)),))
    plan = planner.plan(roster(ALICE), (owned,), {ALICE.email: doc}, Memory(), NOW)
    assert plan.actions == ()
    assert any("moved to" in line for line in plan.info)


def test_duration_change_updates_the_series_in_place() -> None:
    owned = series("s1", "alice@example.com", marker=identity.marker(ALICE.email, 1),
                   minutes=30)
    plan = planner.plan(roster(ALICE), (owned,), None, Memory(), NOW)
    assert kinds(plan) == ["update-series"]
    assert plan.actions[0].patch is not None
    assert plan.actions[0].patch.duration == dt.timedelta(minutes=45)


def test_slot_change_ends_the_old_series_and_starts_a_new_generation() -> None:
    owned = series("s1", "alice@example.com", marker=identity.marker(ALICE.email, 1))
    moved_slot = dataclasses.replace(ALICE, slot=Slot(3, dt.time(10, 0)))
    plan = planner.plan(roster(moved_slot), (owned,), None, Memory(), NOW)
    assert kinds(plan) == ["end-series", "create-series"]
    end, create = plan.actions
    assert end.patch is not None and end.patch.until == NOW
    assert create.generation == 2 and create.spec is not None
    assert create.spec.start == dt.datetime(2026, 11, 26, 10, 0, tzinfo=BERLIN)


def test_series_a_person_deleted_is_recreated_under_a_new_id_and_reported() -> None:
    memory = Memory(series=(OwnedSeries("gone@syncd", ALICE.email, 1, "created"),))
    plan = planner.plan(roster(ALICE), (), None, memory, NOW)
    assert kinds(plan) == ["create-series"]
    assert plan.actions[0].replaces == "gone@syncd"
    assert plan.actions[0].series_uid == identity.series_uid(ALICE.email, 2)
    assert any("deleted" in w for w in plan.warnings)


def test_retired_person_series_is_ended() -> None:
    owned = series("s1", "alice@example.com", marker=identity.marker(ALICE.email, 1))
    plan = planner.plan(roster(dataclasses.replace(ALICE, active=False)), (owned,), {},
                        Memory(), NOW)
    assert kinds(plan) == ["end-series"]


def test_failed_calendar_read_plans_no_calendar_action() -> None:
    plan = planner.plan(roster(ALICE, BOB), None, {}, Memory(), NOW)
    # Where the meetings are is unknown, so no agenda is written either.
    assert set(kinds(plan)) == {"create-notes"}


def test_events_not_owned_are_never_touched_and_strangers_are_reported() -> None:
    stranger = series("frank@google.com", "frank@example.com")
    team = dataclasses.replace(series("team", "alice@example.com"), attendees=(
        Attendee("dana@example.com"), Attendee("alice@example.com"), Attendee("bob@example.com")))
    plan = planner.plan(roster(ALICE), (stranger, team), None, Memory(), NOW)
    assert {a.series_uid for a in plan.actions} == {identity.series_uid(ALICE.email, 1)}
    assert any("frank@example.com" in w and "not on the roster" in w for w in plan.warnings)


def test_a_room_does_not_stop_a_handmade_one_to_one_from_being_adopted() -> None:
    handmade = series("hand", "alice@example.com")
    with_room = dataclasses.replace(handmade, attendees=(
        *handmade.attendees, Attendee("atlas@rooms.example.com", cutype="ROOM")))
    plan = planner.plan(roster(ALICE), (with_room,), None, Memory(), NOW)
    assert kinds(plan) == ["adopt-series"]


def test_safety_limit_counts_distinct_events_and_ended_share() -> None:
    people = [dataclasses.replace(BOB, email=f"p{i}@example.com") for i in range(21)]
    plan = planner.plan(roster(*people), (), None, Memory(), NOW)
    assert planner.events_written(plan) == 21
    assert planner.refusal(plan, 20) is not None
    assert planner.refusal(plan, 21) is None
    owned = [series(f"s{i}", f"p{i}@example.com", rrule="FREQ=MONTHLY;BYDAY=1TH",
                    start=dt.datetime(2026, 12, 3, 14, 0, tzinfo=BERLIN),
                    marker=identity.marker(f"p{i}@example.com", 1)) for i in range(3)]
    retired = [dataclasses.replace(p, active=False) for p in people[:2]] + [people[2]]
    plan = planner.plan(roster(*retired), tuple(owned), None, Memory(), NOW)
    assert kinds(plan) == ["end-series", "end-series"]
    refusal = planner.refusal(plan, 20)
    assert refusal is not None and "more than half" in refusal


def test_renamed_person_retitles_only_series_syncd_created() -> None:
    marker = identity.marker(ALICE.email, 1)
    created = dataclasses.replace(series(identity.series_uid(ALICE.email, 1),
                                         "alice@example.com", marker=marker),
                                  summary="1:1 Alice Example / Dana Lead")
    renamed = dataclasses.replace(ALICE, name="Alice Renamed")
    plan = planner.plan(roster(renamed), (created,), None, Memory(), NOW)
    assert kinds(plan) == ["update-series"]
    assert plan.actions[0].patch is not None
    assert plan.actions[0].patch.summary == "1:1 Alice Renamed / Dana Lead"
    adopted = dataclasses.replace(created, uid="hand@google.com")
    assert planner.plan(roster(renamed), (adopted,), None, Memory(), NOW).actions == ()


def test_person_in_an_unreadable_event_gets_no_actions() -> None:
    broken = dataclasses.replace(series("bad", "alice@example.com"), broken="expansion failed")
    plan = planner.plan(roster(ALICE, BOB), (broken,), {}, Memory(), NOW)
    assert {a.person for a in plan.actions} == {BOB.email}
    assert any("alice@example.com" in w and "could not be read" in w for w in plan.warnings)


# --- follows_roster compares instants ----------------------------------------------------

def _follows_by_instants(found: Series, person: Person, now: dt.datetime) -> bool:
    """The definition: the roster's starts and the series' over the horizon, as instants."""
    since = max(now, found.start)
    wanted = planner.desired_starts(person, "Europe/Berlin",
                                    planner.anchor_for(person, found, now.date()), since)
    actual = cadence.expand(found.rrule, found.start, since, since + planner.HORIZON)
    return [w.astimezone(dt.UTC) for w in wanted] == [a.astimezone(dt.UTC) for a in actual]


@settings(max_examples=200, deadline=None)
@given(spec=st.sampled_from(("weekly", "biweekly", "monthly")),
       slot=st.sampled_from((dt.time(10, 0), dt.time(2, 30), dt.time(3, 30))),
       shown=st.sampled_from((BERLIN, dt.UTC, ZoneInfo("America/New_York"))),
       shift=st.sampled_from((0, 0, 60, 7 * 24 * 60)), fold=st.sampled_from((0, 1)),
       rule=st.sampled_from(("FREQ=WEEKLY;BYDAY=SU", "FREQ=WEEKLY;INTERVAL=2;BYDAY=SU",
                             "FREQ=MONTHLY;BYDAY=1SU", "FREQ=WEEKLY")),
       days=st.integers(0, 400))
def test_following_the_roster_is_judged_on_instants(
        spec: str, slot: dt.time, shown: dt.tzinfo, shift: int, fold: int, rule: str,
        days: int) -> None:
    # Sundays, through both DST changes: 02:30 is skipped in March and shown twice in October.
    person = Person("Alice Example", "alice@example.com", cadence.parse_cadence(spec),
                    Slot(6, slot, 1), dt.timedelta(minutes=45), start=dt.date(2026, 3, 1))
    first = (dt.datetime.combine(dt.date(2026, 3, 1), slot, BERLIN)
             + dt.timedelta(minutes=shift)).astimezone(shown).replace(fold=fold)
    found = series("s", "alice@example.com", rrule=rule, start=first)
    now = NOW - dt.timedelta(days=days)
    assert planner.follows_roster(found, person, "Europe/Berlin", now) == _follows_by_instants(
        found, person, now)
