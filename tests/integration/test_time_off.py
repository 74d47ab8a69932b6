"""Public holidays and the lead's out-of-office pause the 1:1s they fall on."""

from __future__ import annotations

from typing import Any

from tests.integration.gdemo import OWNER, GoogleDemo
from tests.workspace import Workspace

# Fridays at 10:00 from 2026-12-04: Christmas Day 2026 and New Year's Day 2027 are Fridays.
FRIDAYS = """\
people:
  - {name: Fay Fri, email: fay@example.com, cadence: weekly, start: 2026-12-04, slot: {day: fri, time: "10:00"}}
"""  # noqa: E501
AFTER = "2027-01-20T09:00:00+01:00"

VACATION = """\
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:vacation@example.com
DTSTART;VALUE=DATE:20270111
DTEND;VALUE=DATE:20270116
SUMMARY:Vacation (skiing)
TRANSP:TRANSPARENT
END:VEVENT
BEGIN:VEVENT
UID:oof@example.com
DTSTART;TZID=Europe/Berlin:20261218T000000
DTEND;TZID=Europe/Berlin:20261219T000000
SUMMARY:Away
X-MICROSOFT-CDO-BUSYSTATUS:OOF
END:VEVENT
BEGIN:VEVENT
UID:afternoon@example.com
DTSTART;TZID=Europe/Berlin:20261204T130000
DTEND;TZID=Europe/Berlin:20261204T180000
SUMMARY:Out
X-MICROSOFT-CDO-BUSYSTATUS:OOF
END:VEVENT
END:VCALENDAR
"""


def statuses(run_json: Any) -> dict[str, tuple[str, str | None]]:
    (person,) = run_json["people"]
    return {o["expected"][:10]: (o["status"], o["reason"]) for o in person["occurrences"]}


def test_public_holidays_and_out_of_office_days_pause_the_1on1s_on_them(demo: Workspace) -> None:
    (demo.calendar / "away.ics").write_text(VACATION)
    demo.write_config(FRIDAYS, extra="holidays: {country: DE, subdivision: BE}\n"
                                     "out_of_office: {title: 'vacation|PTO'}\n")
    run = demo.syncd("status", "--json", "--from", "2026-12-01", "--to", "2027-01-20",
                     now=AFTER)
    assert run.code == 0, run.err
    rows = statuses(run.json())
    assert rows["2026-12-25"] == ("paused", "holiday")
    assert rows["2027-01-01"] == ("paused", "holiday")
    assert rows["2027-01-15"] == ("paused", "out-of-office")  # the all-day vacation
    assert rows["2026-12-18"] == ("paused", "out-of-office")  # Outlook's OOF, whole day
    # An afternoon off does not pause a morning 1:1, and an ordinary Friday is a skip.
    assert rows["2026-12-04"] == ("missing", None)
    assert rows["2027-01-08"] == ("missing", None)


def test_a_bad_holiday_country_or_subdivision_is_a_config_error(demo: Workspace) -> None:
    demo.write_config(FRIDAYS, extra="holidays: {country: DE, subdivision: XX}\n")
    line = demo.config.read_text().splitlines().index(
        "holidays: {country: DE, subdivision: XX}") + 1
    run = demo.syncd("validate")
    assert run.code == 2
    assert run.err.startswith(
        f"{demo.config}:{line}: holidays.subdivision: DE has no subdivision 'XX' (known: BB, BE")
    demo.write_config(FRIDAYS, extra="holidays: {country: Germany}\n")
    run = demo.syncd("validate")
    assert run.code == 2
    assert run.err.startswith(f"{demo.config}:{line}: holidays.country: no public holidays "
                              "known for country 'Germany'")


def test_google_out_of_office_events_pause_the_1on1s(g: GoogleDemo) -> None:
    g.write_config(people=FRIDAYS[len("people:\n"):].join(("people:\n", "")))
    g.emu.seed({"calendars": [{"id": OWNER, "timeZone": "Europe/Berlin", "events": [{
        "summary": "Out of office", "eventType": "outOfOffice",
        "start": {"dateTime": "2026-12-11T00:00:00+01:00"},
        "end": {"dateTime": "2026-12-12T00:00:00+01:00"}}]}]})
    run = g.syncd("status", "--json", "--from", "2026-12-01", "--to", "2026-12-31",
                  now="2026-12-30T09:00:00+01:00")
    assert run.code == 0, run.err
    rows = statuses(run.json())
    assert rows["2026-12-11"] == ("paused", "out-of-office")
    assert rows["2026-12-04"] == ("missing", None)


def test_reconcile_notes_a_coming_1on1_on_a_holiday_with_a_free_slot(demo: Workspace) -> None:
    for old in demo.calendar.iterdir():
        old.unlink()
    demo.write_config(FRIDAYS, extra="holidays: {country: DE}\n")
    run = demo.syncd("reconcile", "--dry-run", now="2026-12-20T09:00:00+01:00")
    assert run.code == 0, run.err
    notes = [line for line in run.out.splitlines() if "is paused" in line]
    assert notes == [
        "note: Fay Fri: Fri 2026-12-25 10:00 is paused (holiday: Christmas Day); "
        "a free slot: Mon 2026-12-21 08:00",
        "note: Fay Fri: Fri 2027-01-01 10:00 is paused (holiday: New Year's Day); "
        "a free slot: Mon 2026-12-28 08:00",
    ]
