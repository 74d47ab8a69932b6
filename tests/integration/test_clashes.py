"""Clash warnings in `validate` and `reconcile`: warnings, never errors (exit 0)."""

from __future__ import annotations

from tests.workspace import Workspace

CLASHING = """\
people:
  - {name: Ana Ruiz, email: ana@example.com, cadence: weekly, start: 2026-12-01, slot: {day: tue, time: "10:00"}}
  - {name: Ben Ode, email: ben@example.com, cadence: biweekly, start: 2026-12-01, slot: {day: tue, time: "10:00"}}
  - {name: Cy Ito, email: cy@example.com, cadence: monthly, slot: {day: wed, time: "11:00"}}
"""  # noqa: E501

STANDUP = """\
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:standup@example.com
DTSTART;TZID=Europe/Berlin:20261201T100000
DTEND;TZID=Europe/Berlin:20261201T101500
RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=12
ORGANIZER:mailto:dana@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:dana@example.com
ATTENDEE:mailto:team@example.com
ATTENDEE:mailto:ana@example.com
SUMMARY:Team standup
END:VEVENT
END:VCALENDAR
"""


def test_validate_warns_about_double_booked_1on1s(demo: Workspace) -> None:
    demo.write_config(CLASHING)
    run = demo.syncd("validate", "--now", "2026-11-30T09:00:00+01:00")
    assert run.code == 0
    assert "ok (3 people, 3 active)" in run.out
    assert run.err.splitlines() == [
        "warning: Ana Ruiz and Ben Ode: 1:1s overlap on 13 of the next 26 weeks, "
        "first Tue 2026-12-01 10:00",
    ]


def test_reconcile_warns_when_a_slot_falls_on_the_leads_own_meeting(demo: Workspace) -> None:
    (demo.calendar / "standup.ics").write_text(STANDUP)
    demo.write_config(CLASHING.replace("  - {name: Ben", "  # - {name: Ben"))
    run = demo.syncd("reconcile", "--dry-run", now="2026-11-30T09:00:00+01:00")
    assert run.code == 0
    assert "warning: Ana Ruiz Tue 10:00 overlaps 'Team standup' on 12 of the next 26 weeks" \
        in run.out.splitlines()
