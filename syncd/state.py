"""What syncd remembers between runs, in one SQLite file.

The file lives in a private directory (0700) as `syncd.sqlite3` (0600) in WAL
mode with full fsync. Every write happens inside `State.transaction()`, so a
run's step is either recorded whole or not at all. The schema is upgraded in
place by `MIGRATIONS`; a file written by a newer syncd is refused untouched.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast, get_args

from syncd.core.model import (
    BookedMakeUp,
    Memory,
    NotesDoc,
    Occurrence,
    OccurrenceStatus,
    OwnedSeries,
    OwnedStatus,
    Placement,
    SkipReason,
    Slot,
)
from syncd.fsutil import SymlinkRefused, open_nofollow, refuse_symlink

DB_NAME = "syncd.sqlite3"

# MIGRATIONS[i] upgrades a database from user_version i to i + 1. Append only:
# a released entry is never edited, since databases in the field already ran it.
# (The first one's `prepared` table is no longer written or read: a notes document's
# agenda sections are the record of what was prepared. Dropping it would need a migration.)
MIGRATIONS: list[str] = [
    """
    CREATE TABLE series (
        uid TEXT PRIMARY KEY,
        person TEXT NOT NULL,
        generation INTEGER NOT NULL,
        origin TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX series_person ON series (person, generation);
    CREATE TABLE notes (
        person TEXT PRIMARY KEY,
        doc_id TEXT NOT NULL,
        url TEXT NOT NULL
    );
    CREATE TABLE prepared (
        person TEXT NOT NULL,
        day TEXT NOT NULL,
        PRIMARY KEY (person, day)
    );
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        action TEXT NOT NULL,
        person TEXT NOT NULL,
        target TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE TABLE kv (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 1 → 2: classified past occurrences, so a feed that later drops old events
    # does not erase a skip.
    """
    CREATE TABLE occurrences (
        person TEXT NOT NULL,
        expected TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT,
        actual_start TEXT,
        series_uid TEXT NOT NULL,
        PRIMARY KEY (person, expected)
    );
    """,
    # 2 → 3: where a person's 1:1s begin, decided once: the slot syncd chose for
    # `slot: auto`, the day of the first 1:1 (the rollout's week, where phases count from).
    """
    CREATE TABLE placements (
        person TEXT PRIMARY KEY,
        first TEXT NOT NULL,
        slot_day INTEGER,
        slot_time TEXT,
        new INTEGER NOT NULL,
        decided TEXT NOT NULL
    );
    """,
]

# How long to wait for another syncd process holding the write lock.
_BUSY_TIMEOUT_S = 10.0
_ORIGINS: tuple[str, ...] = ("created", "adopted")
# kv keys of the identities syncd wrote, by series uid (kv needs no schema change).
_WRITTEN = "written:"
# kv keys of the one-off make-ups syncd booked, by uid; the value is "person expected start".
_MAKEUP = "makeup:"
_STATUSES: tuple[str, ...] = get_args(OwnedStatus)


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log: what syncd did, to whom, when."""

    at: dt.datetime
    action: str
    person: str
    target: str
    detail: str


class StateError(Exception):
    """The state database cannot be opened, read or written."""


class State:
    """syncd's memory between runs. Create with `State.open` or `State.open_readonly`."""

    def __init__(self, conn: sqlite3.Connection, *, read_only: bool,
                 directory: Path | None = None) -> None:
        """Wrap an open, migrated connection; use `open` or `open_readonly` instead."""
        self._conn = conn
        self._read_only = read_only
        self._directory = directory
        self._in_transaction = False

    # --- opening -------------------------------------------------------------

    @classmethod
    def open(cls, directory: Path) -> State:
        """Open (creating if needed) the state in `directory` and migrate it to this version.

        Raises StateError when the directory or file cannot be used, or when the
        database was written by a newer syncd (the file is then left untouched).
        """
        path = directory / DB_NAME
        try:
            _private_directory(directory)
            created = _create_private_file(path)
        except SymlinkRefused as exc:
            raise StateError(f"state database {exc}") from None
        except OSError as exc:
            raise StateError(f"cannot prepare {directory}: {exc.strerror or exc}") from None
        if not created:
            _refuse_read_only(path)
        if not os.access(directory, os.W_OK | os.X_OK, effective_ids=True):
            # SQLite keeps its -wal and -shm files beside the database.
            raise StateError(f"the state folder {directory} is read-only, and syncd writes its "
                             f"journal there; to let syncd work again: chmod 700 {directory}")
        conn = _connect(str(path), uri=False)
        try:
            _refuse_newer(conn, path)
            if not created:
                _tighten(path, 0o600)
            mode = _execute(conn, "PRAGMA journal_mode = WAL").fetchone()
            if mode is None or str(mode[0]).lower() != "wal":
                raise StateError(f"{path}: cannot switch to WAL journal mode")
            _execute(conn, "PRAGMA synchronous = FULL")
            _execute(conn, "PRAGMA foreign_keys = ON")
            _migrate(conn, path)
        except StateError as exc:
            conn.close()
            raise _explained(exc, directory) from exc.__cause__
        except BaseException:
            conn.close()
            raise
        return cls(conn, read_only=False, directory=directory)

    @classmethod
    def open_readonly(cls, directory: Path) -> State:
        """A read-only snapshot of the state in `directory`, for dry runs and reports.

        Never creates or changes a file: a missing database gives an empty state,
        an older schema is migrated in memory only. Writes raise StateError.
        """
        path = directory / DB_NAME
        memory = _connect(":memory:", uri=False)
        try:
            if _exists(path):
                _snapshot(path, memory)
            _migrate(memory, path)
            _execute(memory, "PRAGMA foreign_keys = ON")
        except StateError as exc:
            memory.close()
            raise _explained(exc, directory) from exc.__cause__
        except BaseException:
            memory.close()
            raise
        return cls(memory, read_only=True)

    def close(self) -> None:
        """Close the database; the State must not be used afterwards."""
        self._conn.close()

    # --- reading -------------------------------------------------------------

    def memory(self) -> Memory:
        """Everything the planner needs: owned series, notes documents, what syncd last
        wrote on each series, booked make-ups."""
        series = tuple(
            OwnedSeries(
                uid=uid, person=person, generation=generation,
                origin=cast(Literal["created", "adopted"], _checked(origin, _ORIGINS, uid)),
                status=cast(OwnedStatus, _checked(status, _STATUSES, uid)),
            )
            for uid, person, generation, origin, status in self._query(
                "SELECT uid, person, generation, origin, status FROM series"
                " ORDER BY person, generation, uid"
            )
        )
        notes = tuple(
            NotesDoc(person=person, doc_id=doc_id, url=url)
            for person, doc_id, url in self._query(
                "SELECT person, doc_id, url FROM notes ORDER BY person"
            )
        )
        written = {key.removeprefix(_WRITTEN): value for key, value in self._query(
            "SELECT key, value FROM kv WHERE key LIKE ?", (_WRITTEN + "%",))}
        makeups = tuple(sorted((_makeup(key.removeprefix(_MAKEUP), value) for key, value in
                                self._query("SELECT key, value FROM kv WHERE key LIKE ?",
                                            (_MAKEUP + "%",))),
                               key=lambda m: (m.person, m.expected, m.uid)))
        return Memory(series=series, notes=notes, written=written, makeups=makeups)

    def audit_log(self, limit: int | None = None) -> list[AuditEntry]:
        """The audit log, oldest first; with `limit`, only the newest `limit` entries."""
        if limit is not None and limit < 0:
            raise ValueError("limit must not be negative")
        rows = self._query(
            "SELECT at, action, person, target, detail FROM"
            " (SELECT * FROM audit ORDER BY id DESC LIMIT ?) ORDER BY id",
            (-1 if limit is None else limit,),
        )
        return [
            AuditEntry(_parse_datetime(at), action, person, target, detail)
            for at, action, person, target, detail in rows
        ]

    def occurrences(self, start: dt.datetime, end: dt.datetime) -> list[Occurrence]:
        """Stored occurrences expected in [start, end), by person then time (times in UTC)."""
        rows = self._query(
            "SELECT person, expected, status, reason, actual_start, series_uid FROM occurrences"
            " WHERE expected >= ? AND expected < ? ORDER BY person, expected",
            (_utc(start), _utc(end)),
        )
        return [
            Occurrence(
                person=person, expected=_parse_datetime(expected),
                status=cast(OccurrenceStatus, status), reason=cast(SkipReason | None, reason),
                actual_start=_parse_datetime(actual) if actual else None, series_uid=uid,
            )
            for person, expected, status, reason, actual, uid in rows
        ]

    def placements(self) -> dict[str, Placement]:
        """What syncd decided about where each person's 1:1s begin, by email."""
        out = {}
        for person, first, day, time, new, decided in self._query(
                "SELECT person, first, slot_day, slot_time, new, decided FROM placements"):
            slot = None
            if day is not None and time is not None:
                if not (isinstance(day, int) and 0 <= day <= 6):
                    raise StateError(f"placement of {person!r} has a bad day {day!r} in state")
                slot = Slot(day, _parse_time(time))
            out[person] = Placement(person, _parse_date(first), slot, bool(new),
                                    _parse_date(decided))
        return out

    def people_with_history(self) -> frozenset[str]:
        """Everyone syncd ever recorded a 1:1 occurrence for."""
        return frozenset(p for (p,) in self._query("SELECT DISTINCT person FROM occurrences"))

    def get_value(self, key: str) -> str | None:
        """The value stored under `key`, or None."""
        rows = self._query("SELECT value FROM kv WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    # --- writing -------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes into one atomic commit; any exception rolls all of them back.

        Transactions do not nest. Every write method must be called inside one.
        """
        if self._read_only:
            raise StateError("state was opened read-only")
        if self._in_transaction:
            raise StateError("a transaction is already open")
        _execute(self._conn, "BEGIN IMMEDIATE")
        self._in_transaction = True
        try:
            yield
            _execute(self._conn, "COMMIT")
        except BaseException as exc:
            # Also on KeyboardInterrupt and the like: a half-done step must not survive.
            # A failing ROLLBACK must not hide the exception that caused it.
            with suppress(sqlite3.Error):
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
            if isinstance(exc, StateError) and self._directory is not None:
                raise _explained(exc, self._directory) from exc.__cause__
            raise
        finally:
            self._in_transaction = False

    def record_series(self, owned: OwnedSeries) -> None:
        """Insert or replace what is known about the owned series `owned.uid`."""
        now = _now()
        self._write(
            "INSERT INTO series (uid, person, generation, origin, status, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (uid) DO UPDATE SET person = excluded.person,"
            " generation = excluded.generation, origin = excluded.origin,"
            " status = excluded.status, updated_at = excluded.updated_at",
            (owned.uid, owned.person, owned.generation, owned.origin, owned.status, now, now),
        )

    def record_written(self, uid: str, written: str) -> None:
        """Remember what syncd wrote on series `uid` (identity.Written.text())."""
        self.set_value(_WRITTEN + uid, written)

    def record_makeup(self, booked: BookedMakeUp) -> None:
        """Remember a one-off make-up syncd booked (or found it had booked); idempotent."""
        self.set_value(_MAKEUP + booked.uid, " ".join(
            (booked.person, _utc(booked.expected), _utc(booked.start))))

    def set_series_status(self, uid: str, status: OwnedStatus) -> None:
        """Change the status of an owned series; StateError if `uid` is not owned."""
        cursor = self._write(
            "UPDATE series SET status = ?, updated_at = ? WHERE uid = ?", (status, _now(), uid)
        )
        if cursor.rowcount == 0:
            raise StateError(f"no owned series with uid {uid!r}")

    def record_occurrences(self, rows: Iterable[Occurrence],
                           known: Iterable[Occurrence] = ()) -> None:
        """Insert or replace classified occurrences (keyed by person and expected instant).

        `known`: rows `occurrences` read in this transaction; a row stored just so already
        is not written again (run after run, most of them)."""
        stored = {(values[0], values[1]): values for values in map(_occurrence_values, known)}
        for occ in rows:
            values = _occurrence_values(occ)
            if stored.get((values[0], values[1])) == values:
                continue
            self._write(
                "INSERT OR REPLACE INTO occurrences"
                " (person, expected, status, reason, actual_start, series_uid)"
                " VALUES (?, ?, ?, ?, ?, ?)", values)
            stored[(values[0], values[1])] = values

    def record_placement(self, placed: Placement) -> None:
        """Insert or replace what syncd decided about where `placed.person`'s 1:1s begin."""
        self._write(
            "INSERT OR REPLACE INTO placements (person, first, slot_day, slot_time, new,"
            " decided) VALUES (?, ?, ?, ?, ?, ?)",
            (placed.person, placed.first.isoformat(),
             placed.slot.day if placed.slot else None,
             placed.slot.time.strftime("%H:%M") if placed.slot else None, int(placed.new),
             (placed.decided or placed.first).isoformat()),
        )

    def record_notes(self, doc: NotesDoc) -> None:
        """Insert or replace the notes document of `doc.person` (id and url only)."""
        self._write(
            "INSERT INTO notes (person, doc_id, url) VALUES (?, ?, ?)"
            " ON CONFLICT (person) DO UPDATE SET doc_id = excluded.doc_id, url = excluded.url",
            (doc.person, doc.doc_id, doc.url),
        )

    def audit(self, at: dt.datetime, action: str, person: str, target: str, detail: str) -> None:
        """Append a line to the audit log; `at` must be timezone-aware."""
        if at.utcoffset() is None:
            raise ValueError("audit time must be timezone-aware")
        self._write(
            "INSERT INTO audit (at, action, person, target, detail) VALUES (?, ?, ?, ?, ?)",
            (at.isoformat(), action, person, target, detail),
        )

    def set_value(self, key: str, value: str) -> None:
        """Store `value` under `key`, replacing any previous value."""
        self._write(
            "INSERT INTO kv (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # --- helpers -------------------------------------------------------------

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return _execute(self._conn, sql, params).fetchall()

    def _write(self, sql: str, params: tuple[Any, ...]) -> sqlite3.Cursor:
        if not self._in_transaction:
            raise StateError("state writes must happen inside State.transaction()")
        return _execute(self._conn, sql, params)


def _explained(exc: StateError, directory: Path) -> StateError:
    """`exc`, or a StateError saying the disk is full when that is why SQLite failed (it may
    call that "disk I/O error" when its shared-memory file cannot grow)."""
    try:
        full = os.statvfs(directory).f_bavail == 0
    except OSError:
        full = False
    if not full:
        return exc if str(directory) in str(exc) else StateError(f"state in {directory}: {exc}")
    return StateError(f"the disk holding the state in {directory} is full ({exc}); nothing "
                      "was recorded: free some space and run again")


def _execute(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
    try:
        return conn.execute(sql, params)
    except sqlite3.Error as exc:
        raise StateError(f"state database: {exc}") from exc


def _connect(database: str, *, uri: bool) -> sqlite3.Connection:
    try:
        # isolation_level=None: transactions are begun and ended explicitly, never implicitly.
        return sqlite3.connect(
            database, uri=uri, timeout=_BUSY_TIMEOUT_S, isolation_level=None
        )
    except sqlite3.Error as exc:
        raise StateError(f"cannot open {database}: {exc}") from exc


def _private_directory(directory: Path) -> None:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    _tighten(directory, 0o700)


def _tighten(path: Path, mode: int) -> None:
    """Set `path` to `mode` if it allows more (the state holds private data)."""
    try:
        if stat.S_IMODE(path.stat().st_mode) & ~mode:
            os.chmod(path, mode)
    except OSError as exc:
        raise StateError(f"cannot restrict permissions of {path}: {exc}") from exc


def _create_private_file(path: Path) -> bool:
    """Create an empty 0600 file unless one exists; True when this call created it.

    Raises SymlinkRefused when `path` is a symbolic link (SQLite would follow it).
    """
    try:
        fd = open_nofollow(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        refuse_symlink(path)
        return False
    os.close(fd)
    return True


def _refuse_read_only(path: Path) -> None:
    """A database its owner made read-only (chmod 444) stays so: say so instead of writing."""
    try:
        info = path.stat()
    except OSError as exc:
        raise StateError(f"cannot look at {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise StateError(f"{path} is not a regular file")
    if not info.st_mode & stat.S_IWUSR:
        raise StateError(
            f"{path} is read-only (mode {stat.S_IMODE(info.st_mode):04o}), so syncd leaves it"
            f" and writes nothing; to let syncd work again: chmod 600 {path}")


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError as exc:
        raise StateError(f"cannot look at {path}: {exc}") from exc


def _user_version(conn: sqlite3.Connection) -> int:
    row = _execute(conn, "PRAGMA user_version").fetchone()
    return int(row[0]) if row else 0


def _refuse_newer(conn: sqlite3.Connection, path: Path) -> int:
    version = _user_version(conn)
    if version > len(MIGRATIONS):
        raise StateError(
            f"{path} has schema version {version}, but this syncd only knows up to"
            f" {len(MIGRATIONS)}: it was written by a newer syncd; upgrade syncd"
            " (the file was not changed)"
        )
    return version


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the schema up to date in one transaction; no-op when it already is."""
    version = _refuse_newer(conn, path)
    target = len(MIGRATIONS)
    if version == target:
        return
    # executescript commits any open transaction first, so the whole upgrade
    # (and its version bump) goes in one script with its own BEGIN/COMMIT.
    script = "\n".join(
        ["BEGIN IMMEDIATE;", *MIGRATIONS[version:], f"PRAGMA user_version = {target};", "COMMIT;"]
    )
    try:
        conn.executescript(script)
    except sqlite3.Error as exc:
        if conn.in_transaction:
            _execute(conn, "ROLLBACK")
        # Another syncd process may have run the same upgrade first.
        if _user_version(conn) != target:
            raise StateError(
                f"{path}: upgrading the schema from version {version} to {target} failed: {exc}"
            ) from exc


def _snapshot(path: Path, memory: sqlite3.Connection) -> None:
    """Copy the database at `path` into `memory` without writing anything on disk."""
    wal = path.with_name(path.name + "-wal")
    # With no -wal file nobody has the database open and all of it is in the
    # main file; immutable=1 then reads it without creating -wal/-shm files
    # (which also works in a directory we cannot write). Otherwise read it
    # normally so the WAL content is included.
    query = "mode=ro" if wal.exists() else "mode=ro&immutable=1"
    source = _connect(f"{path.absolute().as_uri()}?{query}", uri=True)
    try:
        _refuse_newer(source, path)
        source.backup(memory)
    except sqlite3.Error as exc:
        raise StateError(f"cannot read {path}: {exc}") from exc
    finally:
        source.close()


def _checked(value: str, allowed: tuple[str, ...], uid: str) -> str:
    if value not in allowed:
        raise StateError(f"series {uid!r} has an unknown value {value!r} in state")
    return value


def _makeup(uid: str, value: str) -> BookedMakeUp:
    try:
        person, expected, start = value.split(" ")
        return BookedMakeUp(uid, person, _parse_datetime(expected), _parse_datetime(start))
    except ValueError:
        raise StateError(f"state holds an unreadable make-up record for {uid!r}") from None


def _parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise StateError(f"bad date {text!r} in state") from exc


def _parse_time(text: str) -> dt.time:
    try:
        return dt.time.fromisoformat(text)
    except ValueError as exc:
        raise StateError(f"bad time of day {text!r} in state") from exc


def _parse_datetime(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise StateError(f"bad time {text!r} in state") from exc


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _occurrence_values(occ: Occurrence) -> tuple[Any, ...]:
    """An occurrence as its row in the occurrences table holds it."""
    return (occ.person, _utc(occ.expected), occ.status, occ.reason,
            _utc(occ.actual_start) if occ.actual_start else None, occ.series_uid)


def _utc(moment: dt.datetime) -> str:
    # One fixed-width UTC form, so stored instants compare correctly as text; isoformat
    # writes it faster wherever it writes the same (whole seconds, four-digit years).
    utc = moment.astimezone(dt.UTC)
    if utc.microsecond == 0 and utc.year >= 1000:
        return utc.isoformat()
    return utc.strftime("%Y-%m-%dT%H:%M:%S+00:00")
