"""State: SQLite file, transactions, migrations, read-only snapshots."""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncd import state as state_module
from syncd.core.model import Memory, NotesDoc, Occurrence, OwnedSeries, Placement, Slot
from syncd.state import DB_NAME, MIGRATIONS, AuditEntry, State, StateError

UTC = dt.UTC
AT = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))


class Abort(BaseException):
    """Not an Exception: transactions must roll back on these too."""


class Boom(Exception):
    pass


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def state(state_dir: Path) -> Iterator[State]:
    s = State.open(state_dir)
    yield s
    s.close()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def user_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def fill(state: State) -> None:
    with state.transaction():
        state.record_series(OwnedSeries("u2", "bob@x.org", 1, "adopted"))
        state.record_series(OwnedSeries("u1", "bob@x.org", 0, "created", "ended"))
        state.record_series(OwnedSeries("u0", "ann@x.org", 0, "created"))
        state.record_notes(NotesDoc("bob@x.org", "bob@x.org.md", "file:///n/bob@x.org.md"))
        state.record_notes(NotesDoc("ann@x.org", "ann@x.org.md", "file:///n/ann@x.org.md"))
        state.audit(AT, "create-series", "ann@x.org", "u0", "weekly 1:1")


EXPECTED = Memory(
    series=(
        OwnedSeries("u0", "ann@x.org", 0, "created"),
        OwnedSeries("u1", "bob@x.org", 0, "created", "ended"),
        OwnedSeries("u2", "bob@x.org", 1, "adopted"),
    ),
    notes=(
        NotesDoc("ann@x.org", "ann@x.org.md", "file:///n/ann@x.org.md"),
        NotesDoc("bob@x.org", "bob@x.org.md", "file:///n/bob@x.org.md"),
    ),
)


# --- files and modes -----------------------------------------------------------


def test_fresh_state_is_private_wal_and_current(state: State, state_dir: Path) -> None:
    db = state_dir / DB_NAME
    assert mode(state_dir) == 0o700
    assert mode(db) == 0o600
    assert user_version(db) == len(MIGRATIONS)
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()
    assert state.memory() == Memory()


def test_open_creates_parents_and_tightens_loose_modes(tmp_path: Path) -> None:
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    os.chmod(loose, 0o755)
    State.open(loose).close()
    os.chmod(loose / DB_NAME, 0o644)
    State.open(loose).close()
    assert mode(loose) == 0o700
    assert mode(loose / DB_NAME) == 0o600

    nested = tmp_path / "a" / "b" / "c"
    State.open(nested).close()
    assert mode(nested) == 0o700


def test_reopening_keeps_the_data(state_dir: Path) -> None:
    first = State.open(state_dir)
    fill(first)
    first.close()
    second = State.open(state_dir)
    try:
        assert second.memory() == EXPECTED
        assert len(second.audit_log()) == 1
    finally:
        second.close()


# --- migrations ------------------------------------------------------------------


def test_unversioned_database_is_migrated_in_place(state_dir: Path) -> None:
    state_dir.mkdir(mode=0o700)
    db = state_dir / DB_NAME
    sqlite3.connect(db).close()  # an empty database at user_version 0
    assert user_version(db) == 0
    State.open(state_dir).close()
    assert user_version(db) == len(MIGRATIONS)


def newer_database(state_dir: Path) -> Path:
    State.open(state_dir).close()
    db = state_dir / DB_NAME
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.commit()
    conn.close()
    return db


def test_newer_schema_is_refused_and_left_untouched(state_dir: Path) -> None:
    db = newer_database(state_dir)
    os.chmod(db, 0o644)  # not even its mode may change
    before = (db.read_bytes(), db.stat().st_mtime_ns, mode(db))
    with pytest.raises(StateError, match="newer syncd"):
        State.open(state_dir)
    assert (db.read_bytes(), db.stat().st_mtime_ns, mode(db)) == before
    with pytest.raises(StateError, match="newer syncd"):
        State.open_readonly(state_dir)
    assert (db.read_bytes(), db.stat().st_mtime_ns, mode(db)) == before


# --- transactions ----------------------------------------------------------------


def test_transaction_commits(state: State) -> None:
    fill(state)
    assert state.memory() == EXPECTED


@pytest.mark.parametrize("error", [Boom, Abort, KeyboardInterrupt])
def test_any_exception_rolls_back_everything(state: State, error: type[BaseException]) -> None:
    fill(state)
    with pytest.raises(error), state.transaction():
        state.record_series(OwnedSeries("u9", "cy@x.org", 0, "created"))
        state.set_series_status("u0", "deleted")
        state.record_notes(NotesDoc("ann@x.org", "other.md", "file:///other.md"))
        state.audit(AT, "x", "cy@x.org", "u9", "")
        state.set_value("token", "abc")
        raise error()
    assert state.memory() == EXPECTED
    assert len(state.audit_log()) == 1
    assert state.get_value("token") is None
    # The state is still usable afterwards.
    with state.transaction():
        state.set_value("token", "def")
    assert state.get_value("token") == "def"


def test_writes_outside_a_transaction_are_refused(state: State) -> None:
    writes: list[Callable[[], None]] = [
        lambda: state.record_series(OwnedSeries("u", "a@x.org", 0, "created")),
        lambda: state.set_series_status("u", "ended"),
        lambda: state.record_notes(NotesDoc("a@x.org", "a.md", "file:///a.md")),
        lambda: state.audit(AT, "x", "a@x.org", "t", "d"),
        lambda: state.set_value("k", "v"),
    ]
    for write in writes:
        with pytest.raises(StateError, match="transaction"):
            write()
    assert state.memory() == Memory()


def test_transactions_do_not_nest(state: State) -> None:
    with state.transaction(), pytest.raises(StateError), state.transaction():
        pass


def test_set_status_of_unknown_series_fails(state: State) -> None:
    with pytest.raises(StateError, match="no owned series"), state.transaction():
        state.set_series_status("nope", "ended")


# --- individual records ------------------------------------------------------------


def test_upserts(state: State) -> None:
    fill(state)
    with state.transaction():
        state.record_series(OwnedSeries("u0", "ann@x.org", 3, "adopted", "ended"))
        state.set_series_status("u2", "deleted")
        state.record_notes(NotesDoc("ann@x.org", "renamed.md", "file:///renamed.md"))
    memory = state.memory()
    assert memory.series == (
        OwnedSeries("u0", "ann@x.org", 3, "adopted", "ended"),
        OwnedSeries("u1", "bob@x.org", 0, "created", "ended"),
        OwnedSeries("u2", "bob@x.org", 1, "adopted", "deleted"),
    )
    assert memory.notes[0] == NotesDoc("ann@x.org", "renamed.md", "file:///renamed.md")


def test_audit_log_order_and_limit(state: State) -> None:
    with state.transaction():
        for i in range(5):
            state.audit(AT + dt.timedelta(minutes=i), f"a{i}", "p@x.org", f"t{i}", f"d{i}")
    log = state.audit_log()
    assert [e.action for e in log] == ["a0", "a1", "a2", "a3", "a4"]
    assert log[0] == AuditEntry(AT, "a0", "p@x.org", "t0", "d0")
    assert log[0].at.utcoffset() == dt.timedelta(hours=1)
    assert [e.action for e in state.audit_log(2)] == ["a3", "a4"]
    assert state.audit_log(0) == []
    assert len(state.audit_log(10)) == 5


def test_audit_needs_an_aware_time(state: State) -> None:
    with pytest.raises(ValueError, match="timezone"), state.transaction():
        state.audit(dt.datetime(2026, 1, 1), "x", "p", "t", "d")


def test_key_values(state: State) -> None:
    assert state.get_value("sync-token") is None
    with state.transaction():
        state.set_value("sync-token", "one")
        state.set_value("sync-token", "two")
    assert state.get_value("sync-token") == "two"


# --- read-only -------------------------------------------------------------------------


def test_readonly_on_missing_directory_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "state"
    state = State.open_readonly(missing)
    try:
        assert state.memory() == Memory()
        assert state.audit_log() == []
        assert state.get_value("k") is None
        with pytest.raises(StateError, match="read-only"), state.transaction():
            pass
    finally:
        state.close()
    assert not (tmp_path / "nowhere").exists()


def test_readonly_reads_without_changing_anything(state_dir: Path) -> None:
    writer = State.open(state_dir)
    fill(writer)
    writer.close()
    before_files = sorted(os.listdir(state_dir))
    db = state_dir / DB_NAME
    before = (db.read_bytes(), db.stat().st_mtime_ns)

    state = State.open_readonly(state_dir)
    try:
        assert state.memory() == EXPECTED
        assert [e.target for e in state.audit_log()] == ["u0"]
        with pytest.raises(StateError, match="read-only"), state.transaction():
            state.set_value("k", "v")
    finally:
        state.close()
    assert (db.read_bytes(), db.stat().st_mtime_ns) == before
    assert sorted(os.listdir(state_dir)) == before_files


def test_readonly_sees_data_still_in_the_wal(state_dir: Path) -> None:
    writer = State.open(state_dir)
    try:
        fill(writer)  # committed to the -wal file, not yet checkpointed
        assert (state_dir / (DB_NAME + "-wal")).exists()
        reader = State.open_readonly(state_dir)
        try:
            assert reader.memory() == EXPECTED
        finally:
            reader.close()
    finally:
        writer.close()


def test_readonly_migrates_an_older_schema_in_memory_only(state_dir: Path) -> None:
    state_dir.mkdir(mode=0o700)
    db = state_dir / DB_NAME
    sqlite3.connect(db).close()
    before = (db.read_bytes(), db.stat().st_mtime_ns)
    state = State.open_readonly(state_dir)
    try:
        assert state.memory() == Memory()
    finally:
        state.close()
    assert (db.read_bytes(), db.stat().st_mtime_ns) == before
    assert user_version(db) == 0


def test_version_1_database_gains_history_and_keeps_its_rows(state_dir: Path) -> None:
    state_dir.mkdir(parents=True, mode=0o700)
    conn = sqlite3.connect(state_dir / DB_NAME)
    conn.executescript(MIGRATIONS[0])
    conn.execute("INSERT INTO series VALUES ('u1', 'a@x.org', 1, 'created', 'active', 't', 't')")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    state = State.open(state_dir)
    assert [s.uid for s in state.memory().series] == ["u1"]
    berlin = dt.timezone(dt.timedelta(hours=1))
    held = Occurrence("a@x.org", dt.datetime(2026, 10, 6, 10, 0, tzinfo=berlin), "held")
    skipped = Occurrence("a@x.org", dt.datetime(2026, 10, 13, 10, 0, tzinfo=berlin), "skipped",
                         "cancelled")
    with state.transaction():
        state.record_occurrences([held, skipped])
        state.record_occurrences([skipped])
    rows = state.occurrences(dt.datetime(2026, 10, 1, tzinfo=dt.UTC),
                             dt.datetime(2026, 10, 13, 9, 1, tzinfo=dt.UTC))
    assert rows == [held, skipped]
    assert rows[0].expected.tzinfo == dt.UTC
    state.close()
    version = sqlite3.connect(state_dir / DB_NAME).execute("PRAGMA user_version").fetchone()[0]
    assert version == len(MIGRATIONS) == 3


def test_version_2_database_gains_placements_and_keeps_its_history(state_dir: Path) -> None:
    state_dir.mkdir(parents=True, mode=0o700)
    conn = sqlite3.connect(state_dir / DB_NAME)
    conn.executescript(MIGRATIONS[0] + MIGRATIONS[1])
    conn.execute("INSERT INTO occurrences VALUES ('a@x.org', '2026-10-06T09:00:00+00:00', "
                 "'held', NULL, NULL, 'u1')")
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    state = State.open(state_dir)
    try:
        assert state.people_with_history() == {"a@x.org"}
        assert state.placements() == {}
        chosen = Placement("b@x.org", dt.date(2026, 10, 13), Slot(2, dt.time(11, 15)), True,
                           dt.date(2026, 10, 5))
        with state.transaction():
            state.record_placement(chosen)
            state.record_placement(Placement("c@x.org", dt.date(2026, 9, 1)))
        assert state.placements() == {
            "b@x.org": chosen,
            "c@x.org": Placement("c@x.org", dt.date(2026, 9, 1), None, False,
                                 dt.date(2026, 9, 1))}
    finally:
        state.close()
    assert user_version(state_dir / DB_NAME) == len(MIGRATIONS)


@pytest.mark.parametrize(("table_row", "message"), [
    ("INSERT INTO placements VALUES ('b@x.org', '2026-10-13', 9, '11:15', 1, '2026-10-05')",
     "placement of 'b@x.org' has a bad day 9 in state"),
    ("INSERT INTO placements VALUES ('b@x.org', '2026-10-13', 2, '25:99', 1, '2026-10-05')",
     "bad time of day '25:99' in state"),
    ("INSERT INTO placements VALUES ('b@x.org', 'someday', NULL, NULL, 0, '2026-10-05')",
     "bad date 'someday' in state"),
    ("INSERT INTO kv VALUES ('makeup:u1', 'b@x.org 2026-12-08T09:00:00+00:00')",
     "state holds an unreadable make-up record for 'u1'"),
    ("INSERT INTO kv VALUES ('makeup:u1', 'b@x.org 2026-12-08 never')",
     "bad time 'never' in state"),
])
def test_a_damaged_placement_or_make_up_record_is_a_state_error(
        state: State, state_dir: Path, table_row: str, message: str) -> None:
    """A hand-edited or damaged record says what is wrong; syncd never guesses a slot."""
    conn = sqlite3.connect(state_dir / DB_NAME)
    conn.execute(table_row)
    conn.commit()
    conn.close()
    read = state.memory if table_row.startswith("INSERT INTO kv") else state.placements
    with pytest.raises(StateError, match=re.escape(message)):
        read()


# --- occurrences already stored just so are not written again -------------------------

_instants = st.builds(
    lambda hours, micro, zone: (dt.datetime(2026, 10, 5, 8, tzinfo=UTC) + dt.timedelta(
        hours=hours, microseconds=micro)).astimezone(zone),
    st.sampled_from((0, 0, 1, 168)), st.sampled_from((0, 0, 0, 300)),
    st.sampled_from((UTC, dt.timezone(dt.timedelta(hours=1)), ZoneInfo("Europe/Berlin"))))
_occurrences = st.builds(
    Occurrence, st.sampled_from(("a@x.org", "b@x.org")), _instants,
    st.sampled_from(("held", "skipped", "missing", "rescheduled")),
    st.sampled_from((None, "cancelled")), st.none() | _instants, st.sampled_from(("", "u1")))


def _table(state: State) -> list[tuple[object, ...]]:
    return sorted(state._query("SELECT * FROM occurrences"))


@settings(max_examples=100, deadline=None)
@given(before=st.lists(_occurrences, max_size=6), rows=st.lists(_occurrences, max_size=8))
def test_rows_stored_just_so_are_skipped_and_the_table_is_as_if_all_were_written(
        tmp_path_factory: pytest.TempPathFactory, before: list[Occurrence],
        rows: list[Occurrence]) -> None:
    states = [State.open(tmp_path_factory.mktemp("state")) for _ in range(2)]
    try:
        for state in states:
            with state.transaction():
                state.record_occurrences(before)
        everything, skipping = states
        with everything.transaction():
            everything.record_occurrences(rows)
        with skipping.transaction():
            known = skipping.occurrences(dt.datetime(2026, 1, 1, tzinfo=UTC),
                                         dt.datetime(2027, 1, 1, tzinfo=UTC))
            skipping.record_occurrences(rows, known=known)
        assert _table(skipping) == _table(everything)
    finally:
        for state in states:
            state.close()


def test_a_row_stored_just_so_is_not_written_again(state: State) -> None:
    held = Occurrence("a@x.org", AT, "held", series_uid="u1")
    with state.transaction():
        state.record_occurrences([held])
    writes: list[str] = []
    state._conn.set_trace_callback(writes.append)
    moved = Occurrence("a@x.org", AT + dt.timedelta(weeks=1), "rescheduled",
                       actual_start=AT + dt.timedelta(days=8), series_uid="u1")
    with state.transaction():
        state.record_occurrences([Occurrence(held.person, AT.astimezone(UTC), "held",
                                              series_uid="u1"), moved],
                                 known=state.occurrences(AT - dt.timedelta(days=1),
                                                         AT + dt.timedelta(days=30)))
    assert [w for w in writes if w.startswith("INSERT")] == [
        "INSERT OR REPLACE INTO occurrences (person, expected, status, reason, actual_start, "
        "series_uid) VALUES ('a@x.org', '2026-03-09T08:30:00+00:00', 'rescheduled', NULL, "
        "'2026-03-10T08:30:00+00:00', 'u1')"]


@settings(max_examples=300, deadline=None)
@given(moment=st.datetimes(dt.datetime(1, 1, 2), dt.datetime(9999, 12, 30),
                           timezones=st.sampled_from((UTC, ZoneInfo("Europe/Berlin")))))
def test_instants_are_stored_in_one_fixed_width_utc_form(moment: dt.datetime) -> None:
    assert state_module._utc(moment) == moment.astimezone(UTC).strftime(
        "%Y-%m-%dT%H:%M:%S+00:00")
