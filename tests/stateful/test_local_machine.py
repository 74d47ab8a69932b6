"""The local backend (a folder of .ics files + Markdown notes) under arbitrary sequences of
roster changes, a person's calendar and notes edits, failing or crashing writes and
reconcile runs. syncd runs through its real CLI; a person edits the files directly."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import icalendar
from hypothesis import strategies as st
from hypothesis.stateful import rule

from syncd.calendars.local import LocalCalendar
from syncd.core import cadence, identity, planner
from syncd.core.model import Series
from syncd.notes import text as notes_text
from tests.stateful import roster as R
from tests.stateful.conftest import profile
from tests.stateful.crashing import CRASH_EXIT
from tests.stateful.machine import ZONE_INFO, RosterMachine
from tests.workspace import ROOT, Workspace

ZONE = R.ZONE
MARKER = b"X-SYNCD-ID"


def _ics(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.ics"))}


def _overrides(data: bytes) -> dict[tuple[str, str], bytes]:
    """(uid, recurrence id) → the override VEVENT as icalendar writes it back."""
    calendar = icalendar.Calendar.from_ical(data)
    return {(str(c["UID"]), _rid(c.decoded("RECURRENCE-ID"))): c.to_ical()
            for c in calendar.walk("VEVENT") if "RECURRENCE-ID" in c}


def _master(calendar: icalendar.Calendar, uid: str) -> icalendar.cal.Component:
    return next(c for c in calendar.walk("VEVENT")
                if str(c["UID"]) == uid and "RECURRENCE-ID" not in c)


class LocalMachine(RosterMachine):
    """The lead's roster, the lead's and their people's calendar edits, and syncd runs."""

    def __init__(self) -> None:
        super().__init__()
        # What people wrote, to find again after every run (and, in the base, titles,
        # descriptions and the lead's notes lines by notes file).
        self.edits: dict[str, dict[tuple[str, str], bytes]] = {}  # file → overrides
        # Files syncd must never change: copies of its series, events a person replaced
        # under an owned UID, 1:1s the other person organizes.
        self.foreign: dict[str, bytes] = {}
        self.copies: set[str] = set()  # uids of copies (they carry syncd's marker)
        self.moved: dict[str, dt.datetime] = {}  # uid → the start a person moved it to
        self.follow_ups: dict[str, list[str]] = {}  # notes file → task items the lead wrote
        self.handmade = 0
        self.makeups = 0
        self.write_config()

    def workspace(self, root: Path) -> Workspace:
        return Workspace.demo(root)

    # --- the world -----------------------------------------------------------------

    @property
    def calendar(self) -> Path:
        return self.ws.calendar

    @property
    def notes(self) -> Path:
        return self.ws.notes

    def series(self) -> tuple[Series, ...]:
        return LocalCalendar(self.calendar, ZONE).read(*planner.read_window(self.now))

    def read_calendar(self) -> tuple[Series, ...]:
        return self.series()

    def live_owned(self, email: str, calendar: tuple[Series, ...] | None = None
                   ) -> list[Series]:
        """The person's current series syncd owns: live, not a person's copy, and not one whose
        meetings ahead all come before another's first (syncd ended it; a clock stepped back
        sees it again, or a replacement waits for it)."""
        key = identity.person_key(email) + "-"
        read = self.series() if calendar is None else calendar
        found = [s for s in read if s.marker.startswith(key)
                 and s.uid not in self.copies and planner.is_live(s, self.now)]
        spans = {}
        for series in found:
            ahead = cadence.expand(series.rrule, series.start, self.now,
                                   self.now + planner.HORIZON) or [series.start]
            spans[series.uid] = (ahead[0], ahead[-1])
        return [s for s in found if not any(
            o.uid != s.uid and spans[s.uid][1] < spans[o.uid][0] for o in found)]

    def file_of(self, uid: str) -> Path:
        (path,) = [p for p in self.calendar.glob("*.ics") if uid.encode() in p.read_bytes()]
        return path

    # --- a person's calendar and notes ---------------------------------------------------

    def _future_instance(self, email: str, nth: int) -> tuple[Series, dt.datetime] | None:
        """An untouched future occurrence of one of the person's live owned series."""
        owned = self.live_owned(email)
        if not owned:
            return None
        series = owned[-1]
        edited = {key[1] for key in _overrides(self.file_of(series.uid).read_bytes())}
        slots = [i.recurrence_id for i in series.instances if i.recurrence_id > self.now
                 and _rid(i.recurrence_id) not in edited]
        return (series, slots[nth % len(slots)]) if slots else None

    def edit_instance(self, email: str, nth: int, *, shift: dt.timedelta = dt.timedelta(0),
                      status: str = "CONFIRMED", partstat: str = "ACCEPTED") -> None:
        """An override VEVENT in the series' file, as a calendar app writes it."""
        found = self._future_instance(email, nth)
        if found is None:
            return
        series, slot = found
        path = self.file_of(series.uid)
        calendar = icalendar.Calendar.from_ical(path.read_bytes())
        master = _master(calendar, series.uid)
        local = slot.astimezone(ZONE_INFO)
        event = icalendar.Event()
        event.add("UID", series.uid)
        event.add("RECURRENCE-ID", local)
        event.add("DTSTART", local + shift)
        event.add("DTEND", local + shift + series.duration)
        event.add("DTSTAMP", dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
        event.add("SEQUENCE", 1)
        event.add("SUMMARY", str(master.get("SUMMARY", "")))
        event.add("STATUS", status)
        event.add("ORGANIZER", f"mailto:{R.OWNER}")
        event.add("ATTENDEE", f"mailto:{R.OWNER}", parameters={"PARTSTAT": "ACCEPTED"})
        event.add("ATTENDEE", f"mailto:{email}", parameters={"PARTSTAT": partstat})
        calendar.add_component(event)
        path.write_bytes(calendar.to_ical())
        self.edits.setdefault(path.name, {}).update(_overrides(path.read_bytes()))

    @rule(email=R.emails)
    def delete_series(self, email: str) -> None:
        """The person deletes the whole series (its file) from their calendar."""
        for series in self.live_owned(email):
            path = self.file_of(series.uid)
            self.edits.pop(path.name, None)
            self.descriptions.pop(series.uid, None)
            self.titles.pop(series.uid, None)
            path.unlink()

    @rule(email=R.emails, words=st.sampled_from(["Room 4.2", "Bring the roadmap", "Ünïcödé ✓"]))
    def edit_series(self, email: str, words: str) -> None:
        """A person retitles the series and adds a line to its description."""
        for series in self.live_owned(email)[-1:]:
            path = self.file_of(series.uid)
            calendar = icalendar.Calendar.from_ical(path.read_bytes())
            master = _master(calendar, series.uid)
            line = f"{words} ({len(self.descriptions)})"
            text = str(master.get("DESCRIPTION", ""))
            master.pop("DESCRIPTION", None)
            master.add("DESCRIPTION", f"{text}\n{line}" if text else line)
            master.pop("SUMMARY", None)
            master.add("SUMMARY", f"{words}: 1:1")
            path.write_bytes(calendar.to_ical())
            self.descriptions[series.uid] = line
            if not identity.created_by_syncd(series.uid, series.marker):
                self.titles[series.uid] = f"{words}: 1:1"

    @rule(email=R.emails, follows=st.booleans(), minutes=R.durations)
    def make_handmade_series(self, email: str, follows: bool, minutes: int) -> None:
        """The lead makes a recurring 1:1 by hand: on the roster's slot, or an hour off it,
        of any length."""
        entry = self.roster.get(email, R.POOL[email])
        first = R.first_slot(entry)
        if not follows:
            first += dt.timedelta(hours=1)
        rule_text = {"weekly": f"FREQ=WEEKLY;BYDAY={entry.day[:2].upper()}",
                     "biweekly": f"FREQ=WEEKLY;INTERVAL=2;BYDAY={entry.day[:2].upper()}",
                     "monthly": f"FREQ=MONTHLY;BYDAY=1{entry.day[:2].upper()}"}[entry.cadence]
        self.handmade += 1
        event = icalendar.Event()
        event.add("UID", f"handmade-{self.handmade}@example.com")
        event.add("DTSTART", first)
        event.add("DTEND", first + dt.timedelta(minutes=minutes))
        event.add("DTSTAMP", dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
        event.add("RRULE", icalendar.vRecur.from_ical(rule_text))
        event.add("SUMMARY", f"{entry.name.split()[0]} & Dana")
        event.add("ORGANIZER", f"mailto:{R.OWNER}")
        event.add("ATTENDEE", f"mailto:{R.OWNER}", parameters={"PARTSTAT": "ACCEPTED"})
        event.add("ATTENDEE", f"mailto:{email}", parameters={"PARTSTAT": "ACCEPTED"})
        calendar = icalendar.Calendar()
        calendar.add("PRODID", "-//A calendar app//EN")
        calendar.add("VERSION", "2.0")
        calendar.add_component(event)
        (self.calendar / f"handmade-{self.handmade}.ics").write_bytes(calendar.to_ical())
        self.titles[f"handmade-{self.handmade}@example.com"] = str(event["SUMMARY"])

    @rule(email=R.emails)
    def copy_series(self, email: str) -> None:
        """A calendar app duplicates the person's series: a new UID, the marker copied along."""
        for series in self.live_owned(email)[-1:]:
            path = self.file_of(series.uid)
            uid = f"copy-{len(self.copies)}@app.example"
            data = path.read_bytes().replace(series.uid.encode(), uid.encode())
            copy = self.calendar / f"copy-{len(self.copies)}.ics"
            copy.write_bytes(data)
            self.copies.add(uid)
            self.foreign[copy.name] = data

    @rule(email=R.emails)
    def replace_series(self, email: str) -> None:
        """Another event takes the series' place under its UID: no marker, other people, another
        title and time."""
        for series in self.live_owned(email)[-1:]:
            path = self.file_of(series.uid)
            calendar = icalendar.Calendar()
            calendar.add("PRODID", "-//A calendar app//EN")
            calendar.add("VERSION", "2.0")
            event = icalendar.Event()
            event.add("UID", series.uid)
            first = series.start.astimezone(ZONE_INFO) + dt.timedelta(days=1, hours=2)
            event.add("DTSTART", first)
            event.add("DTEND", first + dt.timedelta(hours=1))
            event.add("DTSTAMP", dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
            event.add("RRULE", icalendar.vRecur.from_ical(
                f"FREQ=WEEKLY;BYDAY={first.strftime('%a')[:2].upper()}"))
            event.add("SUMMARY", "Team planning")
            event.add("ORGANIZER", f"mailto:{R.OWNER}")
            for who in (R.OWNER, email, "team-lead@example.org"):
                event.add("ATTENDEE", f"mailto:{who}", parameters={"PARTSTAT": "ACCEPTED"})
            calendar.add_component(event)
            path.write_bytes(calendar.to_ical())
            self.edits.pop(path.name, None)
            self.descriptions.pop(series.uid, None)
            self.titles.pop(series.uid, None)
            self.moved.pop(series.uid, None)
            self.foreign[path.name] = path.read_bytes()

    @rule(email=R.emails, shift=st.sampled_from([dt.timedelta(hours=1), dt.timedelta(hours=-2),
                                                 dt.timedelta(days=1)]))
    def move_series(self, email: str, shift: dt.timedelta) -> None:
        """The person moves the whole series (time, or weekday too)."""
        for series in self.live_owned(email)[-1:]:
            path = self.file_of(series.uid)
            calendar = icalendar.Calendar.from_ical(path.read_bytes())
            master = _master(calendar, series.uid)
            if "UNTIL=" in series.rrule or not series.rrule:
                return
            start = series.start.astimezone(ZONE_INFO) + shift
            old_day = series.start.astimezone(ZONE_INFO).strftime("%a")[:2].upper()
            new_day = start.strftime("%a")[:2].upper()
            for name, value in (("DTSTART", start), ("DTEND", start + series.duration)):
                master.pop(name)
                master.add(name, value)
            parts = [p.replace(old_day, new_day) if p.startswith("BYDAY=") else p
                     for p in series.rrule.split(";")]
            master.pop("RRULE")
            master.add("RRULE", icalendar.vRecur.from_ical(";".join(parts)))
            path.write_bytes(calendar.to_ical())
            self.moved[series.uid] = start

    @rule(email=R.emails, follows=st.booleans())
    def person_organizes_series(self, email: str, follows: bool) -> None:
        """The other person organizes a recurring 1:1 and invites the lead."""
        entry = self.roster.get(email, R.POOL[email])
        first = R.first_slot(entry) + (dt.timedelta(0) if follows else dt.timedelta(hours=1))
        rule_text = {"weekly": f"FREQ=WEEKLY;BYDAY={entry.day[:2].upper()}",
                     "biweekly": f"FREQ=WEEKLY;INTERVAL=2;BYDAY={entry.day[:2].upper()}",
                     "monthly": f"FREQ=MONTHLY;BYDAY=1{entry.day[:2].upper()}"}[entry.cadence]
        self.handmade += 1
        event = icalendar.Event()
        event.add("UID", f"theirs-{self.handmade}@example.org")
        event.add("DTSTART", first)
        event.add("DTEND", first + dt.timedelta(minutes=50))
        event.add("DTSTAMP", dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
        event.add("RRULE", icalendar.vRecur.from_ical(rule_text))
        event.add("SUMMARY", f"{entry.name.split()[0]}'s 1:1 with Dana")
        event.add("ORGANIZER", f"mailto:{email}")
        event.add("ATTENDEE", f"mailto:{email}", parameters={"PARTSTAT": "ACCEPTED"})
        event.add("ATTENDEE", f"mailto:{R.OWNER}", parameters={"PARTSTAT": "ACCEPTED"})
        calendar = icalendar.Calendar()
        calendar.add("PRODID", "-//Another calendar app//EN")
        calendar.add("VERSION", "2.0")
        calendar.add_component(event)
        path = self.calendar / f"theirs-{self.handmade}.ics"
        path.write_bytes(calendar.to_ical())
        self.foreign[path.name] = path.read_bytes()

    @rule()
    def empty_calendar_for_one_run(self) -> None:
        """The calendar folder reads empty for one run (an unmounted share): refused, nothing
        written; then the files are back."""
        if not any(self.live_owned(email) for email in R.EMAILS):
            return
        away = self.root / "away"
        shutil.move(self.calendar, away)
        self.calendar.mkdir()
        notes = self.snapshot()[1]
        run = self.syncd("reconcile", "--json")
        assert run.code == 1, run.out
        assert run.json()["refused"], run.out
        assert list(self.calendar.iterdir()) == []
        assert self.snapshot()[1] == notes
        self.calendar.rmdir()
        shutil.move(away, self.calendar)

    @rule(days=st.integers(1, 10))
    def clock_steps_back(self, days: int) -> None:
        self.now -= dt.timedelta(days=days)

    @rule(email=R.emails)
    def write_notes(self, email: str) -> None:
        """The lead types private notes at the end of a person's notes file."""
        path = self.notes / f"{email}.md"
        if path.is_file() and path.stat().st_size:
            line = f"- private: {email} said something ({len(self.notes_lines)})\n"
            with path.open("a") as handle:
                handle.write(line)
            self.notes_lines[path.name] = line

    @rule(email=R.emails, days=st.integers(1, 3), hour=st.sampled_from([9, 15]))
    def make_up(self, email: str, days: int, hour: int) -> None:
        """The person cancels their next 1:1 and makes it up with a one-off days later."""
        found = self._future_instance(email, 0)
        if found is None:
            return
        series, slot = found
        self.edit_instance(email, 0, status="CANCELLED")
        start = (slot.astimezone(ZONE_INFO) + dt.timedelta(days=days)).replace(hour=hour)
        self.makeups += 1
        event = icalendar.Event()
        event.add("UID", f"makeup-{self.makeups}@example.com")
        event.add("DTSTART", start)
        event.add("DTEND", start + series.duration)
        event.add("DTSTAMP", dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
        event.add("SUMMARY", "Catch-up")
        event.add("ORGANIZER", f"mailto:{R.OWNER}")
        event.add("ATTENDEE", f"mailto:{R.OWNER}", parameters={"PARTSTAT": "ACCEPTED"})
        event.add("ATTENDEE", f"mailto:{email}", parameters={"PARTSTAT": "ACCEPTED"})
        calendar = icalendar.Calendar()
        calendar.add("PRODID", "-//A calendar app//EN")
        calendar.add("VERSION", "2.0")
        calendar.add_component(event)
        (self.calendar / f"makeup-{self.makeups}.ics").write_bytes(calendar.to_ical())

    @rule(email=R.emails)
    def add_follow_up(self, email: str) -> None:
        """The lead writes an action item at the end of the notes (the last section)."""
        path = self.notes / f"{email}.md"
        if path.is_file() and path.stat().st_size:
            items = self.follow_ups.setdefault(path.name, [])
            item = f"- [ ] follow-up {len(items)} for {email}\n"
            with path.open("a") as handle:
                handle.write(item)
            items.append(item)

    @rule(email=R.emails, nth=st.integers(0, 5))
    def tick_follow_up(self, email: str, nth: int) -> None:
        """The lead ticks one of their open items where they wrote it."""
        path = self.notes / f"{email}.md"
        items = [i for i in self.follow_ups.get(path.name, []) if i.startswith("- [ ]")]
        if items:
            item = items[nth % len(items)]
            path.write_text(path.read_text().replace(item, "- [x]" + item[5:], 1))
            listed = self.follow_ups[path.name]
            listed[listed.index(item)] = "- [x]" + item[5:]

    # --- syncd ---------------------------------------------------------------------------------

    @rule()
    def reconcile(self) -> None:
        before = self.snapshot()
        run = self.syncd("reconcile", "--force", "--json")
        assert run.code == 0, run.out + run.err
        result = run.json()
        self.check_safe(before, adopted={a["series"] for a in result["actions"]
                                         if a["action"] == "adopt-series"})
        self.check_converged(result["warnings"])

    @rule(k=st.integers(1, 8), mode=st.sampled_from(["raise", "exit"]))
    def reconcile_with_failing_write(self, k: int, mode: str) -> None:
        """The k-th file write fails, or the process dies right after it; then a clean run."""
        before = self.snapshot()
        run = subprocess.run(
            [sys.executable, "-m", "tests.stateful.crashing", "reconcile", "--force",
             "--config", str(self.config), "--now", self.now.isoformat()],
            cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
            env={**os.environ, "SYNCD_TEST_FAIL_AT": str(k), "SYNCD_TEST_FAIL_MODE": mode})
        assert run.returncode in (0, 1, CRASH_EXIT), run.stdout + run.stderr
        assert "Traceback" not in run.stderr, run.stderr
        self.check_safe(before, adopted=None)
        self.reconcile()

    # --- what must hold --------------------------------------------------------------------

    def snapshot(self) -> tuple[dict[str, bytes], dict[str, bytes]]:
        notes = ({p.name: p.read_bytes() for p in self.notes.glob("*.md")}
                 if self.notes.exists() else {})
        return _ics(self.calendar), notes

    def check_safe(self, before: tuple[dict[str, bytes], dict[str, bytes]],
                   adopted: set[str] | None) -> None:
        """What any run, failed or not, must leave: nothing a person made lost or changed,
        never two live series for one person. `adopted`: the uids a successful run adopted
        (None after a failed run: then any hand-made file that changed must now be owned)."""
        files, notes = before
        after = _ics(self.calendar)
        assert set(files) <= set(after), f"files deleted: {set(files) - set(after)}"
        for name, data in files.items():
            if MARKER in data or after[name] == data or name in self.foreign:
                continue
            uids = {str(e["UID"]) for e in
                    icalendar.Calendar.from_ical(after[name]).walk("VEVENT")}
            assert MARKER in after[name], f"{name} changed but syncd does not own it"
            if adopted is not None:
                assert uids & adopted, f"{name} changed without being adopted"
        for name, overrides in self.edits.items():
            assert name in after, f"{name} with a person's instance edits is gone"
            now = _overrides(after[name])
            for key, data in overrides.items():
                assert now.get(key) == data, f"{name}: instance edit {key} changed"
        for name, data in notes.items():
            text = (self.notes / name).read_bytes()
            assert text.startswith(data), f"notes {name}: existing text changed"
        for name, line in self.notes_lines.items():
            assert line in (self.notes / name).read_text(), f"notes {name}: lead's line lost"
        for name, data in self.foreign.items():
            if name in after:
                assert after[name] == data, f"{name} is not syncd's but changed"
        read = self.series()
        series = {s.uid: s for s in read}
        for uid, start in self.moved.items():
            if uid in series:
                assert series[uid].start == start, f"{uid}: a person's move was undone"
        for name, items in self.follow_ups.items():
            text = (self.notes / name).read_text()
            for item in items:
                assert item in text, f"notes {name}: the lead's item {item!r} changed"
        for path in self.notes.glob("*.md") if self.notes.exists() else ():
            self.check_one_section_per_meeting(path.name, notes_text.sections(
                path.read_bytes().decode("utf-8", errors="replace")))
        self.check_one_live_series(read)


def _rid(moment: dt.datetime) -> str:
    """A recurrence id as an instant (the same slot however its zone is written)."""
    return moment.astimezone(dt.UTC).isoformat()


TestLocalMachine = LocalMachine.TestCase
TestLocalMachine.settings = profile()
