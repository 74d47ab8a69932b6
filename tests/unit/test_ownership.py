"""The planner's ownership rules (issue 11), in-process: proven ownership, copies, replaced
events, empty reads, the person's edits, series someone else organizes, the clock."""

from __future__ import annotations

import dataclasses
import datetime as dt

from syncd.core import identity, planner
from syncd.core.model import Attendee, Memory, OwnedSeries, Series
from tests.unit.test_planner import ALICE, BERLIN, BOB, NOW, kinds, roster, series

MARKER = identity.marker(ALICE.email, 1)
UID = identity.series_uid(ALICE.email, 1)


def owned_alice(**changes: object) -> Series:
    made = dataclasses.replace(series(UID, ALICE.email, marker=MARKER),
                               summary="1:1 Alice Example / Dana Lead")
    return dataclasses.replace(made, **changes)  # type: ignore[arg-type]


def remembered(*found: Series) -> Memory:
    """State as syncd leaves it after writing these series."""
    return Memory(
        series=tuple(OwnedSeries(s.uid, ALICE.email, 1, "created") for s in found),
        written={s.uid: planner.written_of(s).text() for s in found})


def test_written_identity_ignores_rule_order_until_and_case() -> None:
    one = identity.written(["Dana@example.com", "alice@example.com"], "T", NOW, "Europe/Berlin",
                           "FREQ=WEEKLY;BYDAY=TU")
    two = identity.written(["alice@example.com", "dana@example.com"], "T", NOW, "Europe/Berlin",
                           "BYDAY=TU;FREQ=WEEKLY;UNTIL=20270101T000000Z")
    assert one == two and identity.Written.parse(one.text()) == one
    assert identity.Written.parse("nonsense") is None
    moved = identity.written([], "T", NOW + dt.timedelta(hours=1), "Europe/Berlin", "")
    assert one.changed(moved) == ("people", "slot")


def test_a_copy_with_the_marker_is_reported_and_never_written() -> None:
    original = owned_alice()
    copy = owned_alice(uid="copy@app.example", summary="Alice design review")
    plan = planner.plan(roster(ALICE), (copy, original), None, remembered(original), NOW)
    assert plan.actions == ()
    (warning,) = [w for w in plan.warnings if "copy" in w]
    assert "copy@app.example" in warning and UID in warning
    # With no state at all, the UID syncd gives what it creates still tells them apart.
    plan = planner.plan(roster(ALICE), (copy, original), None, Memory(), NOW)
    assert plan.actions == () and [r.uid for r in plan.recovered] == [UID]


def test_a_replaced_event_under_a_known_uid_is_left_and_the_one_to_one_made_again() -> None:
    original = owned_alice()
    replaced = owned_alice(
        summary="Team planning", start=dt.datetime(2026, 9, 7, 9, 0, tzinfo=BERLIN),
        end=dt.datetime(2026, 9, 7, 10, 0, tzinfo=BERLIN), rrule="FREQ=WEEKLY;BYDAY=MO",
        attendees=(Attendee("dana@example.com"), Attendee(ALICE.email),
                   Attendee("frank@example.com")))
    plan = planner.plan(roster(ALICE), (replaced,), None, remembered(original), NOW)
    assert kinds(plan) == ["create-series"]
    assert plan.actions[0].replaces == UID
    assert any("no longer the 1:1 syncd wrote" in w for w in plan.warnings)
    # A marker gone from a known uid is the same: it is no longer syncd's to write.
    unmarked = dataclasses.replace(replaced, marker="")
    assert kinds(planner.plan(roster(ALICE), (unmarked,), None, remembered(original),
                              NOW)) == ["create-series"]


def test_an_empty_read_is_suspicious_only_when_every_owned_series_is_gone() -> None:
    alice, bob = owned_alice(), series("b@syncd", BOB.email, marker=identity.marker(BOB.email, 1))
    memory = Memory(series=(OwnedSeries(alice.uid, ALICE.email, 1, "created"),
                            OwnedSeries(bob.uid, BOB.email, 1, "created")))
    empty = planner.plan(roster(ALICE, BOB), (), None, memory, NOW)
    assert "none of the 2 series" in (planner.refusal(empty, 20) or "")
    one_left = planner.plan(roster(ALICE, BOB), (alice,), None, memory, NOW)
    assert one_left.suspicious == ""
    # One series deleted from a calendar that holds other events is a deletion, not a bad read.
    single = Memory(series=memory.series[:1])
    other = series("team", "frank@example.com")
    assert planner.plan(roster(ALICE), (other,), None, single, NOW).suspicious == ""
    assert planner.plan(roster(ALICE), (), None, single, NOW).suspicious != ""


def test_a_persons_title_is_kept_and_a_roster_rename_changes_only_syncds_title() -> None:
    original = owned_alice()
    retitled = owned_alice(summary="Alice & Dana: roadmap")
    renamed = dataclasses.replace(ALICE, name="Alice Renamed")
    assert planner.plan(roster(renamed), (retitled,), None, remembered(original),
                        NOW).actions == ()
    plan = planner.plan(roster(renamed), (original,), None, remembered(original), NOW)
    assert kinds(plan) == ["update-series"]
    assert plan.actions[0].written and identity.Written.parse(plan.actions[0].written)


def test_a_whole_series_move_is_kept_with_a_warning_naming_the_roster_line() -> None:
    original = owned_alice()
    moved = owned_alice(start=dt.datetime(2026, 9, 4, 15, 0, tzinfo=BERLIN),
                        end=dt.datetime(2026, 9, 4, 15, 45, tzinfo=BERLIN),
                        rrule="FREQ=WEEKLY;BYDAY=FR")
    plan = planner.plan(roster(ALICE), (moved,), None, remembered(original), NOW,
                        {ALICE.email: "config.yaml:9"})
    assert kinds(plan) == []
    (warning,) = plan.warnings
    assert "moved by hand" in warning and "config.yaml:9" in warning and "Tue 10:00" in warning
    # When the roster then says the same, the new slot becomes the one syncd keeps.
    agreed = dataclasses.replace(ALICE, slot=dataclasses.replace(ALICE.slot, day=4,
                                                                 time=dt.time(15, 0)))
    plan = planner.plan(roster(agreed), (moved,), None, remembered(original), NOW)
    assert plan.actions == () and plan.written == ((UID, planner.written_of(moved).text()),)


def test_a_series_someone_else_organizes_is_never_adopted_updated_or_ended() -> None:
    theirs = dataclasses.replace(series("theirs", ALICE.email, minutes=60),
                                 organizer=ALICE.email)
    plan = planner.plan(roster(ALICE), (theirs,), {}, Memory(), NOW)
    assert kinds(plan) == ["create-notes", "prepare-notes"]
    assert any("organized by alice@example.com" in w and "lasts 60 min" in w
               for w in plan.warnings)
    google = dataclasses.replace(theirs, private_props=True)
    assert "attach-notes" in kinds(planner.plan(roster(ALICE), (google,), {}, Memory(), NOW))
    adopted = dataclasses.replace(theirs, marker=MARKER)
    retired = dataclasses.replace(ALICE, active=False)
    plan = planner.plan(roster(retired), (adopted,), None, Memory(), NOW)
    assert plan.actions == () and any("only they may end it" in w for w in plan.warnings)


def test_an_ended_generation_stays_ended_when_the_clock_steps_back() -> None:
    old = owned_alice(rrule="FREQ=WEEKLY;BYDAY=TU;UNTIL=20261125T080000Z")
    new_uid = identity.series_uid(ALICE.email, 2)
    wed = dataclasses.replace(ALICE, slot=dataclasses.replace(ALICE.slot, day=2))
    new = dataclasses.replace(
        series(new_uid, ALICE.email, marker=identity.marker(ALICE.email, 2),
               rrule="FREQ=WEEKLY;BYDAY=WE",
               start=dt.datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN)),
        summary=old.summary)
    memory = Memory(series=(OwnedSeries(old.uid, ALICE.email, 1, "created", "ended"),
                            OwnedSeries(new_uid, ALICE.email, 2, "created")))
    plan = planner.plan(roster(wed), (old, new), None, memory, NOW - dt.timedelta(days=7))
    assert plan.actions == () and plan.warnings == ()


def test_a_moved_series_stays_the_persons_after_syncd_sets_the_rosters_duration() -> None:
    original = owned_alice()
    moved = owned_alice(start=dt.datetime(2026, 9, 1, 11, 0, tzinfo=BERLIN),
                        end=dt.datetime(2026, 9, 1, 11, 30, tzinfo=BERLIN))
    plan = planner.plan(roster(ALICE), (moved,), None, remembered(original), NOW)
    (update,) = plan.actions
    assert update.kind == "update-series" and update.patch is not None
    assert update.patch.duration == ALICE.duration
    after = dataclasses.replace(moved, end=moved.start + ALICE.duration)
    memory = dataclasses.replace(remembered(original), written={UID: update.written})
    again = planner.plan(roster(ALICE), (after,), None, memory, NOW)
    assert again.actions == () and any("moved by hand" in w for w in again.warnings)
