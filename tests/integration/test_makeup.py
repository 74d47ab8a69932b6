"""`syncd makeup`: a one-off 1:1 booked for a skipped one, once, with its notes and agenda;
and `makeups: {book: auto}` in reconcile."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import icalendar
import pytest

from syncd import makeup
from syncd import reconcile as reconciling
from syncd.backends import open_backends
from syncd.calendars.local import LocalCalendar
from syncd.config import load_config
from syncd.core import identity
from syncd.core.model import Series
from syncd.notes.markdown import MarkdownNotes
from syncd.state import State
from tests.integration.gdemo import OWNER, GoogleDemo
from tests.integration.test_crash_safety import Crash, CrashingCalendar, CrashingNotes, Writes
from tests.integration.test_reconcile_local import read_calendar
from tests.workspace import Workspace, snapshot, syncd

# Ana weekly on Tuesdays at 10:00 from 2026-12-01; the lead removed the 1:1 of 2026-12-08.
ANA = """\
people:
  - name: Ana Ruiz
    email: ana@example.com
    cadence: weekly
    start: 2026-12-01
    slot: {day: tue, time: "10:00"}
    preferences: {days: [mon, wed, thu, fri], earliest: "10:00"}
"""
FIRST = "2026-11-30T09:00:00+01:00"  # the series is created
WEDNESDAY = "2026-12-09T09:00:00+01:00"  # the day after the skipped 1:1
SKIPPED = dt.datetime(2026, 12, 8, 9, 0, tzinfo=dt.UTC)
PLANNING = """\
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:planning@example.com
DTSTART;TZID=Europe/Berlin:20261209T100000
DTEND;TZID=Europe/Berlin:20261209T110000
SUMMARY:Planning
END:VEVENT
END:VCALENDAR
"""


def makeups(folder: Path, email: str = "ana@example.com") -> list[Series]:
    """The one-off make-ups syncd booked for `email` in the calendar folder."""
    key = identity.person_key(email)
    return [s for s in read_calendar(folder) if (p := identity.parse_makeup_marker(s.marker))
            and p[0] == key]


def skip_the_8th(demo: Workspace) -> None:
    """Reconcile once (the series is created), then the lead removes the 8 December 1:1."""
    for old in demo.calendar.iterdir():
        old.unlink()
    demo.calendar.joinpath("planning.ics").write_text(PLANNING)
    demo.write_config(ANA)
    assert demo.syncd("reconcile", now=FIRST).code == 0
    (path,) = [p for p in demo.calendar.iterdir() if p.name.endswith("-1@syncd.ics")]
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    (master,) = calendar.walk("VEVENT")
    master.add("EXDATE", dt.datetime(2026, 12, 8, 10, 0,
                                     tzinfo=dt.timezone(dt.timedelta(hours=1))))
    path.write_bytes(calendar.to_ical())


def test_makeup_books_the_first_free_slot_once_with_notes_link_and_agenda(demo: Workspace) -> None:
    skip_the_8th(demo)
    run = demo.syncd("makeup", "ana@example.com", "--first-free", now=WEDNESDAY)
    assert run.code == 0, run.out + run.err
    assert "book-makeup" in run.out
    (booked,) = makeups(demo.calendar)
    # 10:00 is the planning meeting: the first free start after it, as suggest offers.
    assert booked.start == dt.datetime.fromisoformat("2026-12-09T11:00:00+01:00")
    assert booked.rrule == ""
    assert {a.email for a in booked.attendees} == {"dana@example.com", "ana@example.com"}
    notes = demo.notes / "ana@example.com.md"
    assert booked.notes_url == notes.as_uri()
    assert "## Wed 2026-12-09 11:00 — 1:1 with Ana Ruiz (make-up for Tue 2026-12-08)" in \
        notes.read_text()
    # The skip counts as made up: nothing left to suggest, status shows it rescheduled.
    assert demo.syncd("suggest", "ana@example.com", now=WEDNESDAY).out == \
        "Ana Ruiz: no skipped 1:1 to make up\n"
    log = demo.syncd("log").out
    assert f"book-makeup    ana@example.com  {booked.uid}" in log
    # Idempotent: a second run books nothing and writes nothing.
    before = snapshot(demo.root)
    again = demo.syncd("makeup", "ana@example.com", "--first-free", now=WEDNESDAY)
    assert again.code == 0, again.err
    assert again.out.splitlines()[0] == \
        "Ana Ruiz: no skipped 1:1 left to make up (make-up booked: Wed 2026-12-09 11:00)"
    assert snapshot(demo.calendar) == {k[9:]: v for k, v in before.items()
                                       if k.startswith("calendar/")}
    assert snapshot(demo.notes) == {k[6:]: v for k, v in before.items()
                                    if k.startswith("notes/")}
    # A reconcile leaves the make-up as it is and plans nothing for it.
    assert demo.syncd("reconcile", "--dry-run", "--json", now=WEDNESDAY).json()["actions"] == []


def test_makeup_dry_run_writes_nothing(demo: Workspace) -> None:
    skip_the_8th(demo)
    before = snapshot(demo.root)
    run = demo.syncd("makeup", "Ana Ruiz", "--at", "2026-12-10T14:00", "--dry-run",
                     now=WEDNESDAY)
    assert run.code == 0, run.err
    assert "book a make-up on Thu 2026-12-10 14:00 CET for Tue 2026-12-08 10:00 CET" in run.out
    assert snapshot(demo.root) == before


def test_makeup_at_a_busy_or_late_time_is_refused_unless_anyway(demo: Workspace) -> None:
    skip_the_8th(demo)
    before = snapshot(demo.root)
    busy = demo.syncd("makeup", "ana@example.com", "--at", "2026-12-09T10:30", now=WEDNESDAY)
    assert busy.code == 1
    assert busy.err == ("syncd: makeup: Ana Ruiz: not booked at Wed 2026-12-09 10:30: it "
                        "overlaps 'Planning' (Wed 10:00-11:00); pick another time (syncd "
                        "suggest ana@example.com) or add --anyway\n")
    late = demo.syncd("makeup", "ana@example.com", "--at", "2026-12-10T17:30", now=WEDNESDAY)
    assert late.code == 1
    assert "outside your working hours (08:00-18:00)" in late.err
    after = demo.syncd("makeup", "ana@example.com", "--at", "2026-12-15T14:00", now=WEDNESDAY)
    assert after.code == 1
    assert "is not before the next regular 1:1 (Tue 2026-12-15 10:00)" in after.err
    assert snapshot(demo.root) == before
    anyway = demo.syncd("makeup", "ana@example.com", "--at", "2026-12-09T10:30", "--anyway",
                        now=WEDNESDAY)
    assert anyway.code == 0, anyway.err
    (booked,) = makeups(demo.calendar)
    assert booked.start == dt.datetime.fromisoformat("2026-12-09T10:30:00+01:00")


def test_makeup_needs_either_at_or_first_free(demo: Workspace) -> None:
    demo.write_config(ANA)
    run = demo.syncd("makeup", "ana@example.com", now=WEDNESDAY)
    assert run.code == 2
    assert "give either --at ISO or --first-free" in run.err


@pytest.mark.parametrize("k", range(1, 3))
def test_a_crash_after_each_write_of_a_booking_converges_on_the_next_run(
        demo: Workspace, k: int) -> None:
    skip_the_8th(demo)
    config = load_config(demo.config)
    now = dt.datetime.fromisoformat(WEDNESDAY)
    state = State.open(demo.state)
    choice = makeup.choose(config, state, "ana@example.com", now, None, anyway=False)
    assert choice.request is not None
    writes = Writes(k)  # the make-up event, its agenda section (the notes file exists)
    with pytest.raises(Crash):
        reconciling.reconcile(
            config, state, now, dry_run=False, force=False, makeups=[choice.request],
            keep=makeup.serving(choice),
            calendar=CrashingCalendar(LocalCalendar(demo.calendar, "Europe/Berlin"), writes),
            notes=CrashingNotes(MarkdownNotes(demo.notes), writes))
    state.close()
    run = demo.syncd("makeup", "ana@example.com", "--first-free", now=WEDNESDAY)
    assert run.code == 0, run.out + run.err
    (booked,) = makeups(demo.calendar)
    assert booked.start == dt.datetime.fromisoformat("2026-12-09T11:00:00+01:00")
    notes = (demo.notes / "ana@example.com.md").read_text()
    assert notes.count("(make-up for Tue 2026-12-08)") == 1
    state = State.open_readonly(demo.state)
    assert [m.uid for m in state.memory().makeups] == [booked.uid]
    state.close()
    assert demo.syncd("reconcile", "--dry-run", "--json", now=WEDNESDAY).json()["actions"] == []


def test_on_a_read_only_feed_suggest_works_and_makeup_explains(demo: Workspace) -> None:
    feed = demo.root / "feed.ics"
    feed.write_text(PLANNING)
    demo.write_config(ANA)
    demo.config.write_text(demo.config.read_text().replace(
        "calendar: {kind: local, path: calendar}",
        f"calendar: {{kind: ics, path: {feed}}}"))
    assert "kind: ics" in demo.config.read_text()
    assert demo.syncd("suggest", "ana@example.com", now=WEDNESDAY).code == 0
    run = demo.syncd("makeup", "ana@example.com", "--first-free", now=WEDNESDAY)
    assert run.code == 1
    assert run.err == ("syncd: makeup: Ana Ruiz: the calendar is a read-only ICS feed, so "
                       "syncd cannot book a make-up there: add one yourself; the first free "
                       "slot is Wed 2026-12-09 10:00 (syncd suggest lists more)\n")
    # (10:00: a feed is filtered on read to the roster's events, so Planning is not seen.)
    demo.config.write_text(demo.config.read_text() + "makeups: {book: auto}\n")
    refused = demo.syncd("validate")
    assert refused.code == 2
    assert "makeups.book: auto needs a calendar syncd can write" in refused.err


# Ana skipped 22 December; she prefers Fridays and Mondays; 25 December is a holiday in DE
# and the lead is away on Monday 28 December.
CHRISTMAS = ANA.replace("days: [mon, wed, thu, fri]", "days: [fri, mon]")
PTO_28 = """\
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:pto@example.com
DTSTART;VALUE=DATE:20261228
DTEND;VALUE=DATE:20261229
SUMMARY:PTO
END:VEVENT
END:VCALENDAR
"""


def test_no_makeup_is_booked_into_a_holiday_or_out_of_office(demo: Workspace) -> None:
    for old in demo.calendar.iterdir():
        old.unlink()
    demo.write_config(CHRISTMAS, extra="holidays: {country: DE}\n")
    now = "2026-12-23T09:00:00+01:00"
    run = demo.syncd("makeup", "ana@example.com", "--first-free", "--dry-run", now=now)
    assert run.code == 0, run.err
    assert "book a make-up on Mon 2026-12-28 10:00 CET for Tue 2026-12-22 10:00 CET" in run.out
    holiday = demo.syncd("makeup", "ana@example.com", "--at", "2026-12-25T10:00", now=now)
    assert holiday.code == 1
    assert "1:1s are paused that day (holiday: Christmas Day)" in holiday.err
    demo.calendar.joinpath("pto.ics").write_text(PTO_28)
    demo.write_config(CHRISTMAS, extra="holidays: {country: DE}\n"
                                       "out_of_office: {title: PTO}\n")
    none = demo.syncd("makeup", "ana@example.com", "--first-free", now=now)
    assert none.code == 1
    assert none.err == ("syncd: makeup: Ana Ruiz: no free slot to make up Tue 2026-12-22 "
                        "10:00 before the next 1:1 on Tue 2026-12-29 10:00; nothing booked "
                        "(pick a time with --at and --anyway)\n")
    assert makeups(demo.calendar) == []


def test_book_auto_books_a_past_skip_once_and_never_again_after_it_is_deleted(
        demo: Workspace) -> None:
    skip_the_8th(demo)
    demo.write_config(ANA, extra="makeups: {book: auto, within: 2d}\n")
    run = demo.syncd("reconcile", now=WEDNESDAY)
    assert run.code == 0, run.out + run.err
    (booked,) = makeups(demo.calendar)
    assert booked.start == dt.datetime.fromisoformat("2026-12-09T11:00:00+01:00")
    assert "(make-up for Tue 2026-12-08)" in (demo.notes / "ana@example.com.md").read_text()
    assert demo.syncd("reconcile", "--dry-run", "--json", now=WEDNESDAY).json()["actions"] == []
    # The person deletes it: that is their decision, not a gap to fill again.
    next(p for p in demo.calendar.iterdir() if booked.uid in p.name).unlink()
    again = demo.syncd("reconcile", "--dry-run", "--json", now=WEDNESDAY).json()
    # Only the next regular 1:1's agenda, now that no make-up comes before it.
    assert [(a["action"], a["when"]) for a in again["actions"]] == [
        ("prepare-notes", "2026-12-15")]


def test_book_auto_waits_for_a_free_slot_within_its_horizon(demo: Workspace) -> None:
    skip_the_8th(demo)
    # Free only from Friday: more than a day after the skipped slot.
    demo.write_config(ANA.replace("days: [mon, wed, thu, fri]", "days: [fri]"),
                      extra="makeups: {book: auto, within: 1d}\n")
    plan = demo.syncd("reconcile", "--dry-run", "--json", now=WEDNESDAY).json()
    assert "book-makeup" not in [a["action"] for a in plan["actions"]]


# --- on the Google emulator -------------------------------------------------------------


def google_makeups(g: GoogleDemo) -> list[dict[str, Any]]:
    """The one-off events syncd booked on the emulator's calendar."""
    (calendar,) = [c for c in g.emu.state()["calendars"] if c["id"] == OWNER]
    return [e for e in calendar["events"] if e.get("status") != "cancelled"
            and identity.parse_makeup_marker(
                e.get("extendedProperties", {}).get("private", {}).get("syncdId", ""))]


def writes_since(g: GoogleDemo, mark: int) -> list[tuple[str, str]]:
    """Writes to the emulator since `mark` (a free/busy query is a POST that reads)."""
    return [w for w in g.writes_since(mark) if not w[1].endswith("/freeBusy")]


def test_makeup_on_google_books_once_with_invitation_and_notes(g: GoogleDemo) -> None:
    g.write_config(people=ANA)
    g.emu.seed({"calendars": [{"id": OWNER, "timeZone": "Europe/Berlin", "events": []},
                              {"id": "ana@example.com", "events": []}]})
    mark = len(g.emu.requests())
    dry = g.syncd("makeup", "ana@example.com", "--first-free", "--dry-run", now=WEDNESDAY)
    assert dry.code == 0, dry.err
    assert "book a make-up on Wed 2026-12-09 10:00 CET" in dry.out
    assert writes_since(g, mark) == []
    run = g.syncd("makeup", "ana@example.com", "--first-free", now=WEDNESDAY)
    assert run.code == 0, run.out + run.err
    (event,) = google_makeups(g)
    assert "recurrence" not in event
    assert event["start"]["dateTime"].startswith("2026-12-09T10:00:00")
    assert {a["email"] for a in event["attendees"]} == {OWNER, "ana@example.com"}
    (doc,) = [f for f in g.emu.state()["files"] if not f.get("trashed")]
    assert doc["id"] in event["extendedProperties"]["private"]["syncdNotes"]
    inserts = [r for r in g.emu.requests()[mark:]
               if r["method"] == "POST" and r["path"].endswith("/events")]
    assert [r["query"].get("sendUpdates") for r in inserts] == ["all"]  # Ana is invited
    # Idempotent: the next run writes nothing at all.
    mark = len(g.emu.requests())
    again = g.syncd("makeup", "ana@example.com", "--first-free", now=WEDNESDAY)
    assert again.code == 0, again.err
    assert again.out.startswith("Ana Ruiz: no skipped 1:1 left to make up")
    assert writes_since(g, mark) == []


def test_a_crash_after_booking_on_google_converges(g: GoogleDemo) -> None:
    g.write_config(people=ANA)
    g.emu.seed({"calendars": [{"id": OWNER, "timeZone": "Europe/Berlin", "events": []},
                              {"id": "ana@example.com", "events": []}]})
    config = load_config(g.config)
    now = dt.datetime.fromisoformat(WEDNESDAY)
    state = State.open(g.root / "state")
    choice = makeup.choose(config, state, "ana@example.com", now, None, anyway=False)
    assert choice.request is not None
    calendar, notes = open_backends(config, state)
    writes = Writes(1)  # the notes document is not a calendar write: die after the booking
    with pytest.raises(Crash):
        reconciling.reconcile(config, state, now, dry_run=False, force=False,
                              makeups=[choice.request], keep=makeup.serving(choice),
                              calendar=CrashingCalendar(calendar, writes), notes=notes)
    state.close()
    run = g.syncd("makeup", "ana@example.com", "--first-free", now=WEDNESDAY)
    assert run.code == 0, run.out + run.err
    (event,) = google_makeups(g)
    assert event["start"]["dateTime"].startswith("2026-12-09T10:00:00")
    assert "recover-makeup" in syncd("log", "--config", str(g.config)).out
    plan = g.syncd("reconcile", "--dry-run", "--json", now=WEDNESDAY).json()
    # The series is still to be created (the make-up run does nothing else); no second make-up.
    assert [a["action"] for a in plan["actions"]] == ["create-series", "attach-notes"]


def test_makeup_on_google_skips_the_leads_out_of_office_day_and_a_holiday(
        g: GoogleDemo) -> None:
    g.write_config(people=CHRISTMAS)
    g.config.write_text(g.config.read_text().replace(
        "people:", "holidays: {country: DE}\npeople:"))
    # Monday the 28th out of office; Friday the 25th is Christmas Day: nothing is free
    # before the next 1:1 on Tuesday the 29th.
    g.emu.seed({"calendars": [{"id": OWNER, "timeZone": "Europe/Berlin", "events": [{
        "summary": "Out of office", "eventType": "outOfOffice",
        "start": {"dateTime": "2026-12-28T00:00:00+01:00"},
        "end": {"dateTime": "2026-12-29T00:00:00+01:00"}}]}]})
    now = "2026-12-23T09:00:00+01:00"
    mark = len(g.emu.requests())
    run = g.syncd("makeup", "ana@example.com", "--first-free", now=now)
    assert run.code == 1
    assert "no free slot to make up Tue 2026-12-22 10:00 before the next 1:1" in run.err
    assert writes_since(g, mark) == []
    assert google_makeups(g) == []
