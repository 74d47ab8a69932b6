"""LocalCalendar and atomic_write against real files in a temporary folder."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import stat
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from syncd.calendars.base import CalendarError, ConflictError, WritableCalendar
from syncd.calendars.local import LocalCalendar
from syncd.core.identity import marker, series_uid
from syncd.core.model import Attendee, Series, SeriesPatch, SeriesSpec
from syncd.fsutil import atomic_write

BERLIN = ZoneInfo("Europe/Berlin")
UTC = ZoneInfo("UTC")
DATA = Path(__file__).resolve().parent.parent / "data" / "realworld"

LEAD = Attendee("lea@example.com", "Lea Lead")
ANN = Attendee("ann@example.com", "Ann Report")

HAND_MADE = """\
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Test//hand made//EN
BEGIN:VEVENT
UID:weekly-1@example.com
DTSTAMP:20260101T000000Z
DTSTART;TZID=Europe/Berlin:20260105T100000
DTEND;TZID=Europe/Berlin:20260105T103000
RRULE:FREQ=WEEKLY;COUNT=10
EXDATE;TZID=Europe/Berlin:20260126T100000
SUMMARY:Ann / Lea
DESCRIPTION:Agenda lives in the doc.\\nBring numbers.
URL:https://video.example.com/room/42
ATTACH:https://files.example.com/user-own.pdf
X-USER-THING;X-P=1:keep me\\, please
ORGANIZER;CN=Lea:mailto:Lea@Example.com
ATTENDEE;CN=Lea;PARTSTAT=accepted:mailto:lea@example.com
ATTENDEE;CN=Ann;PARTSTAT=TENTATIVE:MAILTO:Ann@Example.com
ATTENDEE;CUTYPE=ROOM;CN=Room 1:mailto:room1@example.com
SEQUENCE:3
END:VEVENT
BEGIN:VEVENT
UID:weekly-1@example.com
RECURRENCE-ID;TZID=Europe/Berlin:20260112T100000
DTSTART;TZID=Europe/Berlin:20260113T150000
DTEND;TZID=Europe/Berlin:20260113T153000
SUMMARY:Ann / Lea (moved)
X-USER-OVERRIDE:mine
END:VEVENT
BEGIN:VEVENT
UID:weekly-1@example.com
RECURRENCE-ID;TZID=Europe/Berlin:20260119T100000
DTSTART;TZID=Europe/Berlin:20260119T100000
DTEND;TZID=Europe/Berlin:20260119T103000
STATUS:CANCELLED
END:VEVENT
END:VCALENDAR
"""
HAND_UID = "weekly-1@example.com"
WINTER = (dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2026, 4, 1, tzinfo=UTC))
WIDE = (dt.datetime(2000, 1, 1, tzinfo=UTC), dt.datetime(2030, 1, 1, tzinfo=UTC))


def _crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode()


def _event_file(tmp_path: Path, body: str, name: str = "event.ics") -> Path:
    """A calendar file holding the given VEVENT lines."""
    path = tmp_path / name
    text = f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Test//EN\n{body}END:VCALENDAR\n"
    path.write_bytes(_crlf(text))
    return path


def _hand_made(tmp_path: Path) -> tuple[LocalCalendar, Path]:
    path = tmp_path / "weekly.ics"
    path.write_bytes(_crlf(HAND_MADE))
    return LocalCalendar(tmp_path, "Europe/Berlin"), path


def _only(calendar: LocalCalendar, window: tuple[dt.datetime, dt.datetime] = WINTER) -> Series:
    (series,) = calendar.read(*window)
    return series


def _spec(**changes: Any) -> SeriesSpec:
    values: dict[str, Any] = {
        "uid": series_uid(ANN.email, 1),
        "marker": marker(ANN.email, 1),
        "summary": "Ann / Lea 1:1",
        "start": dt.datetime(2026, 10, 1, 10, 0, tzinfo=BERLIN),
        "duration": dt.timedelta(minutes=30),
        "timezone": "Europe/Berlin",
        "rrule": "FREQ=WEEKLY;BYDAY=TH",
        "organizer": LEAD,
        "attendee": ANN,
        "description": "Our weekly 1:1.",
    }
    values.update(changes)
    return SeriesSpec(**values)


def _vevents(path: Path) -> list[Any]:
    return list(icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT"))


def _master_of(path: Path) -> Any:
    (master,) = [e for e in _vevents(path) if "RECURRENCE-ID" not in e]
    return master


def _overrides(path: Path) -> list[tuple[Any, ...]]:
    """What a person changed on single instances, as parsed values."""
    return [
        (
            e.decoded("RECURRENCE-ID"),
            e.decoded("DTSTART"),
            e.decoded("DTEND"),
            str(e.get("STATUS", "")),
            str(e.get("SUMMARY", "")),
            str(e.get("X-USER-OVERRIDE", "")),
        )
        for e in _vevents(path)
        if "RECURRENCE-ID" in e
    ]


def _all(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- create ------------------------------------------------------------------


def test_local_calendar_is_a_writable_calendar(tmp_path: Path) -> None:
    calendar = LocalCalendar(tmp_path, "Europe/Berlin")
    assert isinstance(calendar, WritableCalendar)
    assert calendar.name == f"local calendar {tmp_path}"


def test_create_then_read_gives_the_series_back(tmp_path: Path) -> None:
    calendar = LocalCalendar(tmp_path, "Europe/Berlin")
    etag = calendar.create(_spec())

    (path,) = tmp_path.iterdir()
    assert path.name == f"{series_uid(ANN.email, 1)}.ics"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert b"BEGIN:VTIMEZONE" in path.read_bytes()
    assert etag == _sha(path)

    series = _only(
        calendar, (dt.datetime(2026, 10, 1, tzinfo=UTC), dt.datetime(2026, 11, 15, tzinfo=UTC))
    )
    assert series.uid == series_uid(ANN.email, 1)
    assert series.marker == marker(ANN.email, 1)
    assert series.summary == "Ann / Lea 1:1"
    assert series.description == "Our weekly 1:1."
    assert series.rrule == "FREQ=WEEKLY;BYDAY=TH"
    assert series.timezone == "Europe/Berlin"
    assert series.start == dt.datetime(2026, 10, 1, 10, 0, tzinfo=BERLIN)
    assert series.duration == dt.timedelta(minutes=30)
    assert series.organizer == LEAD.email
    assert series.status == "CONFIRMED"
    assert series.etag == etag
    assert {(a.email, a.name, a.partstat) for a in series.attendees} == {
        (LEAD.email, LEAD.name, "ACCEPTED"),
        (ANN.email, ANN.name, "NEEDS-ACTION"),
    }

    starts = [i.start for i in series.instances]
    assert [s.date() for s in starts] == [
        dt.date(2026, 10, 1) + dt.timedelta(weeks=n) for n in range(7)
    ]
    # Europe/Berlin leaves summer time on 2026-10-25: UTC hour moves, local hour does not.
    assert {s.astimezone(BERLIN).hour for s in starts} == {10}
    assert {s.astimezone(UTC).hour for s in starts} == {8, 9}
    assert all(i.end - i.start == dt.timedelta(minutes=30) for i in series.instances)
    assert not any(i.overridden or i.moved for i in series.instances)


def test_create_twice_writes_one_file_and_returns_the_same_etag(tmp_path: Path) -> None:
    first = LocalCalendar(tmp_path, "Europe/Berlin").create(_spec())
    again = LocalCalendar(tmp_path, "Europe/Berlin").create(_spec(summary="changed"))
    calendar = LocalCalendar(tmp_path, "Europe/Berlin")
    calendar.create(_spec())
    assert calendar.create(_spec()) == first == again
    assert len(list(tmp_path.iterdir())) == 1


def test_create_finds_the_uid_in_a_file_of_another_name(tmp_path: Path) -> None:
    calendar = LocalCalendar(tmp_path, "Europe/Berlin")
    etag = calendar.create(_spec())
    (path,) = tmp_path.iterdir()
    moved = path.rename(tmp_path / "renamed-by-a-sync-tool.ics")

    assert calendar.create(_spec()) == etag
    assert list(tmp_path.iterdir()) == [moved]


def test_create_never_overwrites_a_file_holding_another_event(tmp_path: Path) -> None:
    uid = "a/b@syncd"
    _event_file(
        tmp_path,
        "BEGIN:VEVENT\nUID:someone-else\nDTSTART:20260105T100000Z\nEND:VEVENT\n",
        name="a_b@syncd.ics",
    )
    before = (tmp_path / "a_b@syncd.ics").read_bytes()
    with pytest.raises(CalendarError, match=r"a_b@syncd\.ics"):
        LocalCalendar(tmp_path, "Europe/Berlin").create(_spec(uid=uid))
    assert (tmp_path / "a_b@syncd.ics").read_bytes() == before


# --- read --------------------------------------------------------------------


def test_read_shows_moved_cancelled_and_exdated_instances(tmp_path: Path) -> None:
    calendar, path = _hand_made(tmp_path)
    series = _only(calendar)

    assert series.uid == HAND_UID
    assert series.rrule == "FREQ=WEEKLY;COUNT=10"
    assert series.exdates == (dt.datetime(2026, 1, 26, 10, tzinfo=BERLIN),)
    assert series.organizer == "lea@example.com"
    assert series.description == "Agenda lives in the doc.\nBring numbers."
    assert series.marker == ""
    assert series.notes_url == ""
    assert series.etag == _sha(path)
    assert series.attendees == (
        Attendee("lea@example.com", "Lea", "ACCEPTED"),
        Attendee("ann@example.com", "Ann", "TENTATIVE"),
        Attendee("room1@example.com", "Room 1", "NEEDS-ACTION", "ROOM"),
    )

    by_slot = {i.recurrence_id: i for i in series.instances}
    slots = [dt.datetime(2026, 1, 5, 10, tzinfo=BERLIN) + dt.timedelta(weeks=n) for n in range(10)]
    assert sorted(by_slot) == [s for s in slots if s.day != 26]
    assert [i.recurrence_id for i in series.instances] == sorted(by_slot)

    moved = by_slot[slots[1]]
    assert moved.start == dt.datetime(2026, 1, 13, 15, tzinfo=BERLIN)
    assert moved.moved and moved.overridden and moved.status == "CONFIRMED"

    cancelled = by_slot[slots[2]]
    assert cancelled.status == "CANCELLED" and cancelled.overridden and not cancelled.moved

    plain = by_slot[slots[0]]
    assert not plain.overridden and not plain.moved and plain.status == "CONFIRMED"
    assert plain.end == dt.datetime(2026, 1, 5, 10, 30, tzinfo=BERLIN)
    assert {a.email for a in plain.attendees} == {a.email for a in series.attendees}


def test_read_keeps_only_instances_in_the_window(tmp_path: Path) -> None:
    calendar, _ = _hand_made(tmp_path)
    # 09:00-09:30 UTC each Monday: the window starts inside one and ends as one begins.
    window = (dt.datetime(2026, 2, 2, 9, 15, tzinfo=UTC), dt.datetime(2026, 2, 16, 9, tzinfo=UTC))
    series = _only(calendar, window)
    assert [i.start.date() for i in series.instances] == [dt.date(2026, 2, 2), dt.date(2026, 2, 9)]


def test_read_floating_and_all_day_times_in_the_default_zone(tmp_path: Path) -> None:
    _event_file(
        tmp_path,
        "BEGIN:VEVENT\nUID:floating\nDTSTART:20260105T090000\nDURATION:PT45M\n"
        "RRULE:FREQ=DAILY;COUNT=2\nEND:VEVENT\n"
        "BEGIN:VEVENT\nUID:all-day\nDTSTART;VALUE=DATE:20260107\nEND:VEVENT\n",
    )
    calendar = LocalCalendar(tmp_path, "America/New_York")
    new_york = ZoneInfo("America/New_York")
    all_day, floating = calendar.read(*WINTER)

    assert floating.uid == "floating"
    assert floating.timezone == "America/New_York"
    assert floating.start == dt.datetime(2026, 1, 5, 9, tzinfo=new_york)
    assert floating.duration == dt.timedelta(minutes=45)
    assert [i.start for i in floating.instances] == [
        dt.datetime(2026, 1, 5, 9, tzinfo=new_york),
        dt.datetime(2026, 1, 6, 9, tzinfo=new_york),
    ]

    assert all_day.start == dt.datetime(2026, 1, 7, tzinfo=new_york)
    assert all_day.end == dt.datetime(2026, 1, 8, tzinfo=new_york)
    (instance,) = all_day.instances
    assert instance.recurrence_id == instance.start == all_day.start


def test_read_tolerates_several_uids_in_one_file(tmp_path: Path) -> None:
    path = _event_file(
        tmp_path,
        "BEGIN:VEVENT\nUID:b\nDTSTART:20260105T100000Z\nDTEND:20260105T110000Z\nEND:VEVENT\n"
        "BEGIN:VEVENT\nUID:a\nDTSTART:20260106T100000Z\nDTEND:20260106T110000Z\nEND:VEVENT\n",
    )
    first, second = LocalCalendar(tmp_path, "Europe/Berlin").read(*WINTER)
    assert (first.uid, second.uid) == ("a", "b")
    assert first.etag == second.etag == _sha(path)
    assert first.timezone == "UTC"
    assert first.instances[0].recurrence_id == first.start


def test_read_rejects_one_uid_in_two_files(tmp_path: Path) -> None:
    body = "BEGIN:VEVENT\nUID:twice\nDTSTART:20260105T100000Z\nEND:VEVENT\n"
    _event_file(tmp_path, body, name="one.ics")
    _event_file(tmp_path, body, name="two.ics")
    with pytest.raises(CalendarError, match=r"one\.ics.*two\.ics"):
        LocalCalendar(tmp_path, "Europe/Berlin").read(*WINTER)


def test_read_ignores_hidden_and_non_ics_files(tmp_path: Path) -> None:
    _hand_made(tmp_path)
    (tmp_path / ".hidden.ics").write_bytes(b"garbage")
    (tmp_path / "x.txt").write_bytes(b"garbage")
    (tmp_path / ".weekly.ics.1234.tmp").write_bytes(b"garbage")
    assert _only(LocalCalendar(tmp_path, "Europe/Berlin")).uid == HAND_UID


def test_read_fails_on_a_garbage_file_naming_it(tmp_path: Path) -> None:
    _hand_made(tmp_path)
    (tmp_path / "broken.ics").write_bytes(b"this is not a calendar\n")
    with pytest.raises(CalendarError, match=r"broken\.ics"):
        LocalCalendar(tmp_path, "Europe/Berlin").read(*WINTER)


def test_read_marks_an_event_the_expander_rejects_as_broken(tmp_path: Path) -> None:
    _hand_made(tmp_path)
    _event_file(
        tmp_path,
        "BEGIN:VEVENT\nUID:bad-rule\nDTSTART:20260105T100000Z\nRRULE:FREQ=SOMETIMES\n"
        "ATTENDEE:mailto:Ann@Example.com\nEND:VEVENT\n",
        name="bad-rule.ics",
    )
    series = {s.uid: s for s in LocalCalendar(tmp_path, "Europe/Berlin").read(*WINTER)}
    bad = series["bad-rule"]
    assert bad.broken and not bad.instances
    assert [a.email for a in bad.attendees] == ["ann@example.com"]
    assert not series[HAND_UID].broken and series[HAND_UID].instances


def test_read_fails_on_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(CalendarError, match="no such folder"):
        LocalCalendar(tmp_path / "typo", "Europe/Berlin").read(*WINTER)
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(CalendarError):
        LocalCalendar(tmp_path / "file", "Europe/Berlin").read(*WINTER)


def test_unknown_default_zone_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(CalendarError, match="Mars/Olympus"):
        LocalCalendar(tmp_path, "Mars/Olympus")


# --- patch -------------------------------------------------------------------


def test_patch_marker_summary_and_duration_touch_only_the_master(tmp_path: Path) -> None:
    calendar, path = _hand_made(tmp_path)
    before = _only(calendar)
    overrides = _overrides(path)

    etag = calendar.patch(
        HAND_UID,
        SeriesPatch(marker="k-1", summary="Ann / Lea 1:1", duration=dt.timedelta(minutes=50)),
        before.etag,
    )

    assert etag == _sha(path)
    after = _only(calendar)
    assert after.etag == etag
    assert (after.marker, after.summary, after.duration) == (
        "k-1",
        "Ann / Lea 1:1",
        dt.timedelta(minutes=50),
    )
    assert after.start == before.start and after.rrule == before.rrule
    assert after.attendees == before.attendees and after.exdates == before.exdates
    assert _overrides(path) == overrides
    master = _master_of(path)
    assert int(master["SEQUENCE"]) == 4
    assert str(master["X-USER-THING"]) == "keep me\\, please"
    assert master["X-USER-THING"].params["X-P"] == "1"
    assert abs(master.decoded("LAST-MODIFIED") - dt.datetime.now(UTC)) < dt.timedelta(minutes=1)
    assert abs(master.decoded("DTSTAMP") - dt.datetime.now(UTC)) < dt.timedelta(minutes=1)

    by_slot = {i.recurrence_id: i for i in after.instances}
    moved = by_slot[dt.datetime(2026, 1, 12, 10, tzinfo=BERLIN)]
    assert moved.start == dt.datetime(2026, 1, 13, 15, tzinfo=BERLIN)
    assert moved.end - moved.start == dt.timedelta(minutes=30)  # the person's override
    assert by_slot[dt.datetime(2026, 1, 19, 10, tzinfo=BERLIN)].status == "CANCELLED"
    plain = by_slot[dt.datetime(2026, 2, 2, 10, tzinfo=BERLIN)]
    assert plain.end - plain.start == dt.timedelta(minutes=50)


def test_patch_duration_replaces_a_duration_property(tmp_path: Path) -> None:
    path = _event_file(
        tmp_path,
        "BEGIN:VEVENT\nUID:d\nDTSTART;TZID=Europe/Berlin:20260105T100000\nDURATION:PT30M\n"
        "RRULE:FREQ=WEEKLY\nEND:VEVENT\n",
    )
    calendar = LocalCalendar(tmp_path, "Europe/Berlin")
    calendar.patch("d", SeriesPatch(duration=dt.timedelta(hours=1)), _only(calendar).etag)
    master = _master_of(path)
    assert "DTEND" not in master
    assert master.decoded("DURATION") == dt.timedelta(hours=1)
    assert _only(calendar).duration == dt.timedelta(hours=1)


def test_patch_until_ends_the_series(tmp_path: Path) -> None:
    calendar, path = _hand_made(tmp_path)
    overrides = _overrides(path)
    until = dt.datetime(2026, 2, 10, tzinfo=BERLIN)
    calendar.patch(HAND_UID, SeriesPatch(until=until), _only(calendar).etag)

    rule = _master_of(path)["RRULE"]
    assert "COUNT" not in rule
    assert rule.to_ical() == b"FREQ=WEEKLY;UNTIL=20260209T230000Z"
    assert _overrides(path) == overrides
    series = _only(calendar)
    assert [i.recurrence_id.date() for i in series.instances] == [
        dt.date(2026, 1, 5),
        dt.date(2026, 1, 12),
        dt.date(2026, 1, 19),
        dt.date(2026, 2, 2),
        dt.date(2026, 2, 9),
    ]
    assert all(i.start < until for i in series.instances)


def test_patch_until_on_an_all_day_series_is_a_date(tmp_path: Path) -> None:
    path = _event_file(
        tmp_path,
        "BEGIN:VEVENT\nUID:w\nDTSTART;VALUE=DATE:20260105\nRRULE:FREQ=WEEKLY\nEND:VEVENT\n",
    )
    calendar = LocalCalendar(tmp_path, "Europe/Berlin")
    until = dt.datetime(2026, 1, 19, 12, tzinfo=BERLIN)
    calendar.patch("w", SeriesPatch(until=until), _only(calendar).etag)
    assert _master_of(path)["RRULE"].to_ical() == b"FREQ=WEEKLY;UNTIL=20260119"
    assert [i.start.day for i in _only(calendar).instances] == [5, 12, 19]


def test_patch_until_on_a_floating_series_stays_floating(tmp_path: Path) -> None:
    path = _event_file(
        tmp_path,
        "BEGIN:VEVENT\nUID:f\nDTSTART:20260105T100000\nRRULE:FREQ=WEEKLY;COUNT=20\nEND:VEVENT\n",
    )
    calendar = LocalCalendar(tmp_path, "Europe/Berlin")
    until = dt.datetime(2026, 1, 19, 9, tzinfo=UTC)  # 10:00 in Berlin
    calendar.patch("f", SeriesPatch(until=until), _only(calendar).etag)
    assert _master_of(path)["RRULE"].to_ical() == b"FREQ=WEEKLY;UNTIL=20260119T100000"
    assert [i.start.day for i in _only(calendar).instances] == [5, 12, 19]


def test_patch_notes_url_keeps_what_a_person_wrote(tmp_path: Path) -> None:
    calendar, path = _hand_made(tmp_path)
    overrides = _overrides(path)
    url = "https://docs.example.com/d/ann"

    etag = calendar.patch(HAND_UID, SeriesPatch(notes_url=url), _only(calendar).etag)
    etag = calendar.patch(HAND_UID, SeriesPatch(notes_url=url), etag)  # twice: no duplicates

    master = _master_of(path)
    assert _all(master.get("ATTACH")) == ["https://files.example.com/user-own.pdf", url]
    assert str(master["URL"]) == "https://video.example.com/room/42"
    assert str(master["X-SYNCD-NOTES"]) == url
    assert str(master["DESCRIPTION"]) == f"Agenda lives in the doc.\nBring numbers.\n\nNotes: {url}"
    assert _overrides(path) == overrides
    series = _only(calendar)
    assert series.notes_url == url
    assert series.etag == etag

    new_url = "https://docs.example.com/d/ann-2"
    calendar.patch(HAND_UID, SeriesPatch(notes_url=new_url), etag)
    master = _master_of(path)
    assert _all(master.get("ATTACH")) == ["https://files.example.com/user-own.pdf", new_url]
    assert str(master["URL"]) == "https://video.example.com/room/42"
    assert str(master["DESCRIPTION"]) == (
        f"Agenda lives in the doc.\nBring numbers.\n\nNotes: {new_url}"
    )
    assert int(master["SEQUENCE"]) == 6


def test_patch_notes_url_sets_url_when_absent_and_follows_it(tmp_path: Path) -> None:
    path = _event_file(
        tmp_path,
        "BEGIN:VEVENT\nUID:n\nDTSTART:20260105T100000Z\nRRULE:FREQ=WEEKLY\nEND:VEVENT\n",
    )
    calendar = LocalCalendar(tmp_path, "Europe/Berlin")
    etag = calendar.patch("n", SeriesPatch(notes_url="https://n/1"), _only(calendar).etag)
    master = _master_of(path)
    assert str(master["URL"]) == "https://n/1"
    assert str(master["DESCRIPTION"]) == "Notes: https://n/1"
    assert _all(master.get("ATTACH")) == ["https://n/1"]

    calendar.patch("n", SeriesPatch(notes_url="https://n/2"), etag)
    master = _master_of(path)
    assert str(master["URL"]) == "https://n/2"
    assert str(master["DESCRIPTION"]) == "Notes: https://n/2"
    assert _all(master.get("ATTACH")) == ["https://n/2"]


def test_patch_with_a_stale_etag_writes_nothing(tmp_path: Path) -> None:
    calendar, path = _hand_made(tmp_path)
    stale = _only(calendar).etag
    calendar.patch(HAND_UID, SeriesPatch(summary="first"), stale)
    current = path.read_bytes()

    with pytest.raises(ConflictError):
        calendar.patch(HAND_UID, SeriesPatch(summary="second"), stale)
    assert path.read_bytes() == current
    assert [p.name for p in tmp_path.iterdir()] == ["weekly.ics"]


def test_patch_of_an_unknown_uid_is_gone(tmp_path: Path) -> None:
    calendar, _ = _hand_made(tmp_path)
    with pytest.raises(CalendarError, match="is gone"):
        calendar.patch("nobody@example.com", SeriesPatch(summary="x"), "0" * 64)


def test_patch_finds_a_series_created_behind_its_back(tmp_path: Path) -> None:
    calendar = LocalCalendar(tmp_path, "Europe/Berlin")
    calendar.read(*WINTER)  # index built on an empty folder
    etag = LocalCalendar(tmp_path, "Europe/Berlin").create(_spec())
    calendar.patch(series_uid(ANN.email, 1), SeriesPatch(summary="renamed"), etag)
    window = (dt.datetime(2026, 10, 1, tzinfo=UTC), dt.datetime(2026, 10, 2, tzinfo=UTC))
    assert _only(calendar, window).summary == "renamed"


def test_patch_touches_only_its_uid_in_a_shared_file(tmp_path: Path) -> None:
    path = _event_file(
        tmp_path,
        "BEGIN:VEVENT\nUID:a\nDTSTART:20260105T100000Z\nSUMMARY:A\nEND:VEVENT\n"
        "BEGIN:VEVENT\nUID:b\nDTSTART:20260106T100000Z\nSUMMARY:B\nEND:VEVENT\n",
    )
    calendar = LocalCalendar(tmp_path, "Europe/Berlin")
    a, _ = calendar.read(*WINTER)
    calendar.patch("a", SeriesPatch(summary="A2"), a.etag)
    assert {str(e["UID"]): str(e["SUMMARY"]) for e in _vevents(path)} == {"a": "A2", "b": "B"}
    assert "SEQUENCE" not in next(e for e in _vevents(path) if str(e["UID"]) == "b")


# --- atomic_write ------------------------------------------------------------


def test_atomic_write_creates_a_private_file(tmp_path: Path) -> None:
    target = tmp_path / "new.ics"
    atomic_write(target, b"data")
    assert target.read_bytes() == b"data"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert os.listdir(tmp_path) == ["new.ics"]


def test_atomic_write_keeps_the_mode_of_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "shared.ics"
    target.write_bytes(b"old")
    target.chmod(0o644)
    atomic_write(target, b"new", mode=0o600)
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert os.listdir(tmp_path) == ["shared.ics"]


def test_atomic_write_removes_its_temp_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "occupied"
    target.mkdir()
    (target / "child").write_bytes(b"")
    with pytest.raises(OSError):
        atomic_write(target, b"data")
    assert os.listdir(tmp_path) == ["occupied"]


# --- real-world files ----------------------------------------------------------


def _sample(tmp_path: Path, name: str, zone: str = "Europe/Berlin") -> LocalCalendar:
    folder = tmp_path / "calendar"
    folder.mkdir()
    shutil.copyfile(DATA / name, folder / name)
    return LocalCalendar(folder, zone)


def _expected_count(name: str, window: tuple[dt.datetime, dt.datetime]) -> int:
    calendar = icalendar.Calendar.from_ical((DATA / name).read_bytes())
    return len(list(recurring_ical_events.of(calendar).between(*window)))


def test_sources_note_lists_every_sample() -> None:
    notes = (DATA / "SOURCES.md").read_text()
    for path in DATA.glob("*.ics"):
        assert f"| {path.name} |" in notes


def test_real_khal_cancelled_override(tmp_path: Path) -> None:
    name = "khal__event_rrule_recuid_cancelled.ics"
    series = _only(_sample(tmp_path, name), WIDE)
    assert series.timezone == "Europe/Berlin"
    assert series.rrule == "FREQ=WEEKLY;UNTIL=20140806T060000Z"
    assert len(series.instances) == _expected_count(name, WIDE) == 6
    by_day = {i.recurrence_id.astimezone(BERLIN).date(): i for i in series.instances}
    moved = by_day[dt.date(2014, 7, 7)]
    assert moved.overridden and moved.moved
    assert moved.start == dt.datetime(2014, 7, 7, 9, tzinfo=BERLIN)
    cancelled = by_day[dt.date(2014, 7, 14)]
    assert cancelled.overridden and cancelled.status == "CANCELLED"
    assert [i.status for i in series.instances].count("CANCELLED") == 1


def test_real_google_dst_with_exdates(tmp_path: Path) -> None:
    name = "rie__issue_48_dst.ics"
    chicago = ZoneInfo("America/Chicago")
    everything = _sample(tmp_path, name).read(*WIDE)
    window = (dt.datetime(2020, 10, 1, tzinfo=UTC), dt.datetime(2020, 12, 31, tzinfo=UTC))
    series = {s.uid: s for s in LocalCalendar(tmp_path / "calendar", "Europe/Berlin").read(*window)}
    assert len(series) == 13
    assert sum(len(s.instances) for s in everything) == _expected_count(name, WIDE)
    assert sum(len(s.instances) for s in series.values()) == _expected_count(name, window)
    assert series["5dru@google.com"].timezone == "UTC"

    fridays = series["m4dpn70@google.com"]
    assert fridays.timezone == "America/Chicago"
    assert fridays.exdates == tuple(
        dt.datetime(2020, month, day, 14, 15, tzinfo=chicago)
        for month, day in ((11, 27), (11, 6), (10, 23))
    )
    # America/Chicago leaves summer time on 2020-11-01: 14:15 local on both sides.
    local = [i.start.astimezone(chicago) for i in fridays.instances]
    assert {(t.hour, t.minute) for t in local} == {(14, 15)}
    assert {i.start.astimezone(UTC).hour for i in fridays.instances} == {19, 20}
    days = {t.date() for t in local}
    assert {dt.date(2020, 10, 30), dt.date(2020, 11, 13)} <= days
    assert not days & {dt.date(2020, 10, 23), dt.date(2020, 11, 6), dt.date(2020, 11, 27)}


def test_real_utc_exdates_on_a_berlin_series(tmp_path: Path) -> None:
    name = "rie__each_week_but_two_deleted.ics"
    series = _only(_sample(tmp_path, name), WIDE)
    assert series.rrule == "FREQ=WEEKLY;COUNT=8"
    assert len(series.exdates) == 2
    assert len(series.instances) == _expected_count(name, WIDE) == 6
    days = [i.start.astimezone(BERLIN).date() for i in series.instances]
    assert dt.date(2019, 3, 11) not in days and dt.date(2019, 3, 25) not in days
    assert {(i.start.hour, i.start.minute) for i in series.instances} == {(0, 30)}


def test_real_floating_time_with_calendar_zone(tmp_path: Path) -> None:
    name = "rie__issue_86_x_wr_timezone_without_time_zone_in_dt.ics"
    brussels = ZoneInfo("Europe/Brussels")
    # X-WR-TIMEZONE names the zone of floating times; the default zone is only a fallback.
    series = _only(_sample(tmp_path, name, zone="America/New_York"), WIDE)
    assert series.timezone == "Europe/Brussels"
    assert series.start == dt.datetime(2021, 9, 16, 21, tzinfo=brussels)
    (instance,) = series.instances
    assert instance.start == series.start
    assert instance.end == dt.datetime(2021, 9, 16, 22, 45, tzinfo=brussels)


def test_real_override_only_uid_with_floating_times(tmp_path: Path) -> None:
    name = "khal__event_dt_multi_recuid_no_master.ics"
    new_york = ZoneInfo("America/New_York")
    series = _only(_sample(tmp_path, name, zone="America/New_York"), WIDE)
    assert series.rrule == ""
    assert series.timezone == "America/New_York"
    assert series.start == dt.datetime(2014, 6, 30, 7, 30, tzinfo=new_york)
    assert series.duration == dt.timedelta(hours=4, minutes=30)
    assert len(series.instances) == _expected_count(name, WIDE) == 2
    assert all(i.overridden and i.start.tzinfo == new_york for i in series.instances)


def test_real_exchange_windows_zone(tmp_path: Path) -> None:
    name = "ical__office_360_nz_tz.ics"
    auckland = ZoneInfo("Pacific/Auckland")
    series = _sample(tmp_path, name).read(*WIDE)
    assert len(series) == 3
    assert {s.timezone for s in series} == {"Pacific/Auckland"}
    assert sum(len(s.instances) for s in series) == _expected_count(name, WIDE)
    (recurring,) = [s for s in series if s.rrule]
    assert recurring.summary == "Recurring event on Monday, Wednesday"
    # New Zealand leaves summer time on 2026-04-05: still 15:00 local after it.
    local = [i.start.astimezone(auckland) for i in recurring.instances]
    assert {t.hour for t in local} == {15}
    assert {t.weekday() for t in local} == {0, 2}
    assert local[-1].date() == dt.date(2026, 6, 1)


def test_real_event_without_uid_is_read_but_never_written(tmp_path: Path) -> None:
    name = "rie__issue_107_omitting_last_event.ics"
    calendar = _sample(tmp_path, name)
    series = _only(calendar, WIDE)
    assert series.uid == f"{name}#1"
    assert series.timezone == "America/Los_Angeles"
    assert len(series.instances) == _expected_count(name, WIDE)
    path = tmp_path / "calendar" / name
    before = path.read_bytes()
    with pytest.raises(CalendarError, match="no UID"):
        calendar.patch(series.uid, SeriesPatch(summary="x"), series.etag)
    assert path.read_bytes() == before


def test_real_file_with_an_empty_exdate_reads_that_event_as_broken(tmp_path: Path) -> None:
    name = "icl__parsing_error.ics"
    good, bad = sorted(_sample(tmp_path, name).read(*WIDE), key=lambda s: s.uid)
    assert (good.uid, bad.uid) == (f"{name}#1", f"{name}#2")
    assert not good.broken and len(good.instances) == 20
    assert "EXDATE" in bad.broken and not bad.instances
    assert bad.description == "Wrong event"
