"""Google Calendar events as other projects recorded them (tests/data/google-recorded,
SOURCES.md there), and the shapes a list really answers, seeded into the emulator and read
by syncd through the real client."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.emulator import running_emulator
from tests.integration.gdemo import OWNER, PEOPLE, GoogleDemo
from tests.workspace import syncd

RECORDED = Path(__file__).resolve().parents[2] / "tests" / "data" / "google-recorded"


@pytest.mark.parametrize(("name", "now", "expected"), [
    ("nylas-invitee", "2014-06-25T09:00:00-07:00",
     ("tn7krk4cekt8ag3pk6gapqqbro@google.com", "organized by freemaneben@gmail.com")),
    ("woollaston-title", "2023-05-15T09:00:00+01:00",
     ("539C42D2-035A-4821-AE6E-DF62B8877E11", "adopt hand-made 'Lunch'")),
])
def test_syncd_reads_each_recorded_fixture(
    name: str, now: str, expected: tuple[str, str], tmp_path: Path,
) -> None:
    seed = json.loads((RECORDED / f"{name}-seed.json").read_text())
    with running_emulator(owner=seed["owner"], time_zone=seed["timeZone"]) as emu:
        emu.seed(seed)
        config = tmp_path / "config.yaml"
        config.write_text((RECORDED / f"{name}-config.yaml").read_text()
                          .replace("@URL@", emu.url).replace("@STATE@", str(tmp_path / "s")))
        run = syncd("reconcile", "--dry-run", "--json", "--config", str(config), "--now", now)
    assert run.code == 0, run.out + run.err
    result = run.json()
    uid, words = expected
    said = [a["summary"] for a in result["actions"] if a.get("series") == uid]
    assert any(words in line for line in said + result["warnings"]), run.out


def test_seeded_list_shapes_are_read(g: GoogleDemo) -> None:
    """A master without timeZone, a deleted instance as a list names it ({id, status,
    recurringEventId, originalStartTime}), one as a full object, a deleted event as {id,
    status}: seeded as recorded, read by syncd without a fault."""
    master = {
        "id": "alicemaster01", "summary": "Alice / Dana", "status": "confirmed",
        "start": {"dateTime": "2026-09-01T10:00:00+02:00"},
        "end": {"dateTime": "2026-09-01T10:45:00+02:00"},
        "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=TU"],
        "attendees": [{"email": OWNER, "responseStatus": "accepted", "self": True},
                      {"email": PEOPLE[0], "responseStatus": "accepted"}],
    }
    listed = {"id": "alicemaster01_20261208T090000Z", "status": "cancelled",
              "recurringEventId": "alicemaster01",
              "originalStartTime": {"dateTime": "2026-12-08T10:00:00+01:00",
                                    "timeZone": "Europe/Berlin"}}
    full = {**{k: v for k, v in master.items() if k != "recurrence"},
            "id": "alicemaster01_20261215T090000Z", "status": "cancelled",
            "recurringEventId": "alicemaster01",
            "originalStartTime": {"dateTime": "2026-12-15T10:00:00+01:00"},
            "start": {"dateTime": "2026-12-15T10:00:00+01:00"},
            "end": {"dateTime": "2026-12-15T10:45:00+01:00"}}
    deleted = {"id": "gone00001", "status": "cancelled"}
    state = g.emu.state()
    state["calendars"][0]["events"] = [master, listed, full, deleted]
    g.emu.seed(state)
    run = g.syncd("reconcile", "--dry-run", "--json")
    assert run.code == 0, run.out + run.err
    result = run.json()
    assert ("adopt-series", "alicemaster01@google.com") in {
        (a["action"], a["series"]) for a in result["actions"]}, run.out + run.err
    assert {line for line in result["info"] if "cancelled" in line} == {
        "alice@example.com: Tue 2026-12-08 10:00 CET is cancelled (left as made)",
        "alice@example.com: Tue 2026-12-15 10:00 CET is cancelled (left as made)"}


def test_seeded_fixed_offset_zone_is_read_as_that_offset(g: GoogleDemo) -> None:
    """A master whose zone is named `GMT+03:00` (seeded, as a list may answer it; an insert
    is refused): its weekly 10:00+03:00 stays at 07:00 UTC all year, so in December it is
    08:00 in the lead's Berlin, not 09:00 as the September wall time would say."""
    master = {
        "id": "alicefixed01", "summary": "Alice / Dana", "status": "confirmed",
        "start": {"dateTime": "2026-09-01T10:00:00+03:00", "timeZone": "GMT+03:00"},
        "end": {"dateTime": "2026-09-01T10:45:00+03:00", "timeZone": "GMT+03:00"},
        "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=TU"],
        "attendees": [{"email": OWNER, "responseStatus": "accepted", "self": True},
                      {"email": PEOPLE[0], "responseStatus": "accepted"}],
    }
    state = g.emu.state()
    state["calendars"][0]["events"] = [master]
    g.emu.seed(state)
    listed = g.emu.state()["calendars"][0]["events"][0]
    assert listed["start"] == master["start"]
    run = g.syncd("status", "--json")
    assert run.code == 0, run.out + run.err
    alice = next(p for p in run.json()["people"] if p["email"] == PEOPLE[0])
    assert alice["last_held"] == "2026-11-24T08:00:00+01:00"
    assert alice["occurrences"][0]["actual_start"] == "2026-09-01T09:00:00+02:00"
