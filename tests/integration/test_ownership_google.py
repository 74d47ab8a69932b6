"""Ownership on Google Calendar (issue 11), the real client against the emulator: an emptied
calendar, a copied event, a series found by its title, a person's title and whole-series
move, a series someone else organizes (a real recorded event), a clock that steps back."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from syncd.calendars.google import MARKER_KEY, NOTES_KEY
from syncd.core import identity
from tests.emulator import Emulator, running_emulator
from tests.integration.gdemo import PEOPLE, GoogleDemo
from tests.workspace import syncd

ROOT = Path(__file__).resolve().parents[2]
RECORDED = ROOT / "tests" / "data" / "google-recorded"
BOB = PEOPLE[1]


def _private(event: dict[str, Any]) -> dict[str, str]:
    private: dict[str, str] = event.get("extendedProperties", {}).get("private", {})
    return private


def _live_of(g: GoogleDemo, email: str) -> list[dict[str, Any]]:
    key = identity.person_key(email) + "-"
    return [e for e in g.masters() if _private(e).get(MARKER_KEY, "").startswith(key)
            and not any("UNTIL=" in r for r in e.get("recurrence", []))]


def test_an_emptied_google_calendar_is_refused_and_nothing_is_written(g: GoogleDemo) -> None:
    assert g.syncd("reconcile").code == 0
    calendar = g.calendar()
    for event in g.masters():
        calendar.events().delete(calendarId="primary", eventId=event["id"]).execute()
    mark = len(g.emu.requests())
    run = g.syncd("reconcile")
    assert run.code == 1
    assert "none of the 4 series syncd kept there" in run.out and "--force" in run.out
    assert g.writes_since(mark) == []
    assert g.masters() == []


def test_a_copied_google_event_is_never_written(g: GoogleDemo) -> None:
    assert g.syncd("reconcile").code == 0
    (bob,) = _live_of(g, BOB)
    body = {k: copy.deepcopy(v) for k, v in bob.items()
            if k in ("summary", "start", "end", "recurrence", "attendees", "extendedProperties")}
    body["summary"] = "Bob design review"
    made = g.calendar().events().insert(calendarId="primary", body=body).execute()
    mark = len(g.emu.requests())
    run = g.syncd("reconcile", "--json")
    assert run.code == 0, run.out
    assert run.json()["actions"] == []
    assert any(made["id"] in w and "is a copy" in w for w in run.json()["warnings"]), run.out
    assert g.writes_since(mark) == []


def test_a_google_series_found_by_its_title_is_adopted(g: GoogleDemo) -> None:
    text = g.config.read_text().replace(
        "email: bob@example.com,", "email: bob@example.com, match: {title: '^Bob sync'},")
    g.config.write_text(text)
    made = g.calendar().events().insert(calendarId="primary", body={
        "summary": "Bob sync",
        "start": {"dateTime": "2026-09-03T14:00:00+02:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2026-09-03T14:45:00+02:00", "timeZone": "Europe/Berlin"},
        "recurrence": ["RRULE:FREQ=MONTHLY;BYDAY=1TH"],
    }).execute()
    run = g.syncd("reconcile", "--json")
    assert run.code == 0, run.out
    bob = [(a["action"], a["series"]) for a in run.json()["actions"] if a["person"] == BOB]
    assert ("adopt-series", made["id"] + "@google.com") in bob
    assert [e["id"] for e in _live_of(g, BOB)] == [made["id"]]


def test_a_title_and_a_whole_series_move_the_person_made_are_kept(g: GoogleDemo) -> None:
    assert g.syncd("reconcile").code == 0
    (bob,) = _live_of(g, BOB)
    g.calendar().events().patch(calendarId="primary", eventId=bob["id"], body={
        "summary": "Bob & Dana: roadmap",
        "start": {"dateTime": "2026-12-04T15:00:00+01:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2026-12-04T15:45:00+01:00", "timeZone": "Europe/Berlin"},
        "recurrence": ["RRULE:FREQ=MONTHLY;BYDAY=1FR"],
    }).execute()
    mark = len(g.emu.requests())
    run = g.syncd("reconcile", "--json")
    assert run.code == 0, run.out
    assert [a for a in run.json()["actions"] if a["action"].endswith("-series")] == []
    assert any("moved by hand" in w and "Thu 14:00" in w for w in run.json()["warnings"])
    assert [w for w in g.writes_since(mark) if w[1].startswith("/calendar/")] == []
    (after,) = _live_of(g, BOB)
    assert after["summary"] == "Bob & Dana: roadmap"


def test_a_clock_stepping_back_on_google_ends_and_creates_nothing(g: GoogleDemo) -> None:
    alice = PEOPLE[0]
    assert g.syncd("reconcile").code == 0
    g.config.write_text(g.config.read_text().replace(
        'slot: {day: tue, time: "10:00"}', 'slot: {day: wed, time: "10:00"}'))
    assert g.syncd("reconcile").code == 0
    mark = len(g.emu.requests())
    run = g.syncd("reconcile", "--json", now="2026-11-18T09:00:00+01:00")
    assert run.code == 0, run.out
    assert [a for a in run.json()["actions"]
            if a["person"] == alice and a["action"].endswith("-series")] == []
    assert [w for w in g.writes_since(mark) if w[1].startswith("/calendar/")] == []
    assert len(_live_of(g, alice)) == 1


# --- a series someone else organizes: a real recorded event ----------------------------------

NYLAS_NOW = "2014-06-25T09:00:00-07:00"


@pytest.fixture
def invitee(tmp_path: Path) -> Iterator[tuple[Emulator, Path]]:
    """The nylas/sync-engine recorded weekly series the other person organizes, seeded as
    recorded (tests/data/google-recorded/SOURCES.md), and a roster for the lead."""
    seed = json.loads((RECORDED / "nylas-invitee-seed.json").read_text())
    with running_emulator(owner=seed["owner"], time_zone=seed["timeZone"]) as emu:
        emu.seed(seed)
        config = tmp_path / "config.yaml"
        config.write_text(
            "owner: {name: Owner, email: mitoc-bod@mit.edu}\n"
            "timezone: America/Los_Angeles\n"
            f"calendar: {{kind: google, api_endpoint: '{emu.url}'}}\n"
            f"notes: {{kind: google-docs, api_endpoint: '{emu.url}'}}\n"
            "google: {credentials: anonymous}\n"
            f"state_dir: {tmp_path / 'state'}\n"
            "people:\n"
            "  - {name: Eben Freeman, email: freemaneben@gmail.com, role: manager, "
            "cadence: weekly, start: 2012-10-15, duration: 45m, "
            "slot: {day: mon, time: \"17:00\"}}\n")
        yield emu, config


def test_a_recorded_series_the_manager_organizes_gets_notes_and_no_shared_change(
    invitee: tuple[Emulator, Path],
) -> None:
    emu, config = invitee
    (before,) = emu.state()["calendars"][0]["events"]
    run = syncd("reconcile", "--json", "--config", str(config), "--now", NYLAS_NOW)
    assert run.code == 0, run.out + run.err
    result = run.json()
    kinds = [a["action"] for a in result["actions"]]
    assert kinds == ["create-notes", "attach-notes", "prepare-notes"]
    (warning,) = [w for w in result["warnings"] if "tn7krk4cekt8ag3pk6gapqqbro" in w]
    assert "organized by freemaneben@gmail.com" in warning
    assert "lasts 60 min, the roster says 45" in warning
    assert all(r["status"] != 403 for r in emu.requests())
    (after,) = emu.state()["calendars"][0]["events"]
    # Only the lead's private copy got the link; every shared field is as recorded.
    shared = ("summary", "start", "end", "recurrence", "attendees", "attachments")
    assert {k: after.get(k) for k in shared} == {k: before.get(k) for k in shared}
    assert after["extendedProperties"]["private"][NOTES_KEY].startswith("https://docs.google")
    (doc,) = [f for f in emu.state()["files"] if not f.get("trashed")]
    assert "2014-06-30" in emu.state()["docs"][doc["id"]]["text"]
    again = syncd("reconcile", "--config", str(config), "--now", NYLAS_NOW)
    assert again.code == 0 and "Nothing to do" in again.out


def test_the_emulator_refuses_a_non_organizer_change_of_shared_fields(
    invitee: tuple[Emulator, Path],
) -> None:
    emu, _ = invitee
    events = build("calendar", "v3", credentials=AnonymousCredentials(), static_discovery=True,
                   client_options={"api_endpoint": emu.calendar_endpoint}).events()
    ident = "tn7krk4cekt8ag3pk6gapqqbro"
    with pytest.raises(HttpError) as refused:
        events.patch(calendarId="primary", eventId=ident, body={
            "end": {"dateTime": "2012-10-15T17:45:00-07:00",
                    "timeZone": "America/Los_Angeles"}}).execute()
    assert refused.value.resp.status == 403
    assert "forbiddenForNonOrganizer" in refused.value.content.decode()
    with pytest.raises(HttpError):
        events.patch(calendarId="primary", eventId=ident, supportsAttachments=True, body={
            "attachments": [{"fileUrl": "https://docs.google.com/document/d/x/edit"}]}).execute()
    done = events.patch(calendarId="primary", eventId=ident, body={
        "extendedProperties": {"private": {"mine": "yes"}},
        "reminders": {"useDefault": False, "overrides": []}}).execute()
    assert done["extendedProperties"]["private"] == {"mine": "yes"}


def test_a_roster_slot_change_on_google_keeps_the_persons_cancel_and_move(
    g: GoogleDemo,
) -> None:
    alice = PEOPLE[0]
    assert g.syncd("reconcile").code == 0
    (series,) = _live_of(g, alice)
    events = g.calendar().events()
    # The person cancels the 8 Dec meeting and moves the 15 Dec one to Wednesday.
    events.delete(calendarId="primary", eventId=f"{series['id']}_20261208T090000Z").execute()
    events.patch(calendarId="primary", eventId=f"{series['id']}_20261215T090000Z", body={
        "start": {"dateTime": "2026-12-16T11:30:00+01:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2026-12-16T12:15:00+01:00", "timeZone": "Europe/Berlin"},
    }).execute()
    g.config.write_text(g.config.read_text().replace(
        'slot: {day: tue, time: "10:00"}', 'slot: {day: wed, time: "10:00"}'))
    run = g.syncd("reconcile", "--json")
    assert run.code == 0, run.out
    assert [a["action"] for a in run.json()["actions"]
            if a["person"] == alice and a["action"].endswith("-series")] == ["end-series"]
    (master,) = [e for e in g.masters() if e["id"] == series["id"]]
    assert master["recurrence"] == ["RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20261215T090000Z"]
    moved = [e for e in g.events() if e.get("recurringEventId") == series["id"]
             and e.get("status") != "cancelled"]
    assert [e["start"]["dateTime"] for e in moved] == ["2026-12-16T11:30:00+01:00"]
    later = "2026-12-16T13:00:00+01:00"
    assert g.syncd("reconcile", now=later).code == 0
    new = [e for e in _live_of(g, alice) if e["id"] != series["id"]]
    assert [e["start"]["dateTime"] for e in new] == ["2026-12-23T10:00:00+01:00"]
