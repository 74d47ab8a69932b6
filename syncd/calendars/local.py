"""A vdir-style folder of .ics files (one file per series) as a writable calendar.

Files are parsed with icalendar and expanded with recurring_ical_events (see
syncd.calendars.ical). Any file that cannot be parsed fails the whole read: a
broken calendar must never look like an empty one. An event that parses but
cannot be expanded comes back as a Series marked `broken`. Writes touch only the
master VEVENT of a series and go through atomic_write, so overrides and
everything a person wrote stay as they were.

A file that did not change is not parsed again: `LocalCache` keeps each file's
converted Series (for a window a week wider than the one read) under its stat, the
way vdirsyncer and khal take a file's mtime and inode as its etag. A changed stat
makes the file be read and hashed, and only different bytes are parsed; a stat taken
too close to the file's last change to tell a later edit in the same tick is hashed
again on the next read too (git's "racily clean" rule), so an edit that keeps size
and mtime is never missed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo

from syncd.calendars.base import CalendarError, ConflictError
from syncd.calendars.codec import (
    SERIES_VERSION,
    dump_cache,
    load_cache,
    series_of_rows,
    series_rows,
)
from syncd.calendars.window import within, zone_named
from syncd.core.model import Series, SeriesPatch, SeriesSpec
from syncd.fsutil import atomic_write

if TYPE_CHECKING:
    import icalendar

_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]")
# Converted Series are kept for a window this much longer than the one read, so the
# next runs (whose window has moved on by minutes or days) reuse them.
_AHEAD = dt.timedelta(days=7)
# A file whose mtime or ctime is this close to the moment it was read (or later) may be
# changed again within the same timestamp tick (1 s on some file systems, 2 s on FAT;
# a network share's clock may be off): its stat alone proves nothing next time, so it
# is hashed again. Only recently changed files pay that, and hashing is cheap.
_RACY_NS = 10_000_000_000


@dataclass(frozen=True)
class _Entry:
    """What a read learned of one file."""

    stat: tuple[int, ...]  # device, inode, size, mtime_ns, ctime_ns when it was read
    racy: bool  # stat taken too close to its last change: hash the file again next time
    sha256: str  # of its bytes: the etag of its series
    uids: tuple[str, ...]  # the UIDs in it (for the index writes use)
    since: str = ""  # ISO datetime: the window `series` holds instances for
    until: str = ""
    series: list[dict[str, Any]] | None = None  # codec rows; None when not stored

    def covers(self, start: dt.datetime, end: dt.datetime) -> bool:
        """Whether the stored series hold every instance between start and end."""
        return (self.series is not None and bool(self.since)
                and dt.datetime.fromisoformat(self.since) <= start
                and end <= dt.datetime.fromisoformat(self.until))


@dataclass(frozen=True)
class LocalCache:
    """What is remembered about the folder's files between reads (kept in state)."""

    VERSION: ClassVar[int] = 1  # bump when the fields change: an older cache is dropped

    zone: str = ""  # the default zone floating times were read in
    files: Mapping[str, _Entry] = field(default_factory=dict)  # file name → entry

    def to_json(self) -> str:
        """For the state's key-value table."""
        files = {name: [list(e.stat), e.racy, e.sha256, list(e.uids), e.since, e.until,
                        e.series] for name, e in self.files.items()}
        return dump_cache(self.VERSION, {"series_version": SERIES_VERSION, "zone": self.zone,
                                         "files": files})

    @classmethod
    def from_json(cls, text: str) -> LocalCache | None:
        """The cache `to_json` wrote; None (no cache) when it is of another version or
        not of this shape."""
        data = load_cache(text, cls.VERSION)
        if data is None or data.get("series_version") != SERIES_VERSION:
            return None
        try:
            files = {
                str(name): _Entry(tuple(int(n) for n in stat), bool(racy), str(sha),
                                  tuple(str(u) for u in uids), str(since), str(until),
                                  rows if isinstance(rows, list) else None)
                for name, (stat, racy, sha, uids, since, until, rows)
                in dict(data["files"]).items()
            }
            return cls(str(data["zone"]), files)
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True)
class _File:
    """One calendar file as read from disk: the bytes its etag is taken from, parsed."""

    path: Path
    raw: bytes
    calendar: icalendar.Calendar
    synthetic: frozenset[str]  # UIDs given in memory to events that have none


class LocalCalendar:
    """A folder of .ics files: one series per file, several UIDs per file tolerated."""

    def __init__(self, path: Path, default_timezone: str,
                 cache: LocalCache | None = None) -> None:
        """Use the folder at `path`; floating and all-day times are read in `default_timezone`.

        `cache` is what an earlier process learned about the files; `self.cache` holds
        the current one after each read (and this object's writes).
        """
        zone = zone_named(default_timezone)
        if zone is None:
            raise CalendarError(f"unknown time zone {default_timezone!r}")
        self.path = path
        self.name = f"local calendar {path}"
        self._default = zone
        self._index: dict[str, Path] = {}  # uid → file, rebuilt by every read
        self.cache = cache if cache is not None and cache.zone == zone.key else LocalCache(zone.key)
        self._window: tuple[dt.datetime, dt.datetime] | None = None  # of the last read

    def cache_json(self) -> str:
        """What the last read learned (stats, hashes, converted series), for the next run."""
        return self.cache.to_json()

    # --- reading -------------------------------------------------------------

    def read(self, start: dt.datetime, end: dt.datetime) -> tuple[Series, ...]:
        """Every event in the folder with its instances between start and end (aware)."""
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("read needs timezone-aware start and end")
        began = time.time_ns()
        files: dict[str, _Entry] = {}
        series: list[Series] = []
        for name in self._names():
            path = self.path / name
            with self._about(path):
                files[name], found = self._read_file(name, path, start, end, began)
            series.extend(within(s, start, end) for s in found)
        self._index = self._index_of((self.path / n, e.uids) for n, e in files.items())
        self.cache = LocalCache(self._default.key, files)
        self._window = (start, end)
        return tuple(sorted(series, key=lambda s: s.uid))

    def _read_file(self, name: str, path: Path, start: dt.datetime, end: dt.datetime,
                   began: int) -> tuple[_Entry, tuple[Series, ...]]:
        """One file's entry and series for [start, end): the cached ones while its stat, or
        else its bytes, are those the cache holds, else freshly converted."""
        old = self.cache.files.get(name)
        usable = old is not None and old.covers(start, end)
        with path.open("rb") as stream:
            # The stat before the bytes: an edit after it changes the stat seen next time.
            info = os.fstat(stream.fileno())
            stat = _stat(info)
            racy = max(info.st_mtime_ns, info.st_ctime_ns) >= began - _RACY_NS
            trusted = usable and old is not None and not old.racy and old.stat == stat
            raw = None if trusted else stream.read()
        if old is not None and usable and (raw is None or _etag(raw) == old.sha256):
            try:
                return replace(old, stat=stat, racy=racy), series_of_rows(old.series or [])
            except (KeyError, TypeError, ValueError, IndexError, OverflowError):
                pass  # a cache of the right version but not of this shape: read the file
        if raw is None:
            raw = path.read_bytes()
            stat = ()  # these bytes may be newer than that stat: hash them again next time
        return self._convert(name, raw, stat, racy, start, end)

    def _convert(self, name: str, raw: bytes, stat: tuple[int, ...], racy: bool,
                 start: dt.datetime, end: dt.datetime) -> tuple[_Entry, tuple[Series, ...]]:
        """Parse and expand one file's bytes: its series, and its entry for the cache."""
        from syncd.calendars import ical  # iCalendar only for a file that is parsed

        etag = _etag(raw)
        calendar = _parsed(raw)
        ical.name_anonymous_events(calendar, name)
        uids = tuple(dict.fromkeys(ical.uid_of(e) for e in calendar.walk("VEVENT")))
        until = end + _AHEAD
        series = ical.series_from_calendar(calendar, start, until, self._default,
                                           lambda _: etag)
        rows = series_rows(series)
        if any(s.broken for s in series):
            # What a broken series shows can depend on the window (an unreadable start falls
            # back to it, a rule too dense up to `until` may not be up to `end`): such a file
            # is converted for exactly this window, and again on every read.
            series = ical.series_from_calendar(calendar, start, end, self._default,
                                               lambda _: etag)
            rows = None
        entry = _Entry(stat, racy, etag, uids, start.isoformat() if rows is not None else "",
                       until.isoformat() if rows is not None else "", rows)
        return entry, tuple(series)

    def _remember(self, path: Path) -> None:
        """Put a file this object just wrote into the cache, read back as the next read
        would read it (so a run's own writes are not parsed again by the next run)."""
        files = dict(self.cache.files)
        files.pop(path.name, None)
        if self._window is not None:
            # _about turns every failure into a CalendarError: then the file is simply
            # not cached, and the next read parses it.
            with contextlib.suppress(CalendarError), self._about(path):
                files[path.name], _ = self._read_file(path.name, path, *self._window,
                                                      time.time_ns())
        self.cache = LocalCache(self._default.key, files)

    # --- writing -------------------------------------------------------------

    def create(self, spec: SeriesSpec) -> str:
        """Write a new series file; if a file already holds spec.uid, return its etag."""
        found = self._find(spec.uid)
        if found is not None:
            return _etag(found.raw)
        zone = zone_named(spec.timezone)
        if zone is None:
            raise CalendarError(f"{self.name}: unknown time zone {spec.timezone!r}")
        target = self.path / _file_name(spec.uid)
        if target.exists():
            raise CalendarError(f"{self.name}: {target.name} already holds another event")
        from syncd.calendars import vevent  # iCalendar only for what writes

        data = vevent.calendar_bytes([vevent.series_event(spec, zone)])
        atomic_write(target, data, 0o600)
        self._index[spec.uid] = target
        self._remember(target)
        return _etag(data)

    def patch(self, uid: str, patch: SeriesPatch, etag: str) -> str:
        """Change the master of series `uid` if its file still has `etag`; returns the new etag."""
        found = self._find(uid)
        if found is None:
            raise CalendarError(f"{self.name}: event {uid} is gone")
        if _etag(found.raw) != etag:
            raise ConflictError(f"{self.name}: event {uid} changed since it was read")
        if uid in found.synthetic:
            raise CalendarError(
                f"{self.name}: event {uid} in {found.path.name} has no UID of its own; not changed"
            )
        from syncd.calendars import ical, vevent

        with self._about(found.path):
            events = found.calendar.walk("VEVENT")
            master = ical.master_of([e for e in events if ical.uid_of(e) == uid])
            if master is None:
                raise CalendarError(
                    f"{self.name}: {found.path.name} has only changed instances of {uid}"
                )
            vevent.patch_master(master, patch, self._floating_zone(found.calendar))
            for event in events:
                if ical.uid_of(event) in found.synthetic:
                    event.pop("UID")
            data = found.calendar.to_ical()
        atomic_write(found.path, data)
        self._remember(found.path)
        return _etag(data)

    # --- files and the uid index ---------------------------------------------

    def _names(self) -> list[str]:
        """The names of the folder's calendar files, in order."""
        try:
            names = sorted(os.listdir(self.path))
        except FileNotFoundError:
            raise CalendarError(f"{self.name}: no such folder") from None
        except NotADirectoryError:
            raise CalendarError(f"{self.name}: a file, not a folder of .ics files") from None
        except OSError as exc:
            raise CalendarError(f"{self.name}: cannot list the folder: "
                                f"{exc.strerror or exc}") from None
        return [n for n in names if n.endswith(".ics") and not n.startswith(".")]

    def _uids_now(self) -> Iterator[tuple[Path, tuple[str, ...]]]:
        """Each calendar file of the folder with the UIDs it holds now: those this object
        last learned while the file's stat (or, for a racy one, its bytes) is still the
        same, else those of the file parsed. Only what changed is parsed, so the writes of
        a run do not each parse the whole folder again."""
        from syncd.calendars import ical

        for name in self._names():
            path = self.path / name
            entry = self.cache.files.get(name)
            with self._about(path):
                same = entry is not None and bool(entry.stat) \
                    and _stat(os.stat(path)) == entry.stat \
                    and (not entry.racy or _etag(path.read_bytes()) == entry.sha256)
            if entry is not None and same:
                yield path, entry.uids
            else:
                file = self._load(path)
                yield path, tuple(ical.uid_of(e) for e in file.calendar.walk("VEVENT"))

    def _load(self, path: Path) -> _File:
        from syncd.calendars import ical

        with self._about(path):
            raw = path.read_bytes()
            calendar = _parsed(raw)
        return _File(path, raw, calendar, ical.name_anonymous_events(calendar, path.name))

    def _index_of(self, files: Iterable[tuple[Path, Iterable[str]]]) -> dict[str, Path]:
        """UID → the file holding it; a UID in two files fails the read."""
        index: dict[str, Path] = {}
        for path, uids in files:
            for uid in set(uids):
                if uid in index:
                    raise CalendarError(
                        f"{self.name}: event {uid} is in both {index[uid].name} and "
                        f"{path.name}"
                    )
                index[uid] = path
        return index

    def _find(self, uid: str) -> _File | None:
        """The file holding `uid`: the indexed one if it still does, else the one the
        folder holds it in now."""
        from syncd.calendars import ical

        path = self._index.get(uid)
        if path is not None and path.is_file():
            file = self._load(path)
            if any(ical.uid_of(e) == uid for e in file.calendar.walk("VEVENT")):
                return file
        self._index = self._index_of(self._uids_now())
        path = self._index.get(uid)
        return self._load(path) if path is not None else None

    def _floating_zone(self, calendar: icalendar.Calendar) -> ZoneInfo:
        from syncd.calendars import ical

        return ical.floating_zone(calendar, self._default)

    @contextlib.contextmanager
    def _about(self, path: Path) -> Iterator[None]:
        """Turn any failure while using `path` into a CalendarError naming the file."""
        try:
            yield
        except CalendarError:
            raise
        except Exception as exc:
            raise CalendarError(
                f"{self.name}: cannot use {path.name}: {type(exc).__name__}: {exc}"
            ) from exc


def _stat(info: os.stat_result) -> tuple[int, ...]:
    """What tells a file changed: device, inode, size, mtime and ctime (ns)."""
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def _etag(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _parsed(raw: bytes) -> icalendar.Calendar:
    import icalendar  # only for a file that is parsed: an unchanged one is not

    calendar = icalendar.Calendar.from_ical(raw)
    if not isinstance(calendar, icalendar.Calendar):
        raise ValueError("not a VCALENDAR")
    return calendar


# --- writing -------------------------------------------------------------------


def _file_name(uid: str) -> str:
    safe = _UNSAFE.sub("_", uid)
    if not safe or safe.startswith("."):
        # A leading dot would hide the file from every later read.
        safe = "_" + safe[1:]
    return f"{safe}.ics"
