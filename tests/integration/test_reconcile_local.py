"""End to end on the embedded default: local calendar folder + Markdown notes + SQLite state."""

from __future__ import annotations

import datetime as dt
import gc
from pathlib import Path

import icalendar
import pytest

from syncd.calendars.local import LocalCalendar
from syncd.config import load_config
from syncd.core import identity, planner
from syncd.core.model import Series
from syncd.reconcile import reconcile
from syncd.state import State
from tests.memory import MemoryNotes
from tests.workspace import DEMO, NOW, ROOT, Workspace, snapshot, syncd

PEOPLE = ("alice@example.com", "bob@example.com", "erin@example.com", "carol@example.com")


def read_calendar(folder: Path) -> tuple[Series, ...]:
    now = dt.datetime.fromisoformat(NOW)
    return LocalCalendar(folder, "Europe/Berlin").read(*planner.read_window(now))


def live_owned(folder: Path, email: str, now_text: str = NOW) -> list[Series]:
    now = dt.datetime.fromisoformat(now_text)
    key = identity.person_key(email)
    return [s for s in read_calendar(folder)
            if s.marker.startswith(key + "-") and planner.is_live(s, now)]


def overrides(path: Path) -> list[tuple[str, str, str]]:
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    return sorted((str(c["RECURRENCE-ID"].dt), str(c["DTSTART"].dt), str(c.get("STATUS")))
                  for c in cal.walk("VEVENT") if "RECURRENCE-ID" in c)


def test_make_run_plan_on_the_shipped_demo_shows_adopt_create_notes_and_warnings() -> None:
    before = snapshot(DEMO)
    run = syncd("reconcile", "--dry-run", "--config", str(ROOT / "config.example.yaml"),
                "--now", NOW)
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert any(line.split()[:2] == ["adopt-series", "alice@example.com"] for line in lines)
    for email in PEOPLE[1:]:
        assert any(line.split()[:2] == ["create-series", email] for line in lines)
    for kind in ("create-notes", "attach-notes", "prepare-notes"):
        assert sum(line.split()[0] == kind for line in lines if line.startswith("  ")) == 4
    assert any("frank@example.com" in line and line.startswith("warning:") for line in lines)
    # A dry run writes nothing: no state, no notes, calendar untouched.
    assert snapshot(DEMO) == before


def test_second_reconcile_plans_nothing(demo: Workspace) -> None:
    first = demo.syncd("reconcile")
    assert first.code == 0, first.out + first.err
    again = demo.syncd("reconcile", "--dry-run", "--json")
    assert again.code == 0
    assert again.json()["actions"] == []
    assert demo.syncd("reconcile").out.startswith("Nothing to do")


def test_json_plan_follows_the_contract(demo: Workspace) -> None:
    plan = demo.syncd("reconcile", "--dry-run", "--json").json()
    assert plan["dry_run"] is True and plan["read_only"] is False
    assert isinstance(plan["warnings"], list)
    create = next(a for a in plan["actions"]
                  if a["action"] == "create-series" and a["person"] == "bob@example.com")
    assert create["when"] == "2026-12-03T14:00:00+01:00"
    assert create["rrule"] == "FREQ=MONTHLY;BYDAY=1TH"


def test_handmade_series_is_adopted_and_the_persons_edits_survive(demo: Workspace) -> None:
    alice_file = demo.calendar / "alice-weekly.ics"
    edits_before = overrides(alice_file)
    others = {p: p.read_bytes() for p in demo.calendar.iterdir() if p != alice_file}
    assert demo.syncd("reconcile").code == 0
    # One series for Alice: the hand-made one, now carrying syncd's marker.
    owned = live_owned(demo.calendar, "alice@example.com")
    assert [s.uid for s in owned] == ["4f1c2a9e8b7d@google.com"]
    assert overrides(alice_file) == edits_before
    moved = [i for i in owned[0].instances if i.moved]
    assert [i.start.isoformat() for i in moved] == ["2026-12-16T11:30:00+01:00"]
    # The person's own title, video link and description are kept.
    master = owned[0]
    assert master.summary == "Alice / Dana weekly"
    assert "Bring whatever is on your mind." in master.description
    assert "https://meet.example.com/alice-dana" in alice_file.read_text()
    # Adopted and linked to the notes in one write: the master's SEQUENCE went 0 -> 1.
    assert master.notes_url == (demo.notes / "alice@example.com.md").resolve().as_uri()
    assert "SEQUENCE:1" in alice_file.read_text().split("RECURRENCE-ID")[0]
    # Events syncd does not own are byte-identical.
    assert {p: p.read_bytes() for p in others} == others
    for email in PEOPLE[1:]:
        assert len(live_owned(demo.calendar, email)) == 1


def test_notes_are_private_linked_and_prepared(demo: Workspace) -> None:
    assert demo.syncd("reconcile").code == 0
    note = demo.notes / "bob@example.com.md"
    assert note.stat().st_mode & 0o777 == 0o600
    assert "2026-12-03" in note.read_text()
    (bob,) = live_owned(demo.calendar, "bob@example.com")
    assert bob.notes_url == note.resolve().as_uri()
    log = demo.syncd("log")
    assert log.code == 0
    assert "create-series" in log.out and "bob@example.com" in log.out


def test_deleted_series_is_recreated_under_a_new_id_and_reported(demo: Workspace) -> None:
    assert demo.syncd("reconcile").code == 0
    (bob,) = live_owned(demo.calendar, "bob@example.com")
    next(p for p in demo.calendar.iterdir() if bob.uid in p.read_text()).unlink()
    run = demo.syncd("reconcile")
    assert run.code == 0
    assert any("deleted from the calendar" in line for line in run.out.splitlines())
    (again,) = live_owned(demo.calendar, "bob@example.com")
    assert again.uid == identity.series_uid("bob@example.com", 2)


def test_retiring_and_changing_slot_end_series_and_keep_history(demo: Workspace) -> None:
    assert demo.syncd("reconcile").code == 0
    (erin,) = live_owned(demo.calendar, "erin@example.com")
    config = demo.config.read_text()
    demo.config.write_text(
        config.replace("role: manager,", "role: manager, active: false,")
        .replace('cadence: monthly, slot: {day: thu, time: "14:00", week: 1}',
                 'cadence: monthly, slot: {day: fri, time: "14:00", week: 1}'))
    later = "2027-02-10T09:00:00+01:00"
    run = demo.syncd("reconcile", now=later)
    assert run.code == 0, run.out
    assert live_owned(demo.calendar, "erin@example.com", later) == []
    series = {s.uid: s for s in read_calendar(demo.calendar)}
    # History kept: Erin's series still holds its past instances.
    assert "UNTIL=" in series[erin.uid].rrule
    assert any(i.start.date() == dt.date(2026, 12, 10) for i in series[erin.uid].instances)
    bobs = [s for s in series.values() if s.marker.startswith(identity.person_key(
        "bob@example.com"))]
    assert len(bobs) == 2
    assert {("UNTIL=" in s.rrule) for s in bobs} == {True, False}


def test_plan_over_the_safety_limit_is_refused_without_force(demo: Workspace) -> None:
    many = "people:\n" + "".join(
        f"  - {{name: P{i}, email: p{i}@example.com, slot: {{day: mon, time: \"09:00\"}}}}\n"
        for i in range(21))
    demo.write_config(many)
    for path in demo.calendar.iterdir():
        path.unlink()
    refused = demo.syncd("reconcile")
    assert refused.code == 1
    assert "max_changes (20)" in refused.out and "--force" in refused.out
    assert list(demo.calendar.iterdir()) == []
    assert not demo.notes.exists()
    forced = demo.syncd("reconcile", "--force")
    assert forced.code == 0
    assert len(list(demo.calendar.iterdir())) == 21


def test_max_changes_comes_from_the_config(demo: Workspace) -> None:
    demo.write_config(extra="max_changes: 3\n")
    run = demo.syncd("reconcile")
    assert run.code == 1 and "max_changes (3)" in run.out


def test_lost_state_is_rebuilt_from_markers_without_duplicates(demo: Workspace) -> None:
    assert demo.syncd("reconcile").code == 0
    calendar_before = snapshot(demo.calendar)
    for path in demo.state.iterdir():
        path.unlink()
    demo.state.rmdir()
    run = demo.syncd("reconcile", "--json")
    assert run.code == 0, run.out
    result = run.json()
    assert result["actions"] == []
    assert len(result["recovered"]) == 4
    assert snapshot(demo.calendar) == calendar_before
    assert "recover-series" in demo.syncd("log").out
    # Ownership is whole again: retiring someone ends their series.
    demo.config.write_text(demo.config.read_text().replace(
        "email: bob@example.com,", "email: bob@example.com, active: false,"))
    retire = demo.syncd("reconcile", "--json").json()
    assert [(a["action"], a["person"]) for a in retire["actions"]] == [
        ("end-series", "bob@example.com")]
    assert "status" in retire["actions"][0] and retire["actions"][0]["status"] == "done"


def test_make_run_shows_a_plan_that_does_not_depend_on_the_clock_and_no_raw_uids() -> None:
    recipe = next(line.strip() for line in (ROOT / "Makefile").read_text().splitlines()
                  if "syncd reconcile --dry-run" in line and not line.strip().startswith("@"))
    args = recipe.split("syncd", 1)[1].split()
    assert "--now" in args  # the same plan today and next year
    run = syncd(*[str(ROOT / a) if a.endswith(".yaml") else a for a in args])
    assert run.code == 0, run.err
    assert "attach notes link to the 1:1 series" in run.out
    assert "@syncd" not in run.out and "@google.com" not in run.out


class _Exploding:
    """A calendar whose read fails as no calendar should (not a CalendarError)."""

    name = "exploding calendar"

    def read(self, start: dt.datetime, end: dt.datetime) -> tuple[Series, ...]:
        raise RuntimeError("disk on fire")


def test_a_run_leaves_the_garbage_collector_on(demo: Workspace) -> None:
    """Reconcile pauses automatic garbage collection while it runs (it builds much and frees
    little); a daemon running it for months must have it back after every run, also after
    one that failed."""
    assert gc.isenabled()
    assert demo.syncd("reconcile").code == 0
    assert gc.isenabled()
    config = load_config(demo.config)
    state = State.open(demo.state)
    try:
        with pytest.raises(RuntimeError, match="disk on fire"):
            reconcile(config, state, dt.datetime.fromisoformat(NOW), dry_run=True, force=False,
                      calendar=_Exploding(), notes=MemoryNotes())
    finally:
        state.close()
    assert gc.isenabled()
