"""`slot: auto`, the rollout queue and cadence phases, on the local calendar and Google.

Everything runs in-process through the CLI (click's CliRunner) with a fixed `--now`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from tests.integration.gdemo import OWNER, GoogleDemo
from tests.workspace import Workspace, snapshot

REPORT_SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" /
                            "report-schema.json").read_text())
MONDAY = "2026-12-07T09:00:00+01:00"
PREFERENCES = 'preferences: {days: [tue, wed, thu], earliest: "10:00", latest: "17:00", ' \
              "buffer: 15m}\n"
AUTO = """\
people:
  - {name: Ana Ruiz, email: ana@example.com, cadence: weekly, duration: 30m, slot: auto}
  - {name: Ben Okafor, email: ben@example.com, cadence: weekly, duration: 30m}
"""
# The lead's own weekly standup, Tuesdays 10:00-11:00.
STANDUP = """\
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:standup@example.com
DTSTART;TZID=Europe/Berlin:20261201T100000
DTEND;TZID=Europe/Berlin:20261201T110000
RRULE:FREQ=WEEKLY;BYDAY=TU
ORGANIZER:mailto:dana@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:dana@example.com
ATTENDEE:mailto:team@example.com
ATTENDEE:mailto:ops@example.com
SUMMARY:Team standup
END:VEVENT
END:VCALENDAR
"""
BUDGET = STANDUP.replace("standup@example.com", "budget@example.com").replace(
    "T100000", "T111500").replace("T110000", "T120000").replace(
    "20261201", "20261215").replace("Team standup", "Budget review")


def empty(demo: Workspace) -> None:
    for old in demo.calendar.iterdir():
        old.unlink()


def series(demo: Workspace) -> dict[str, str]:
    """Summary → the first DTSTART line of each 1:1 series syncd wrote."""
    found = {}
    for path in demo.calendar.glob("*.ics"):
        text = path.read_text()
        if "X-SYNCD-ID" in text:
            summary = next(line for line in text.splitlines() if line.startswith("SUMMARY"))
            start = next(line for line in text.splitlines()
                         if line.startswith("DTSTART;TZID"))
            found[summary.split(":", 1)[1]] = start.split(":", 1)[1]
    return found


def test_auto_slot_is_free_spread_recorded_and_then_kept(demo: Workspace) -> None:
    empty(demo)
    (demo.calendar / "standup.ics").write_text(STANDUP)
    demo.write_config(AUTO, extra=PREFERENCES)
    first = demo.syncd("reconcile", now=MONDAY)
    assert first.code == 0, first.err
    # Tuesday 10:00-11:00 is the standup, +15m buffer; Ben goes to the emptier Wednesday.
    assert "Ana Ruiz: slot chosen: Tue 11:15 (free on your calendar for the next 8 " \
           "meetings; kept from now on); Ana Ruiz's availability was not visible, so only " \
           "yours was checked: unknown is not free, ask them" in first.out
    assert "Ben Okafor: slot chosen: Wed 10:00" in first.out
    assert series(demo) == {"1:1 Ana Ruiz / Dana Lead": "20261208T111500",
                            "1:1 Ben Okafor / Dana Lead": "20261209T100000"}
    status = demo.syncd("status", now=MONDAY)
    assert "Ana Ruiz <ana@example.com>  weekly (slot Tue 11:15, chosen by syncd): " \
           "never held; next Tue 2026-12-08 11:15" in status.out
    as_json = demo.syncd("status", "--json", now=MONDAY).json()["people"]
    assert [(p["slot"], p["slot_chosen_by_syncd"], p["queued"]) for p in as_json] == [
        ("Tue 11:15", True, False), ("Wed 10:00", True, False)]

    # The next run, a week later with a new standup hour free: nothing moves.
    kept = snapshot(demo.calendar)
    again = demo.syncd("reconcile", "--json", now="2026-12-14T09:00:00+01:00")
    assert again.code == 0, again.err
    assert [a["action"] for a in again.json()["actions"]
            if a["action"] != "prepare-notes"] == []
    assert {k: v for k, v in snapshot(demo.calendar).items()} == kept


def test_a_later_clash_is_a_warning_with_a_free_slot_and_no_move(demo: Workspace) -> None:
    empty(demo)
    (demo.calendar / "standup.ics").write_text(STANDUP)
    demo.write_config(AUTO, extra=PREFERENCES)
    assert demo.syncd("reconcile", now=MONDAY).code == 0
    (demo.calendar / "budget.ics").write_text(BUDGET)  # lands on Ana's Tue 11:15
    before = snapshot(demo.calendar)
    run = demo.syncd("reconcile", now="2026-12-10T09:00:00+01:00")
    assert run.code == 0, run.err
    assert "warning: Ana Ruiz Tue 11:15 overlaps 'Budget review' on 26 of the next 26 " \
           "weeks" in run.out
    # Tuesday (the day without Ben) is taken up to 12:00, and the buffer after that.
    assert "warning: Ana Ruiz: syncd chose Tue 11:15, which now clashes; it is not moved on " \
           'its own: a free slot now is Tue 12:15 (set slot: {day: tue, time: "12:15"} to ' \
           "take it)" in run.out
    assert {k: v for k, v in snapshot(demo.calendar).items() if "budget" not in k} == {
        k: v for k, v in before.items() if "budget" not in k}
    assert series(demo)["1:1 Ana Ruiz / Dana Lead"] == "20261208T111500"


def test_dry_run_chooses_but_records_nothing(demo: Workspace) -> None:
    empty(demo)
    demo.write_config(AUTO, extra=PREFERENCES)
    run = demo.syncd("reconcile", "--dry-run", now=MONDAY)
    assert run.code == 0, run.err
    assert "Ana Ruiz: slot chosen: Tue 10:00" in run.out
    assert snapshot(demo.calendar) == {}
    status = demo.syncd("status", now=MONDAY)
    assert "Ana Ruiz <ana@example.com>  weekly: queued: no slot chosen yet" in status.out


TUESDAY = "2026-12-08T09:00:00+01:00"
ROLLOUT = """\
people:
  - {name: Ana Ruiz, email: ana@example.com, cadence: weekly, slot: {day: tue, time: "10:00"}}
  - {name: Ben Okafor, email: ben@example.com, cadence: weekly, slot: {day: wed, time: "10:00"}}
  - {name: Cy Lam, email: cy@example.com, cadence: weekly, slot: {day: thu, time: "10:00"}}
  - {name: Dee Park, email: dee@example.com, cadence: biweekly,
     slot: {day: mon, time: "14:00"}}
"""


def test_rollout_queue_over_several_weeks(demo: Workspace) -> None:
    empty(demo)
    # Dee already has her 1:1 on the calendar: adopted, not new, not queued.
    (demo.calendar / "dee.ics").write_text(STANDUP.replace("standup@example.com", "dee@h").replace(
        "RRULE:FREQ=WEEKLY;BYDAY=TU", "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO").replace(
        "20261201T100000", "20261130T140000").replace("20261201T110000", "20261130T144500")
        .replace("mailto:team@example.com", "mailto:dee@example.com")
        .replace("ATTENDEE:mailto:ops@example.com\n", "")
        .replace("Team standup", "Dee / Dana"))
    demo.write_config(ROLLOUT, extra="rollout: {max_new_per_week: 1}\n")
    week1 = demo.syncd("reconcile", "--json", now=MONDAY).json()
    made = {(a["person"], a["when"]) for a in week1["actions"]
            if a["action"] in ("create-series", "adopt-series")}
    assert made == {("ana@example.com", "2026-12-08T10:00:00+01:00"),
                    ("dee@example.com", None)}
    assert "Ben Okafor: queued: first 1:1 on Wed 2026-12-16 10:00 (rollout: at most 1 new " \
           "a week)" in week1["info"]
    assert "Cy Lam: queued: first 1:1 on Thu 2026-12-24 10:00 (rollout: at most 1 new " \
           "a week)" in week1["info"]
    status = demo.syncd("status", now=TUESDAY)
    assert status.code == 0, status.err
    assert "Ben Okafor <ben@example.com>  weekly: queued: first 1:1 on Wed 2026-12-16 10:00" \
        in status.out
    # A queued person is neither missing nor overdue, and the report says so.
    ben = next(p for p in demo.syncd("status", "--json", now=TUESDAY)
               .json()["people"] if p["email"] == "ben@example.com")
    assert (ben["queued"], ben["first_expected"], ben["occurrences"], ben["overdue"]) == (
        True, "2026-12-16T10:00:00+01:00", [], False)
    report = demo.syncd("report", "--format", "json", now=TUESDAY)
    health = json.loads(report.out)
    jsonschema.validate(health, REPORT_SCHEMA)
    assert health["roster_health"]["queued"] == [
        {"email": "ben@example.com", "name": "Ben Okafor",
         "first": "2026-12-16T10:00:00+01:00"},
        {"email": "cy@example.com", "name": "Cy Lam", "first": "2026-12-24T10:00:00+01:00"}]
    assert health["roster_health"]["no_series"] == []
    text = demo.syncd("report", now=TUESDAY).out
    assert "  Queued: Ben Okafor, first 1:1 on Wed 2026-12-16 10:00" in text

    # A week before Ben's first 1:1 his series is created; Cy still waits.
    week2 = demo.syncd("reconcile", "--json", now="2026-12-14T09:00:00+01:00").json()
    assert [(a["person"], a["when"]) for a in week2["actions"]
            if a["action"] == "create-series"] == [
        ("ben@example.com", "2026-12-16T10:00:00+01:00")]
    assert any(line.startswith("Cy Lam: queued") for line in week2["info"])
    week3 = demo.syncd("reconcile", "--json", now="2026-12-21T09:00:00+01:00").json()
    assert [(a["person"], a["when"]) for a in week3["actions"]
            if a["action"] == "create-series"] == [
        ("cy@example.com", "2026-12-24T10:00:00+01:00")]
    assert not any("queued" in line for line in week3["info"])
    # Nothing was expected of Ben before his first 1:1: nothing missing while he waited.
    rows = demo.syncd("status", "--json", "--from", "2026-12-01",
                      now="2026-12-21T09:00:00+01:00").json()["people"]
    statuses = {p["email"]: [o["expected"][:10] for o in p["occurrences"]] for p in rows}
    assert statuses["ben@example.com"] == ["2026-12-16"]


def test_a_week_without_runs_queues_the_person_again(demo: Workspace) -> None:
    empty(demo)
    demo.write_config(ROLLOUT.split("  - {name: Cy")[0], extra="rollout: {max_new_per_week: 1}\n")
    assert demo.syncd("reconcile", now=MONDAY).code == 0
    # syncd did not run in the week before Ben's first 1:1 (Wed 16th): he gets the next
    # week with room, and as that is less than a week away, his series now.
    late = demo.syncd("reconcile", "--json", now="2026-12-17T09:00:00+01:00").json()
    assert [(a["person"], a["when"]) for a in late["actions"]
            if a["action"] == "create-series"] == [
        ("ben@example.com", "2026-12-23T10:00:00+01:00")]


PHASES = """\
people:
  - {name: Nia Shah, email: nia@example.com, cadence: weekly, start: 2026-12-01,
     slot: {day: tue, time: "10:00"}, then: {after: 4w, cadence: biweekly}}
"""


def test_a_cadence_phase_switch_keeps_one_history(demo: Workspace) -> None:
    empty(demo)
    demo.write_config(PHASES)
    first = demo.syncd("reconcile", "--json", now="2026-11-30T09:00:00+01:00").json()
    (create,) = [a for a in first["actions"] if a["action"] == "create-series"]
    assert (create["when"], create["rrule"]) == ("2026-12-01T10:00:00+01:00",
                                                 "FREQ=WEEKLY;BYDAY=TU")
    # The switch day is 2026-12-29 (4 weeks after the start): the first run that day.
    switch = demo.syncd("reconcile", "--json", now="2026-12-29T08:00:00+01:00")
    assert switch.code == 0, switch.err
    actions = [a for a in switch.json()["actions"] if a["action"] in ("end-series",
                                                                       "create-series")]
    assert [(a["action"], a["when"], a.get("rrule")) for a in actions] == [
        ("end-series", "2026-12-29T08:00:00+01:00", None),
        ("create-series", "2026-12-29T10:00:00+01:00", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU")]
    after = demo.syncd("reconcile", "--json", now="2026-12-30T08:00:00+01:00").json()
    assert [a for a in after["actions"] if a["action"] != "prepare-notes"] == []
    rows = demo.syncd("status", "--json", "--from", "2026-12-01", "--to", "2027-01-31",
                      now="2027-01-27T12:00:00+01:00").json()["people"]
    (nia,) = rows
    assert [(o["expected"][:10], o["status"]) for o in nia["occurrences"]] == [
        ("2026-12-01", "held"), ("2026-12-08", "held"), ("2026-12-15", "held"),
        ("2026-12-22", "held"),  # weekly up to the switch
        ("2026-12-29", "held"), ("2027-01-12", "held"), ("2027-01-26", "held")]
    # One notes document for both series.
    assert [p.name for p in demo.notes.iterdir()] == ["nia@example.com.md"]


def test_auto_slot_on_google_avoids_the_persons_visible_busy_time(g: GoogleDemo) -> None:
    g.write_config(people="people:\n  - {name: Ana Ruiz, email: ana@example.com, "
                          "cadence: weekly, duration: 30m, slot: auto}\n"
                          "  - {name: Ben Okafor, email: ben@example.com, cadence: weekly, "
                          "duration: 30m, slot: auto}\n")
    text = g.config.read_text().replace("people:", PREFERENCES + "people:", 1)
    g.config.write_text(text)
    ana_busy: dict[str, Any] = {
        "start": {"dateTime": "2026-12-08T10:00:00+01:00"},
        "end": {"dateTime": "2026-12-08T12:00:00+01:00"},
        "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=TU"], "summary": "Ana's class"}
    # Not a roster event: the calendar read leaves it out, the lead's free/busy shows it.
    lead_busy: dict[str, Any] = {
        "start": {"dateTime": "2026-12-09T10:00:00+01:00"},
        "end": {"dateTime": "2026-12-09T13:00:00+01:00"},
        "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=WE"], "summary": "Ops review"}
    g.emu.seed({"calendars": [
        {"id": OWNER, "timeZone": "Europe/Berlin", "events": [lead_busy]},
        {"id": "ana@example.com", "events": [ana_busy]},
        {"id": "ben@example.com", "freeBusyVisible": False, "events": []}]})
    run = g.syncd("reconcile", now=MONDAY)
    assert run.code == 0, run.err
    # Ana is busy Tuesday until 12:00 (+15m buffer); Ben goes to Wednesday after the lead's
    # Ops review, and his own availability is said to be unknown.
    assert "Ana Ruiz: slot chosen: Tue 12:15 (free on you and them for the next 8 " \
           "meetings; kept from now on)" in run.out
    assert "Ben Okafor: slot chosen: Wed 13:15 (free on your calendar for the next 8 " \
           "meetings; kept from now on); Ben Okafor's availability was not visible" in run.out
    (lead,) = [c for c in g.emu.state()["calendars"] if c["id"] == OWNER]
    starts = sorted(e["start"]["dateTime"] for e in lead["events"]
                    if e.get("extendedProperties") and not e.get("recurringEventId"))
    assert starts == ["2026-12-08T12:15:00+01:00", "2026-12-09T13:15:00+01:00"]
    again = g.syncd("reconcile", "--json", now="2026-12-15T09:00:00+01:00").json()
    assert [a for a in again["actions"] if a["action"] in ("create-series", "end-series")] == []


def test_turning_a_slot_to_auto_keeps_the_1_1_where_it_is(demo: Workspace) -> None:
    empty(demo)
    demo.write_config(ROLLOUT.split("  - {name: Ben")[0])
    assert demo.syncd("reconcile", now=MONDAY).code == 0
    demo.write_config(AUTO.split("  - {name: Ben")[0], extra=PREFERENCES)
    check = demo.syncd("validate")
    assert check.code == 0, check.err
    assert "note: Ana Ruiz: slot: auto, syncd chooses a free one on the next reconcile and " \
           "keeps it (docs/scheduling.md)" in check.out
    again = demo.syncd("reconcile", "--json", now="2026-12-08T12:00:00+01:00").json()
    assert [a for a in again["actions"] if a["action"] in ("create-series", "end-series")] == []
    status = demo.syncd("status", now="2026-12-08T12:00:00+01:00")
    assert "Ana Ruiz <ana@example.com>  weekly (slot Tue 10:00, chosen by syncd): last held " \
           "2026-12-08" in status.out


def test_rollout_and_a_phase_switch_on_google(g: GoogleDemo) -> None:
    g.write_config(people="rollout: {max_new_per_week: 1}\npeople:\n"
                          '  - {name: Ana Ruiz, email: ana@example.com, cadence: weekly, '
                          'slot: {day: tue, time: "10:00"}}\n'
                          '  - {name: Ben Okafor, email: ben@example.com, cadence: weekly, '
                          'slot: {day: wed, time: "10:00"}, '
                          "then: {after: 2w, cadence: biweekly}}\n")

    def created(now: str) -> list[tuple[str, str, str]]:
        run = g.syncd("reconcile", "--json", now=now)
        assert run.code == 0, run.err
        return [(a["action"], a["person"], a["when"]) for a in run.json()["actions"]
                if a["action"] in ("create-series", "end-series")]

    assert created(MONDAY) == [("create-series", "ana@example.com",
                                "2026-12-08T10:00:00+01:00")]
    assert "Ben Okafor <ben@example.com>  weekly: queued: first 1:1 on Wed 2026-12-16 10:00" \
        in g.syncd("status", now=MONDAY).out
    assert created("2026-12-14T09:00:00+01:00") == [
        ("create-series", "ben@example.com", "2026-12-16T10:00:00+01:00")]
    assert created("2026-12-21T09:00:00+01:00") == []
    # Two weeks after his first 1:1 (Wed 12-30) the weekly series ends, biweekly begins.
    assert created("2026-12-30T07:00:00+01:00") == [
        ("end-series", "ben@example.com", "2026-12-30T07:00:00+01:00"),
        ("create-series", "ben@example.com", "2026-12-30T10:00:00+01:00")]
    ben = [e for e in g.masters() if "Ben" in e.get("summary", "")]
    assert sorted(e["recurrence"][0] for e in ben) == [
        "RRULE:FREQ=WEEKLY;BYDAY=WE;UNTIL=20261230T060000Z",
        "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=WE"]
    rows = g.syncd("status", "--json", "--from", "2026-12-01", "--to", "2027-01-20",
                   now="2027-01-20T12:00:00+01:00").json()["people"]
    history = {p["email"]: [(o["expected"][:10], o["status"]) for o in p["occurrences"]]
               for p in rows}
    assert history["ben@example.com"] == [
        ("2026-12-16", "held"), ("2026-12-23", "held"), ("2026-12-30", "held"),
        ("2027-01-13", "held")]
