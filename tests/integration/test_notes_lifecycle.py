"""Agenda sections follow the meeting, on the local calendar + Markdown notes: a moved
1:1 keeps its section (with a pointer), a make-up gets one, a meeting cancelled or
declined ahead gets none (an existing one gets a line), a deleted notes file comes back
with its agenda, open follow-ups are carried with their date (stale after three carries),
each role gets its template, and every nudge the report prints is gone after reconcile."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import jsonschema
import pytest

from syncd.core import identity
from tests.workspace import ROOT, Run, Workspace, syncd

ZONE = ZoneInfo("Europe/Berlin")
PAT = "pat@example.com"
NOW = "2026-11-25T09:00:00+01:00"  # a Wednesday; Pat's next 1:1 is Tue 12-01 10:00
PEOPLE = ("people:\n  - {name: Pat Report, email: pat@example.com, cadence: weekly, "
          "start: 2026-09-01, slot: {day: tue, time: '10:00'}%s}\n")


def at(day: int, hour: int, minute: int = 0, month: int = 12) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=ZONE)


@pytest.fixture
def pat(demo: Workspace) -> Workspace:
    for file in demo.calendar.iterdir():
        file.unlink()
    demo.write_config(PEOPLE % "")
    run = demo.syncd("reconcile", now=NOW)
    assert run.code == 0, run.err
    return demo


def notes_of(demo: Workspace) -> Path:
    return demo.notes / f"{PAT}.md"


def series_file(demo: Workspace) -> Path:
    uid = identity.series_uid(PAT, 1)
    return next(p for p in demo.calendar.iterdir() if uid in p.read_text())


def edit_instance(demo: Workspace, slot: dt.datetime, *, start: dt.datetime | None = None,
                  status: str | None = None, declined: bool = False) -> None:
    """What Pat's calendar app does: an override of one instance of the series."""
    path = series_file(demo)
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    master = next(c for c in cal.walk("VEVENT") if "RECURRENCE-ID" not in c)
    event = icalendar.Event()
    event.add("uid", str(master["UID"]))
    event.add("recurrence-id", slot)
    begin = start or slot
    event.add("dtstart", begin)
    event.add("dtend", begin + dt.timedelta(minutes=45))
    event.add("summary", str(master["SUMMARY"]))
    event.add("organizer", "mailto:dana@example.com")
    for who in ("dana@example.com", PAT):
        attendee = icalendar.vCalAddress(f"mailto:{who}")
        attendee.params["PARTSTAT"] = "DECLINED" if declined and who == PAT else "ACCEPTED"
        event.add("attendee", attendee)
    if status:
        event.add("status", status)
    cal.add_component(event)
    path.write_bytes(cal.to_ical())


def one_off(demo: Workspace, start: dt.datetime) -> None:
    """A single 1:1 with Pat, made by hand."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//test//EN")
    cal.add("version", "2.0")
    event = icalendar.Event()
    event.add("uid", f"makeup-{start:%m%d}@example.com")
    event.add("dtstart", start)
    event.add("dtend", start + dt.timedelta(minutes=45))
    event.add("summary", "Pat / Dana catch-up")
    event.add("organizer", "mailto:dana@example.com")
    for who in ("dana@example.com", PAT):
        attendee = icalendar.vCalAddress(f"mailto:{who}")
        attendee.params["PARTSTAT"] = "ACCEPTED"
        event.add("attendee", attendee)
    cal.add_component(event)
    (demo.calendar / f"makeup-{start:%m%d}.ics").write_bytes(cal.to_ical())


def markers(text: str) -> list[str]:
    return re.findall(r"<!-- syncd:agenda (\S+)", text)


def write_under(text: str, key: str, heading: str, lines: str) -> str:
    """The lead typing `lines` under `heading` of the section for `key`."""
    start = text.index(f"<!-- syncd:agenda {key}")
    at_heading = text.index(f"### {heading}\n", start) + len(f"### {heading}\n")
    return text[:at_heading] + lines + text[at_heading:]


def report(demo: Workspace, now: str) -> Run:
    return syncd("report", "--config", str(demo.config), "--now", now)


# --- one section per meeting ------------------------------------------------------------


def test_a_moved_meeting_keeps_its_section_and_the_leads_text(pat: Workspace) -> None:
    file = notes_of(pat)
    file.write_text(write_under(file.read_text(), "2026-12-01", "Their topics",
                                "- migration plan\n"))
    before = file.read_text()
    edit_instance(pat, at(1, 10), start=at(30, 14, month=11))
    run = pat.syncd("reconcile", now=NOW)
    assert run.code == 0, run.err
    after = file.read_text()
    assert after.startswith(before)  # nothing the lead wrote moved or changed
    assert markers(after) == ["2026-12-01"]  # no second section for Monday
    assert after[len(before):].strip() == (
        "_↪ The 1:1 prepared under Tue 2026-12-01 now takes place Mon 2026-11-30 14:00._")
    again = pat.syncd("reconcile", now=NOW)
    assert "Nothing to do" in again.out and file.read_text() == after
    # The report reads the moved meeting's agenda from its section: written, no nudge.
    text = report(pat, NOW).out
    assert "agenda written" in text and "run syncd reconcile" not in text


def test_a_make_up_gets_a_section_with_the_open_follow_ups(pat: Workspace) -> None:
    file = notes_of(pat)
    file.write_text(write_under(file.read_text(), "2026-12-01", "Outcome and follow-ups",
                                "- [ ] send migration design doc by Friday\n"
                                "- [x] book the room\n"))
    edit_instance(pat, at(8, 10), status="CANCELLED")
    one_off(pat, at(10, 11))
    run = pat.syncd("reconcile", now="2026-12-02T09:00:00+01:00")
    assert run.code == 0, run.err
    text = file.read_text()
    assert markers(text) == ["2026-12-01", "2026-12-08"]
    section = text[text.index("<!-- syncd:agenda 2026-12-08"):]
    assert section.splitlines()[1] == (
        "## Thu 2026-12-10 11:00 — 1:1 with Pat Report (make-up for Tue 2026-12-08)")
    assert "- [ ] send migration design doc by Friday (from 2026-12-01)" in section
    assert "book the room" not in section  # done items stay where they are


def test_a_meeting_declined_ahead_gets_one_line_and_its_open_items_move_on(pat: Workspace) -> None:
    file = notes_of(pat)
    file.write_text(write_under(file.read_text(), "2026-12-01", "Their topics",
                                "- career ladder\n"))
    edit_instance(pat, at(1, 10), declined=True)
    run = pat.syncd("reconcile", now=NOW)
    assert run.code == 0, run.err
    text = file.read_text()
    assert text.count("is off") == 1
    assert "_✗ The 1:1 of Tue 2026-12-01 10:00 is off (declined by them)" in text
    assert markers(text) == ["2026-12-01", "2026-12-08"]
    next_one = text[text.index("<!-- syncd:agenda 2026-12-08"):]
    assert "- [ ] career ladder (from 2026-12-01)" in next_one
    assert "Nothing to do" in pat.syncd("reconcile", now=NOW).out


def test_a_meeting_cancelled_before_its_section_gets_none(pat: Workspace) -> None:
    edit_instance(pat, at(8, 10), status="CANCELLED")
    assert pat.syncd("reconcile", now="2026-12-02T09:00:00+01:00").code == 0
    assert markers(notes_of(pat).read_text()) == ["2026-12-01", "2026-12-15"]


def test_a_deleted_notes_file_comes_back_with_the_agenda(pat: Workspace) -> None:
    notes_of(pat).unlink()
    assert pat.syncd("reconcile", now=NOW).code == 0
    text = notes_of(pat).read_text()
    assert text.startswith("# 1:1 notes: Pat Report")
    assert markers(text) == ["2026-12-01"]


def test_each_nudge_the_report_prints_is_gone_after_reconcile(pat: Workspace) -> None:
    """A dropped section, a deleted file and a make-up: each nudges, reconcile fixes it."""
    file = notes_of(pat)
    fixed = file.read_text()

    def dropped() -> None:
        text = file.read_text()
        file.write_text(text[:text.index("<!-- syncd:agenda 2026-12-01")])

    def deleted() -> None:
        file.unlink()

    def made_up() -> None:  # the 11-24 slot (before the series) made up on Friday
        one_off(pat, at(27, 9, month=11))

    for name, break_it in (("dropped", dropped), ("deleted", deleted), ("made up", made_up)):
        break_it()
        nudged = report(pat, NOW).out
        assert "no agenda section yet: run syncd reconcile" in nudged, name
        assert pat.syncd("reconcile", now=NOW).code == 0
        assert "no agenda section yet" not in report(pat, NOW).out, name
        file.write_text(fixed)


# --- follow-ups ------------------------------------------------------------------------


def test_an_item_carried_three_times_is_stale_in_the_report(pat: Workspace) -> None:
    file = notes_of(pat)
    file.write_text(write_under(file.read_text(), "2026-12-01", "Outcome and follow-ups",
                                "- [ ] send migration design doc\n- [ ] ask about budget\n"))
    for day in ("2026-12-02", "2026-12-09", "2026-12-16"):
        if day == "2026-12-09":  # in the 12-08 meeting the lead ticks one carried item
            file.write_text(file.read_text().replace(
                "- [ ] ask about budget (from 2026-12-01)", "- [x] ask about budget (from "
                "2026-12-01)"))
        assert pat.syncd("reconcile", now=f"{day}T09:00:00+01:00").code == 0
    text = file.read_text()
    last = text[text.index("<!-- syncd:agenda 2026-12-22"):]
    assert "- [ ] send migration design doc (from 2026-12-01, carried 3 times)" in last
    assert "ask about budget" not in last
    out = report(pat, "2026-12-16T09:00:00+01:00").out
    assert ("stale follow-ups: send migration design doc (since 2026-12-01, carried 3 times)"
            in out)
    data = syncd("report", "--config", str(pat.config), "--now", "2026-12-16T09:00:00+01:00",
                 "--format", "json").json()
    jsonschema.validate(data, json.loads((ROOT / "docs" / "report-schema.json").read_text()))
    assert data["next_week"][0]["stale_follow_ups"] == [
        {"text": "send migration design doc", "since": "2026-12-01", "carried": 3}]
    # Carrying copies: every earlier section still reads as the lead left it.
    assert text.count("- [ ] send migration design doc") == 4


# --- templates -----------------------------------------------------------------------------


def test_each_role_gets_its_template_and_a_custom_file_replaces_one(demo: Workspace) -> None:
    for file in demo.calendar.iterdir():
        file.unlink()
    (demo.root / "manager.md").write_text("### What I need from you\n- \n\n### Outcome\n- \n")
    people = (
        "people:\n"
        "  - {name: Erin Boss, email: erin@example.com, role: manager, cadence: weekly, "
        "slot: {day: tue, time: '10:00'}}\n"
        "  - {name: Nia New, email: nia@example.com, onboarding_until: 2027-01-31, "
        "cadence: weekly, slot: {day: wed, time: '10:00'}}\n"
        "  - {name: Sam Skip, email: sam@example.com, role: skip-level, cadence: weekly, "
        "slot: {day: thu, time: '10:00'}}\n")
    demo.write_config(people, extra="")
    assert demo.syncd("reconcile", now=NOW).code == 0
    sam = (demo.notes / "sam@example.com.md").read_text()
    nia = (demo.notes / "nia@example.com.md").read_text()
    erin = (demo.notes / "erin@example.com.md").read_text()
    assert "### What would make work better" in sam
    assert "### Setup blockers" in nia and "### Who they have met" in nia
    assert "### Career\n" in erin and "### To improve" not in erin
    config = demo.config.read_text().replace(
        "notes: {kind: markdown, path: notes}",
        "notes: {kind: markdown, path: notes2, templates: {manager: manager.md}}")
    demo.config.write_text(config)
    assert demo.syncd("reconcile", now=NOW).code == 0
    custom = (demo.root / "notes2" / "erin@example.com.md").read_text()
    assert "### What I need from you" in custom and "### Career\n" not in custom


def test_a_bad_template_is_refused_with_its_line(demo: Workspace) -> None:
    demo.write_config(PEOPLE % "")
    text = demo.config.read_text()
    demo.config.write_text(text.replace(
        "notes: {kind: markdown, path: notes}",
        "notes: {kind: markdown, path: notes, templates: {manager: nowhere.md}}"))
    run = demo.syncd("reconcile", now=NOW)
    line = next(i for i, t in enumerate(demo.config.read_text().splitlines(), 1)
                if "nowhere.md" in t)
    assert run.code == 2
    assert run.err.strip() == (f"{demo.config}:{line}: notes.templates.manager: template file "
                               f"{demo.root.resolve() / 'nowhere.md'} not found")
    (demo.root / "nowhere.md").write_text("### Fine\n- \nPlease write your feedback here\n")
    run = demo.syncd("reconcile", now=NOW)
    assert run.code == 2 and "nowhere.md line 3: a template holds" in run.err
    assert not demo.notes.exists() or not any(demo.notes.iterdir())
