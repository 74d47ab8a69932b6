"""`syncd suggest`: free slots to make up a skipped 1:1, before the next regular one."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from tests.integration.gdemo import OWNER, GoogleDemo
from tests.workspace import Workspace

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" /
                     "suggest-schema.json").read_text())
# Ana weekly on Tuesdays from 2026-12-01 with nothing on the calendar: every 1:1 is missing.
ANA = """\
people:
  - name: Ana Ruiz
    email: ana@example.com
    cadence: weekly
    start: 2026-12-01
    slot: {day: tue, time: "10:00"}
    preferences: {days: [mon, wed, thu, fri], earliest: "10:00"}
"""
WEDNESDAY = "2026-12-09T09:00:00+01:00"
LEAD_WEEK = """\
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:planning@example.com
DTSTART;TZID=Europe/Berlin:20261209T100000
DTEND;TZID=Europe/Berlin:20261209T110000
ORGANIZER:mailto:dana@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:dana@example.com
ATTENDEE:mailto:team@example.com
SUMMARY:Planning
END:VEVENT
BEGIN:VEVENT
UID:pto@example.com
DTSTART;VALUE=DATE:20261210
DTEND;VALUE=DATE:20261211
SUMMARY:PTO
END:VEVENT
END:VCALENDAR
"""


def test_suggest_lists_free_days_around_the_leads_meetings_and_time_off(demo: Workspace) -> None:
    for old in demo.calendar.iterdir():
        old.unlink()
    (demo.calendar / "week.ics").write_text(LEAD_WEEK)
    demo.write_config(ANA, extra="out_of_office: {title: PTO}\n")
    run = demo.syncd("suggest", "ana@example.com", now=WEDNESDAY)
    assert run.code == 0, run.err
    assert run.out.splitlines() == [
        "Ana Ruiz: Tue 2026-12-08 10:00 was missing from the calendar; "
        "make it up before Tue 2026-12-15 10:00:",
        "  Wed 2026-12-09 11:00",  # 10:00 is the planning meeting
        "  Fri 2026-12-11 10:00",  # Thursday is PTO
        "  Mon 2026-12-14 10:00",
        "(availability of ana@example.com not visible: only your own calendar was checked)",
    ]
    by_name = demo.syncd("suggest", "Ana Ruiz", "--json", "--count", "1", now=WEDNESDAY)
    found = by_name.json()
    jsonschema.validate(found, SCHEMA)
    assert found["make_ups"] == [{
        "expected": "2026-12-08T10:00:00+01:00", "reason": "missing",
        "before": "2026-12-15T10:00:00+01:00", "slots": ["2026-12-09T11:00:00+01:00"]}]


def test_suggest_for_someone_not_on_the_roster_is_a_usage_error(demo: Workspace) -> None:
    demo.write_config(ANA)
    run = demo.syncd("suggest", "zoe@example.com", now=WEDNESDAY)
    assert run.code == 2
    assert run.err == "syncd: no active person 'zoe@example.com' on the roster " \
                      "(give an email or a name)\n"


def test_suggest_on_google_uses_the_persons_free_busy_when_visible(g: GoogleDemo) -> None:
    g.write_config(people=ANA)
    busy = {"start": {"dateTime": "2026-12-09T10:00:00+01:00"},
            "end": {"dateTime": "2026-12-09T12:00:00+01:00"}, "summary": "Ana's offsite"}
    g.emu.seed({"calendars": [{"id": OWNER, "timeZone": "Europe/Berlin", "events": []},
                              {"id": "ana@example.com", "events": [busy]}]})
    found = g.syncd("suggest", "ana@example.com", "--json", "--count", "1",
                    now=WEDNESDAY).json()
    jsonschema.validate(found, SCHEMA)
    assert found["make_ups"][0]["slots"] == ["2026-12-09T12:00:00+01:00"]
    assert found["not_visible"] == []
    g.emu.seed({"calendars": [{"id": OWNER, "timeZone": "Europe/Berlin", "events": []},
                              {"id": "ana@example.com", "freeBusyVisible": False,
                               "events": [busy]}]})
    hidden = g.syncd("suggest", "ana@example.com", "--json", "--count", "1",
                     now=WEDNESDAY).json()
    assert hidden["make_ups"][0]["slots"] == ["2026-12-09T10:00:00+01:00"]
    assert hidden["not_visible"] == ["ana@example.com"]


def test_suggest_on_google_sees_the_leads_whole_free_busy(g: GoogleDemo) -> None:
    g.write_config(people=ANA)
    # Not a roster event, so the calendar read leaves it out; free/busy still shows it.
    offsite = {"start": {"dateTime": "2026-12-09T10:00:00+01:00"},
               "end": {"dateTime": "2026-12-09T16:00:00+01:00"}, "summary": "Offsite"}
    g.emu.seed({"calendars": [{"id": OWNER, "timeZone": "Europe/Berlin", "events": [offsite]},
                              {"id": "ana@example.com", "events": []}]})
    found = g.syncd("suggest", "ana@example.com", "--json", "--count", "1",
                    now=WEDNESDAY).json()
    assert found["make_ups"][0]["slots"] == ["2026-12-09T16:00:00+01:00"]
