"""The local calendar's cache: a file is parsed again exactly when its bytes changed, and a
read through the cache gives what a read without it gives."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncd.backends import _cache_key, open_calendar, save_calendar_cache
from syncd.calendars.base import CalendarError
from syncd.calendars.local import LocalCache, LocalCalendar
from syncd.config import LocalCalendarConfig
from syncd.core.identity import marker, series_uid
from syncd.core.model import Attendee, Owner, Roster, Series, SeriesPatch, SeriesSpec
from syncd.state import State

BERLIN = ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=BERLIN)
WINDOW = (NOW - dt.timedelta(days=90), NOW + dt.timedelta(days=400))


def event_file(n: int, *, summary: str = "", hour: int = 10, rule: str = "FREQ=WEEKLY",
               cancelled_week: int | None = None) -> bytes:
    """A weekly 1:1 that started in 2026, with one cancelled instance when asked."""
    uid = f"one-{n}@example.com"
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", "BEGIN:VEVENT",
             f"UID:{uid}", "DTSTAMP:20260101T000000Z",
             f"DTSTART;TZID=Europe/Berlin:20260105T{hour:02d}0000",
             f"DTEND;TZID=Europe/Berlin:20260105T{hour:02d}3000", f"RRULE:{rule}",
             "ORGANIZER:mailto:lea@example.com", f"ATTENDEE:mailto:p{n}@example.com",
             f"SUMMARY:{summary or f'1:1 {n}'}", "END:VEVENT"]
    if cancelled_week is not None:
        day = dt.date(2026, 1, 5) + dt.timedelta(weeks=cancelled_week)
        lines += ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20260101T000000Z",
                  f"RECURRENCE-ID;TZID=Europe/Berlin:{day:%Y%m%d}T{hour:02d}0000",
                  f"DTSTART;TZID=Europe/Berlin:{day:%Y%m%d}T{hour:02d}0000",
                  f"DTEND;TZID=Europe/Berlin:{day:%Y%m%d}T{hour:02d}3000",
                  "STATUS:CANCELLED", f"SUMMARY:{summary or f'1:1 {n}'}", "END:VEVENT"]
    return ("\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n").encode()


def fresh(folder: Path, window: tuple[dt.datetime, dt.datetime] = WINDOW) -> tuple[Series, ...]:
    """The folder read without any cache."""
    return LocalCalendar(folder, "Europe/Berlin").read(*window)


def next_run(calendar: LocalCalendar) -> LocalCalendar:
    """The calendar a new process opens with what this one stored (through its JSON)."""
    return LocalCalendar(calendar.path, "Europe/Berlin",
                         cache=LocalCache.from_json(calendar.cache_json()))


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names of the files parsed, in order (the real conversion still runs)."""
    names: list[str] = []
    convert = LocalCalendar._convert

    def counting(self: LocalCalendar, name: str, *args: Any) -> Any:
        names.append(name)
        return convert(self, name, *args)

    monkeypatch.setattr(LocalCalendar, "_convert", counting)
    yield names


def folder_of(tmp_path: Path, count: int = 3) -> Path:
    folder = tmp_path / "calendar"
    folder.mkdir()
    for n in range(count):
        (folder / f"one-{n}.ics").write_bytes(event_file(n))
    return folder


def test_an_unchanged_folder_is_not_parsed_again(tmp_path: Path, parsed: list[str]) -> None:
    folder = folder_of(tmp_path)
    first = LocalCalendar(folder, "Europe/Berlin")
    expected = first.read(*WINDOW)
    assert parsed == ["one-0.ics", "one-1.ics", "one-2.ics"]
    parsed.clear()
    later = next_run(first)
    assert later.read(*WINDOW) == expected
    # A window that moved on by a day is still inside the one the cache holds.
    moved = (WINDOW[0] + dt.timedelta(days=1), WINDOW[1] + dt.timedelta(days=1))
    got = next_run(later).read(*moved)
    assert parsed == []
    assert got == fresh(folder, moved)


def test_an_edited_file_is_read_again_and_only_it(tmp_path: Path, parsed: list[str]) -> None:
    folder = folder_of(tmp_path)
    first = LocalCalendar(folder, "Europe/Berlin")
    first.read(*WINDOW)
    parsed.clear()
    (folder / "one-1.ics").write_bytes(event_file(1, summary="Moved to Tuesdays", hour=11))
    got = next_run(first).read(*WINDOW)
    assert parsed == ["one-1.ics"]
    assert got == fresh(folder)
    assert next(s for s in got if s.uid == "one-1@example.com").summary == "Moved to Tuesdays"


def test_an_edit_that_keeps_size_and_mtime_is_seen(tmp_path: Path) -> None:
    """An editor that writes in place and restores the mtime (or two writes in one tick of a
    coarse clock): size and mtime say nothing changed, the bytes did."""
    folder = folder_of(tmp_path)
    path = folder / "one-0.ics"
    first = LocalCalendar(folder, "Europe/Berlin")
    first.read(*WINDOW)
    before = path.stat()
    edited = event_file(0, summary="1:1 X")  # the same length as "1:1 0"
    assert len(edited) == before.st_size
    with path.open("r+b") as stream:
        stream.write(edited)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    got = next_run(first).read(*WINDOW)
    assert got == fresh(folder)
    assert {s.summary for s in got} == {"1:1 X", "1:1 1", "1:1 2"}


def test_a_file_changed_in_the_tick_it_was_read_is_hashed_again(tmp_path: Path) -> None:
    """Even when every stat field comes out the same, an entry whose file was changed too
    shortly before it was read is not trusted on its stat (git's racily clean rule)."""
    folder = folder_of(tmp_path, 1)
    path = folder / "one-0.ics"
    first = LocalCalendar(folder, "Europe/Berlin")
    first.read(*WINDOW)
    entry = first.cache.files["one-0.ics"]
    assert entry.racy  # written a moment ago
    path.write_bytes(event_file(0, summary="1:1 Y"))
    # What the cache would hold had the write landed in the same tick as the read.
    info = path.stat()
    same_stat = dataclasses.replace(entry, stat=(info.st_dev, info.st_ino, info.st_size,
                                                 info.st_mtime_ns, info.st_ctime_ns))
    cache = LocalCache(first.cache.zone, {"one-0.ics": same_stat})
    got = LocalCalendar(folder, "Europe/Berlin", cache=cache).read(*WINDOW)
    assert [s.summary for s in got] == ["1:1 Y"]


def test_a_file_with_a_recent_ctime_is_hashed_again_but_not_parsed(
        tmp_path: Path, parsed: list[str]) -> None:
    folder = folder_of(tmp_path, 2)
    long_ago = (NOW - dt.timedelta(days=30)).timestamp()
    os.utime(folder / "one-0.ics", (long_ago, long_ago))
    first = LocalCalendar(folder, "Europe/Berlin")
    first.read(*WINDOW)
    # ctime cannot be set back: it still says the file changed just now.
    assert first.cache.files["one-0.ics"].racy and first.cache.files["one-1.ics"].racy
    parsed.clear()
    got = next_run(first).read(*WINDOW)
    assert parsed == []  # hashed again, the same bytes: not parsed
    assert got == fresh(folder)


def test_a_deleted_and_a_new_file_are_seen(tmp_path: Path) -> None:
    folder = folder_of(tmp_path)
    first = LocalCalendar(folder, "Europe/Berlin")
    first.read(*WINDOW)
    (folder / "one-0.ics").unlink()
    (folder / "one-7.ics").write_bytes(event_file(7))
    later = next_run(first)
    got = later.read(*WINDOW)
    assert {s.uid for s in got} == {"one-1@example.com", "one-2@example.com",
                                    "one-7@example.com"}
    assert got == fresh(folder)
    assert set(later.cache.files) == {"one-1.ics", "one-2.ics", "one-7.ics"}


def test_a_uid_moved_into_a_second_file_still_fails_the_read(tmp_path: Path) -> None:
    folder = folder_of(tmp_path, 2)
    first = LocalCalendar(folder, "Europe/Berlin")
    first.read(*WINDOW)
    (folder / "copy.ics").write_bytes(event_file(0))
    with pytest.raises(CalendarError, match=r"one-0@example\.com is in both"):
        next_run(first).read(*WINDOW)


@pytest.mark.parametrize("stored", [
    "not json", "[]", '{"version": 999, "zone": "Europe/Berlin", "files": {}}',
    '{"version": 1, "series_version": 1, "zone": "Europe/Berlin", "files": {}}',
    '{"version": 1, "zone": "Europe/Berlin", "files": {"a.ics": [1, 2]}}',
])
def test_a_corrupt_or_other_version_cache_is_no_cache(stored: str) -> None:
    assert LocalCache.from_json(stored) is None


def test_a_cache_of_this_version_but_bad_rows_is_read_past(tmp_path: Path) -> None:
    folder = folder_of(tmp_path, 2)
    first = LocalCalendar(folder, "Europe/Berlin")
    first.read(*WINDOW)
    data = json.loads(first.cache_json())
    for entry in data["files"].values():
        entry[6] = [{"uid": "made-up"}]  # rows of the right version, not of its shape
    cache = LocalCache.from_json(json.dumps(data))
    assert cache is not None
    assert LocalCalendar(folder, "Europe/Berlin", cache=cache).read(*WINDOW) == fresh(folder)


def test_a_cache_for_another_default_zone_is_not_used(tmp_path: Path) -> None:
    folder = tmp_path / "calendar"
    folder.mkdir()
    (folder / "floating.ics").write_bytes(
        event_file(0).replace(b"DTSTART;TZID=Europe/Berlin:", b"DTSTART:")
        .replace(b"DTEND;TZID=Europe/Berlin:", b"DTEND:"))
    first = LocalCalendar(folder, "Europe/Berlin")
    first.read(*WINDOW)
    other = LocalCalendar(folder, "America/New_York",
                          cache=LocalCache.from_json(first.cache_json()))
    got = other.read(*WINDOW)
    assert got == LocalCalendar(folder, "America/New_York").read(*WINDOW)
    assert got[0].start.tzinfo == ZoneInfo("America/New_York")


def test_what_the_calendar_writes_is_cached_as_a_read_would_see_it(
        tmp_path: Path, parsed: list[str]) -> None:
    folder = folder_of(tmp_path, 1)
    first = LocalCalendar(folder, "Europe/Berlin")
    read = first.read(*WINDOW)
    etag = first.patch("one-0@example.com", SeriesPatch(summary="Renamed"), read[0].etag)
    spec = SeriesSpec(
        uid=series_uid("ann@example.com", 1), marker=marker("ann@example.com", 1),
        summary="1:1 Ann / Lea", start=NOW + dt.timedelta(days=1),
        duration=dt.timedelta(minutes=30), timezone="Europe/Berlin",
        rrule="FREQ=WEEKLY", organizer=Attendee("lea@example.com", "Lea", "ACCEPTED"),
        attendee=Attendee("ann@example.com", "Ann"))
    first.create(spec)
    parsed.clear()
    got = next_run(first).read(*WINDOW)
    assert parsed == []
    assert got == fresh(folder)
    assert {s.summary: s.etag for s in got}["Renamed"] == etag


def _spec(email: str) -> SeriesSpec:
    return SeriesSpec(
        uid=series_uid(email, 1), marker=marker(email, 1), summary=f"1:1 {email} / Lea",
        start=NOW + dt.timedelta(days=1), duration=dt.timedelta(minutes=30),
        timezone="Europe/Berlin", rrule="FREQ=WEEKLY",
        organizer=Attendee("lea@example.com", "Lea", "ACCEPTED"),
        attendee=Attendee(email, email.split("@")[0]))


@pytest.fixture
def loaded(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names of the files a write parsed to find a UID (the real parse still runs)."""
    names: list[str] = []
    load = LocalCalendar._load

    def counting(self: LocalCalendar, path: Path) -> Any:
        names.append(path.name)
        return load(self, path)

    monkeypatch.setattr(LocalCalendar, "_load", counting)
    yield names


def test_a_runs_creates_do_not_parse_the_folder_again(tmp_path: Path, loaded: list[str]) -> None:
    """Each new series is looked for in the folder first (a crashed run may have written
    it); files unchanged since the read are not parsed for that, else a first run of n
    people parses n²/2 files."""
    folder = folder_of(tmp_path)
    calendar = LocalCalendar(folder, "Europe/Berlin")
    calendar.read(*WINDOW)
    for email in ("ann@example.com", "bob@example.com", "cem@example.com"):
        calendar.create(_spec(email))
    assert loaded == []
    assert len(list(folder.iterdir())) == 6
    assert len(fresh(folder)) == 6


def test_a_create_still_finds_its_uid_in_a_file_changed_behind_its_back(
        tmp_path: Path, loaded: list[str]) -> None:
    folder = folder_of(tmp_path)
    calendar = LocalCalendar(folder, "Europe/Berlin")
    calendar.read(*WINDOW)
    elsewhere = LocalCalendar(tmp_path / "other", "Europe/Berlin")
    (tmp_path / "other").mkdir()
    elsewhere.create(_spec("ann@example.com"))
    (made,) = (tmp_path / "other").iterdir()
    # Another tool appends the series to a file the read saw, in place.
    path = folder / "one-1.ics"
    text = path.read_bytes().replace(b"END:VCALENDAR\r\n", b"")
    series = made.read_bytes()
    body = series[series.index(b"BEGIN:VEVENT"):series.index(b"END:VEVENT") + 12]
    path.write_bytes(text + body + b"END:VCALENDAR\r\n")
    loaded.clear()

    etag = calendar.create(_spec("ann@example.com"))

    assert loaded == ["one-1.ics", "one-1.ics"]  # found, then loaded to answer its etag
    assert sorted(p.name for p in folder.iterdir()) == ["one-0.ics", "one-1.ics", "one-2.ics"]
    assert etag == next(s.etag for s in fresh(folder) if s.uid == series_uid("ann@example.com", 1))


def test_a_create_does_not_trust_the_stat_of_a_racy_file(tmp_path: Path) -> None:
    """A file changed in the tick it was read keeps its stat: its bytes are compared."""
    folder = folder_of(tmp_path, 1)
    calendar = LocalCalendar(folder, "Europe/Berlin")
    calendar.read(*WINDOW)
    entry = calendar.cache.files["one-0.ics"]
    assert entry.racy
    other = tmp_path / "other"
    other.mkdir()
    LocalCalendar(other, "Europe/Berlin").create(_spec("ann@example.com"))
    (made,) = other.iterdir()
    path = folder / "one-0.ics"
    path.write_bytes(made.read_bytes())  # now holds the series the run is about to create
    info = path.stat()
    calendar.cache = LocalCache(calendar.cache.zone, {"one-0.ics": dataclasses.replace(
        entry, stat=(info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns,
                     info.st_ctime_ns))})

    calendar.create(_spec("ann@example.com"))

    assert [p.name for p in folder.iterdir()] == ["one-0.ics"]


def test_state_keeps_the_cache_between_runs(tmp_path: Path, parsed: list[str]) -> None:
    folder = folder_of(tmp_path, 2)
    config = LocalCalendarConfig(kind="local", path=folder)
    roster = Roster(Owner("Lea", "lea@example.com"), "Europe/Berlin", ())
    state = State.open(tmp_path / "state")
    try:
        first = open_calendar(config, roster, state)
        expected = first.read(*WINDOW)
        with state.transaction():
            save_calendar_cache(state, config, first)
        assert (state.get_value(_cache_key(config)) or "").startswith('{"version":1')
        parsed.clear()
        assert open_calendar(config, roster, state).read(*WINDOW) == expected
        assert parsed == []
        with state.transaction():  # stored by another syncd: not of this version
            state.set_value(_cache_key(config), '{"version":99}')
        assert open_calendar(config, roster, state).read(*WINDOW) == expected
        assert parsed == ["one-0.ics", "one-1.ics"]
    finally:
        state.close()


# --- with and without the cache, under any sequence of edits ------------------------------

Edit = Callable[[Path], None]


def _write(name: str, data: bytes) -> Edit:
    return lambda folder: (folder / name).write_bytes(data)


def _same_length_in_place(name: str, data: bytes) -> Edit:
    def edit(folder: Path) -> None:
        path = folder / name
        if not path.exists() or path.stat().st_size != len(data):
            path.write_bytes(data)
            return
        before = path.stat()
        with path.open("r+b") as stream:
            stream.write(data)
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    return edit


def _delete(name: str) -> Edit:
    return lambda folder: (folder / name).unlink(missing_ok=True)


def _touch(name: str) -> Edit:
    return lambda folder: (folder / name).touch() if (folder / name).exists() else None


_files = st.integers(min_value=0, max_value=3)
# Mostly file n holds UID n; sometimes another file's UID (a read that fails, alike).
_contents = st.builds(
    lambda uid, letter, hour, week, rule: (uid, dict(
        summary=f"1:1 {letter}", hour=hour, cancelled_week=week, rule=rule)),
    st.none() | _files, st.sampled_from("ABC"), st.sampled_from((9, 10)),
    st.none() | st.integers(min_value=40, max_value=60),
    st.sampled_from(("FREQ=WEEKLY", "FREQ=WEEKLY;INTERVAL=2", "FREQ=WEEKLY;COUNT=3")))


def _data(n: int, content: tuple[int | None, dict[str, Any]]) -> bytes:
    uid, fields = content
    return event_file(n if uid is None else uid, **fields)


_edits = st.one_of(
    st.builds(lambda n, c: _write(f"one-{n}.ics", _data(n, c)), _files, _contents),
    st.builds(lambda n, c: _same_length_in_place(f"one-{n}.ics", _data(n, c)), _files,
              _contents),
    st.builds(lambda n: _delete(f"one-{n}.ics"), _files),
    st.builds(lambda n: _touch(f"one-{n}.ics"), _files),
)
_days = st.integers(min_value=0, max_value=20)


def _outcome(read: Callable[[], tuple[Series, ...]]) -> tuple[Series, ...] | str:
    try:
        return read()
    except CalendarError as exc:
        return str(exc)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(_edits, _days), min_size=1, max_size=5))
def test_reads_through_the_cache_equal_reads_without_it(
        tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[Edit, int]]) -> None:
    folder = tmp_path_factory.mktemp("calendar")
    calendar = LocalCalendar(folder, "Europe/Berlin")
    for edit, days in steps:
        edit(folder)
        later = dt.timedelta(days=days)
        window = (WINDOW[0] + later, WINDOW[1] + later)
        calendar = next_run(calendar)
        assert _outcome(lambda: calendar.read(*window)) == _outcome(  # noqa: B023
            lambda: fresh(folder, window))  # noqa: B023
