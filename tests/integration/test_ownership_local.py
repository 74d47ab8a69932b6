"""Ownership on the local calendar (issue 11): what syncd may treat as its own, and what it
must leave to the people who edit their calendar — copies, look-alikes under a known UID,
empty reads, series someone else organizes, renames, whole-series moves, a clock that steps
back. Each test drives the real CLI over a copy of the demo."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import icalendar

from syncd.core import identity
from tests.integration.test_reconcile_local import live_owned, overrides, read_calendar
from tests.workspace import NOW, Workspace, snapshot

BOB = "bob@example.com"


def file_of(demo: Workspace, uid: str) -> Path:
    (path,) = [p for p in demo.calendar.iterdir() if uid.encode() in p.read_bytes()]
    return path


def edit_master(path: Path, uid: str, change: Callable[[icalendar.cal.Component], None]) -> None:
    """Change a series' master VEVENT as a calendar app does, in place."""
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    (master,) = [c for c in calendar.walk("VEVENT")
                 if str(c["UID"]) == uid and "RECURRENCE-ID" not in c]
    change(master)
    path.write_bytes(calendar.to_ical())


def replace_prop(event: icalendar.cal.Component, name: str, value: object,
                 **params: str) -> None:
    event.pop(name, None)
    event.add(name, value, parameters=params or None)


def bob_series(demo: Workspace) -> tuple[str, Path]:
    (bob,) = live_owned(demo.calendar, BOB)
    return bob.uid, file_of(demo, bob.uid)


# --- empty and shrunken reads --------------------------------------------------------------


def test_an_emptied_calendar_folder_is_refused_and_nothing_is_written(demo: Workspace) -> None:
    assert demo.syncd("reconcile").code == 0
    saved = demo.root / "saved"
    shutil.move(demo.calendar, saved)
    demo.calendar.mkdir()  # an unmounted share: the folder is there, its files are not
    state, notes = snapshot(demo.state), snapshot(demo.notes)
    run = demo.syncd("reconcile")
    assert run.code == 1
    assert "read 0 events and none of the 4 series" in run.out and "--force" in run.out
    assert list(demo.calendar.iterdir()) == []
    assert snapshot(demo.notes) == notes
    assert snapshot(demo.state) == state  # history and ownership untouched
    # The files come back: every person still has exactly one series, nothing to do.
    shutil.rmtree(demo.calendar)
    shutil.move(saved, demo.calendar)
    again = demo.syncd("reconcile")
    assert again.code == 0 and again.out.startswith("Nothing to do"), again.out
    for email in ("alice@example.com", BOB, "erin@example.com", "carol@example.com"):
        assert len(live_owned(demo.calendar, email)) == 1


def test_recreations_count_in_the_safety_limit(demo: Workspace) -> None:
    assert demo.syncd("reconcile").code == 0
    # Three of four series gone while the calendar still holds others: more than half.
    for email in (BOB, "erin@example.com", "carol@example.com"):
        (series,) = live_owned(demo.calendar, email)
        file_of(demo, series.uid).unlink()
    run = demo.syncd("reconcile")
    assert run.code == 1 and "ends or recreates 3 of 4 series" in run.out
    assert demo.syncd("reconcile", "--force").code == 0
    assert len(live_owned(demo.calendar, BOB)) == 1


# --- ownership is proven -------------------------------------------------------------------


def test_a_copied_event_keeps_the_marker_but_is_never_written(demo: Workspace) -> None:
    assert demo.syncd("reconcile").code == 0
    uid, path = bob_series(demo)
    copy = demo.calendar / "bob-design-review.ics"
    # A calendar app duplicates Bob's 1:1: a new UID, the X-SYNCD-ID line copied along.
    copy.write_bytes(path.read_bytes().replace(uid.encode(), b"copy-of-bob@app.example")
                     .replace(b"SUMMARY:1:1 Bob Example / Dana Lead",
                              b"SUMMARY:Bob design review"))
    copied, original = copy.read_bytes(), path.read_bytes()
    run = demo.syncd("reconcile", "--json")
    assert run.code == 0, run.out
    result = run.json()
    assert result["actions"] == []
    copies = [w for w in result["warnings"] if "is a copy of syncd's 1:1 series" in w]
    assert len(copies) == 1 and uid in copies[0] and "delete the copy" in copies[0]
    assert copy.read_bytes() == copied and path.read_bytes() == original
    assert [s.uid for s in live_owned(demo.calendar, BOB)] == [uid, "copy-of-bob@app.example"]


def test_an_event_replaced_under_a_known_uid_is_left_alone(demo: Workspace) -> None:
    assert demo.syncd("reconcile").code == 0
    uid, path = bob_series(demo)

    def team_planning(event: icalendar.cal.Component) -> None:
        event.pop("X-SYNCD-ID")
        event.pop("ATTENDEE")
        for who in ("dana@example.com", BOB, "frank@example.com"):
            event.add("ATTENDEE", f"mailto:{who}")
        replace_prop(event, "SUMMARY", "Team planning")
        replace_prop(event, "DTSTART", dt.datetime(2026, 12, 7, 9, 0), TZID="Europe/Berlin")
        replace_prop(event, "DTEND", dt.datetime(2026, 12, 7, 10, 0), TZID="Europe/Berlin")
        replace_prop(event, "RRULE", icalendar.vRecur.from_ical("FREQ=WEEKLY;BYDAY=MO"))

    edit_master(path, uid, team_planning)
    replaced = path.read_bytes()
    run = demo.syncd("reconcile", "--json")
    assert run.code == 0, run.out
    result = run.json()
    assert path.read_bytes() == replaced
    assert not any(a["action"] == "end-series" for a in result["actions"])
    assert any(uid in w and "no longer the 1:1 syncd wrote" in w for w in result["warnings"])
    # Bob's 1:1 itself is gone from that event, so the roster's one is made again.
    (again,) = live_owned(demo.calendar, BOB)
    assert again.uid == identity.series_uid(BOB, 2)


def test_lost_state_with_a_copy_keeps_the_original(demo: Workspace) -> None:
    assert demo.syncd("reconcile").code == 0
    uid, path = bob_series(demo)
    copy = demo.calendar / "bob-copy.ics"
    copy.write_bytes(path.read_bytes().replace(uid.encode(), b"copy-of-bob@app.example"))
    shutil.rmtree(demo.state)
    before = snapshot(demo.calendar)
    run = demo.syncd("reconcile", "--json")
    assert run.code == 0, run.out
    result = run.json()
    assert result["actions"] == [] and len(result["recovered"]) == 4
    assert uid in result["recovered"]
    assert snapshot(demo.calendar) == before


# --- one rule for the person's 1:1 ---------------------------------------------------------


def test_a_series_found_by_its_title_is_adopted_not_duplicated(demo: Workspace) -> None:
    text = demo.config.read_text().replace(
        "email: bob@example.com,", "email: bob@example.com, match: {title: '^Bob sync'},")
    demo.config.write_text(text)
    (demo.calendar / "bob-sync.ics").write_bytes(
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//A calendar app//EN\r\n"
        b"BEGIN:VEVENT\r\nUID:bob-sync@app.example\r\nDTSTAMP:20261001T000000Z\r\n"
        b"DTSTART;TZID=Europe/Berlin:20260903T140000\r\n"
        b"DTEND;TZID=Europe/Berlin:20260903T144500\r\n"
        b"RRULE:FREQ=MONTHLY;BYDAY=1TH\r\nSUMMARY:Bob sync\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR\r\n")
    status = demo.syncd("status", "--json").json()
    bob = next(p for p in status["people"] if p["email"] == BOB)
    assert bob["last_held"] is not None  # status counts the series as Bob's 1:1
    run = demo.syncd("reconcile", "--json")
    assert run.code == 0, run.out
    kinds = [(a["action"], a["series"]) for a in run.json()["actions"] if a["person"] == BOB]
    assert ("adopt-series", "bob-sync@app.example") in kinds
    assert not any(kind == "create-series" for kind, _ in kinds)
    assert [s.uid for s in live_owned(demo.calendar, BOB)] == ["bob-sync@app.example"]


# --- the person's edits win ----------------------------------------------------------------


def test_a_title_the_person_gave_a_created_series_is_kept(demo: Workspace) -> None:
    assert demo.syncd("reconcile").code == 0
    uid, path = bob_series(demo)
    edit_master(path, uid, lambda e: replace_prop(e, "SUMMARY", "Bob & Dana: roadmap"))
    run = demo.syncd("reconcile")
    assert run.code == 0 and run.out.startswith("Nothing to do"), run.out
    (bob,) = live_owned(demo.calendar, BOB)
    assert bob.summary == "Bob & Dana: roadmap"


def test_a_roster_rename_still_retitles_a_title_syncd_wrote(demo: Workspace) -> None:
    assert demo.syncd("reconcile").code == 0
    demo.config.write_text(demo.config.read_text().replace("Bob Example", "Robert Example"))
    assert demo.syncd("reconcile").code == 0
    (bob,) = live_owned(demo.calendar, BOB)
    assert bob.summary == "1:1 Robert Example / Dana Lead"


def test_a_whole_series_move_by_the_person_is_kept_and_the_roster_line_named(
    demo: Workspace,
) -> None:
    assert demo.syncd("reconcile").code == 0
    uid, path = bob_series(demo)

    def to_friday(event: icalendar.cal.Component) -> None:
        replace_prop(event, "DTSTART", dt.datetime(2026, 12, 4, 15, 0), TZID="Europe/Berlin")
        replace_prop(event, "DTEND", dt.datetime(2026, 12, 4, 15, 45), TZID="Europe/Berlin")
        replace_prop(event, "RRULE", icalendar.vRecur.from_ical("FREQ=MONTHLY;BYDAY=1FR"))

    edit_master(path, uid, to_friday)
    moved = path.read_bytes()
    run = demo.syncd("reconcile", "--json")
    assert run.code == 0, run.out
    result = run.json()
    assert [a for a in result["actions"]
            if a["person"] == BOB and a["action"].endswith("-series")] == []
    assert path.read_bytes() == moved
    (warning,) = [w for w in result["warnings"] if "moved by hand" in w]
    line = next(n for n, text in enumerate(demo.config.read_text().splitlines(), 1)
                if "bob@example.com" in text)
    assert f"{demo.config}:{line}" in warning and "Thu 14:00" in warning
    # The person then follows the warning: the roster now agrees, and stays agreed.
    demo.config.write_text(demo.config.read_text().replace(
        'slot: {day: thu, time: "14:00", week: 1}', 'slot: {day: fri, time: "15:00", week: 1}'))
    assert demo.syncd("reconcile").code == 0
    assert demo.syncd("reconcile").out.startswith("Nothing to do")
    assert [s.uid for s in live_owned(demo.calendar, BOB)] == [uid]


# --- series someone else organizes ---------------------------------------------------------


def test_a_series_the_manager_organizes_is_classified_prepared_and_never_written(
    demo: Workspace,
) -> None:
    erin = demo.calendar / "erin-organizes.ics"
    erin.write_bytes(
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//A calendar app//EN\r\n"
        b"BEGIN:VEVENT\r\nUID:erin-1on1@example.org\r\nDTSTAMP:20261001T000000Z\r\n"
        b"DTSTART;TZID=Europe/Berlin:20260903T160000\r\n"
        b"DTEND;TZID=Europe/Berlin:20260903T170000\r\n"
        b"RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TH\r\nSUMMARY:Erin / Dana\r\n"
        b"ORGANIZER:mailto:erin@example.com\r\n"
        b"ATTENDEE;PARTSTAT=ACCEPTED:mailto:erin@example.com\r\n"
        b"ATTENDEE;PARTSTAT=ACCEPTED:mailto:dana@example.com\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR\r\n")
    before = erin.read_bytes()
    run = demo.syncd("reconcile", "--json")
    assert run.code == 0, run.out
    result = run.json()
    mine = [a["action"] for a in result["actions"] if a["person"] == "erin@example.com"]
    assert mine == ["create-notes", "prepare-notes"]
    assert erin.read_bytes() == before
    assert live_owned(demo.calendar, "erin@example.com") == []
    (warning,) = [w for w in result["warnings"] if "erin-1on1@example.org" in w]
    assert "organized by erin@example.com" in warning and "lasts 60 min" in warning
    assert "2026-11-26" in (demo.notes / "erin@example.com.md").read_text()


# --- the clock -----------------------------------------------------------------------------


def test_a_clock_stepping_back_after_a_roster_change_ends_and_creates_nothing(
    demo: Workspace,
) -> None:
    erin = "erin@example.com"
    assert demo.syncd("reconcile").code == 0
    demo.config.write_text(demo.config.read_text().replace(
        'slot: {day: thu, time: "16:00"}', 'slot: {day: fri, time: "16:00"}'))
    assert demo.syncd("reconcile").code == 0
    (new,) = live_owned(demo.calendar, erin)
    assert new.uid == identity.series_uid(erin, 2)
    before = snapshot(demo.calendar)
    # Two weeks back: the old series has occurrences ahead again, the new one has not started.
    earlier = (dt.datetime.fromisoformat(NOW) - dt.timedelta(days=14)).isoformat()
    run = demo.syncd("reconcile", "--json", now=earlier)
    assert run.code == 0, run.out
    assert [a for a in run.json()["actions"]
            if a["person"] == erin and a["action"].endswith("-series")] == []
    assert snapshot(demo.calendar) == before
    assert not any("live series" in w for w in run.json()["warnings"])


# --- a read-only feed and its export ------------------------------------------------------


def test_an_imported_export_is_recognised_and_an_emptied_feed_refused(demo: Workspace) -> None:
    feed = demo.root / "feed.ics"
    shutil.copy(demo.calendar / "alice-weekly.ics", feed)
    demo.config.write_text(demo.config.read_text().replace(
        "{kind: local, path: calendar}", "{kind: ics, path: feed.ics}"))
    assert demo.syncd("reconcile").code == 0
    export = demo.root / "export.ics"
    run = demo.syncd("export", "--output", str(export))
    assert run.code == 0 and "3 series" in run.out
    assert "alice@example.com: already on the calendar" in run.out
    # The person imports the export: their calendar (the feed) now holds it too.
    imported = icalendar.Calendar.from_ical(feed.read_bytes())
    for event in icalendar.Calendar.from_ical(export.read_bytes()).walk("VEVENT"):
        imported.add_component(event)
    feed.write_bytes(imported.to_ical())
    again = demo.syncd("reconcile", "--json")
    assert again.code == 0, again.out
    result = again.json()
    assert [a["person"] for a in result["actions"] if a["action"] == "create-series"] == []
    assert len(result["recovered"]) == 3
    assert not any("live series" in w or "copy" in w for w in result["warnings"])
    # The feed then answers an empty calendar: refused, history and state untouched.
    state = snapshot(demo.state)
    feed.write_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nEND:VCALENDAR\r\n")
    empty = demo.syncd("reconcile")
    assert empty.code == 1 and "none of the 3 series" in empty.out and "--force" in empty.out
    assert snapshot(demo.state) == state


# --- the roster changes a slot the person rearranged meetings on --------------------------


def test_a_roster_slot_change_waits_for_the_meetings_the_person_rearranged(demo: Workspace) -> None:
    alice = "alice@example.com"
    assert demo.syncd("reconcile").code == 0
    path = demo.calendar / "alice-weekly.ics"
    edits = overrides(path)
    demo.config.write_text(demo.config.read_text().replace(
        'slot: {day: tue, time: "10:00"}', 'slot: {day: wed, time: "10:00"}'))
    run = demo.syncd("reconcile", "--json")
    assert run.code == 0, run.out
    result = run.json()
    # Cancelled Dec 8, moved Dec 15 → 16, Dec 29 removed: all kept, on a series that now
    # ends with the last of them; no second series meanwhile.
    assert [a["action"] for a in result["actions"]
            if a["person"] == alice and a["action"].endswith("-series")] == ["end-series"]
    assert overrides(path) == edits
    (series,) = [s for s in read_calendar(demo.calendar) if s.uid == "4f1c2a9e8b7d@google.com"]
    assert "UNTIL=20261229T090000Z" in series.rrule
    assert [i.start.date().isoformat() for i in series.instances if i.start.date().month == 12
            and i.status != "CANCELLED"] == ["2026-12-01", "2026-12-16", "2026-12-22"]
    assert len(live_owned(demo.calendar, alice)) == 1
    waiting = demo.syncd("reconcile", "--json", now="2026-12-10T09:00:00+01:00").json()
    assert [a for a in waiting["actions"] if a["action"].endswith("-series")] == []
    assert any("new slot starts after" in line for line in waiting["info"])
    # Once they have passed, the new slot begins the week after the last one.
    later = "2026-12-29T12:00:00+01:00"
    assert demo.syncd("reconcile", now=later).code == 0
    (new,) = live_owned(demo.calendar, alice, later)
    assert new.uid == identity.series_uid(alice, 2)
    assert new.start.isoformat() == "2027-01-06T10:00:00+01:00"
