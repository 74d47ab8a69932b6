"""MarkdownNotes: create once, append only, never touch the user's text."""

from __future__ import annotations

import datetime as dt
import errno
import os
import stat
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from syncd.core.model import AgendaWrite, NotesDoc
from syncd.notes.base import NotesError, NotesStore
from syncd.notes.markdown import MarkdownNotes
from syncd.notes.text import shipped_agenda

DAY = dt.date(2026, 12, 1)
ZONE = ZoneInfo("Europe/Berlin")
AGENDA_HEADINGS = [
    "### Follow-ups from last time",
    "### Positive feedback (specific)",
    "### To improve (framed forward)",
    "### Feedback I ask for",
    "### Their topics",
    "### Outcome and follow-ups",
]


def append(notes: MarkdownNotes, doc: NotesDoc, day: dt.date, hour: int = 10) -> None:
    when = dt.datetime.combine(day, dt.time(hour), ZONE)
    notes.append_section(doc, AgendaWrite(day, when), "1:1 Ann / Dana",
                         shipped_agenda("report"))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "notes"


@pytest.fixture
def notes(folder: Path) -> MarkdownNotes:
    return MarkdownNotes(folder)


def test_is_a_notes_store(notes: MarkdownNotes) -> None:
    store: NotesStore = notes
    assert store is notes


def test_create_writes_a_private_file_from_the_template(
    notes: MarkdownNotes, folder: Path
) -> None:
    doc = notes.create("Ann@Example.org", "Ann Lee", "Dana Boss")
    file = folder / "ann@example.org.md"
    assert doc == NotesDoc("ann@example.org", "ann@example.org.md", file.resolve().as_uri())
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    text = file.read_text("utf-8")
    assert text.startswith("# 1:1 notes: Ann Lee\n")
    assert "Private notes kept by Dana Boss. Not shared with anyone." in text
    assert "## Long-term" in text
    for prompt in ("Career vision and goals", "Workflow and ways of working",
                   "What has been frustrating"):
        assert prompt in text
    assert "$" not in text
    assert notes.find("ann@example.org", None) == doc


def test_odd_names_do_not_break_the_template(notes: MarkdownNotes, folder: Path) -> None:
    notes.create("x@y.org", "{name} ${owner_name} $x", "Owner\n# Injected")
    text = (folder / "x@y.org.md").read_text("utf-8")
    assert text.startswith("# 1:1 notes: {name} ${owner_name} $x\n")
    assert "Private notes kept by Owner # Injected." in text


def test_create_again_changes_nothing(notes: MarkdownNotes, folder: Path) -> None:
    first = notes.create("ann@x.org", "Ann", "Dana")
    file = folder / "ann@x.org.md"
    before = (file.read_bytes(), file.stat().st_mtime_ns)
    assert notes.create("ann@x.org", "Someone Else", "Other") == first
    assert (file.read_bytes(), file.stat().st_mtime_ns) == before


def test_create_keeps_a_file_the_user_wrote(notes: MarkdownNotes, folder: Path) -> None:
    folder.mkdir()
    file = folder / "ann@x.org.md"
    mine = b"my own notes\n<!-- syncd:agenda 2026-01-05 -->\n\xff\xfe not utf-8"
    file.write_bytes(mine)
    doc = notes.create("ann@x.org", "Ann", "Dana")
    assert file.read_bytes() == mine
    assert doc.sections == {dt.date(2026, 1, 5)}


def test_find_missing_is_none(notes: MarkdownNotes, folder: Path) -> None:
    assert notes.find("ann@x.org", None) is None
    folder.mkdir()
    assert notes.find("ann@x.org", "other.md") is None


def test_find_by_doc_id_and_reads_marker_lines_only(notes: MarkdownNotes, folder: Path) -> None:
    """A marker counts on a line of its own: inside text (a name, a title) it is data."""
    folder.mkdir()
    (folder / "custom.md").write_text(
        "x\n<!-- syncd:agenda 2026-01-05 -->\ntext <!-- syncd:agenda 2026-02-02 -->\n"
        "<!-- syncd:agenda 2026-13-45 -->\n<!-- other 2026-03-03 -->\n", "utf-8"
    )
    doc = notes.find("ann@x.org", "custom.md")
    assert doc is not None
    assert doc.doc_id == "custom.md"
    assert doc.sections == {dt.date(2026, 1, 5)}


def test_doc_ids_cannot_leave_the_folder(notes: MarkdownNotes, folder: Path) -> None:
    for bad in ("../escape.md", "..", "", "a/b.md"):
        with pytest.raises(NotesError):
            notes.find("ann@x.org", bad)


def test_append_adds_a_dated_section_after_untouched_text(
    notes: MarkdownNotes, folder: Path
) -> None:
    doc = notes.create("ann@x.org", "Ann", "Dana")
    file = folder / "ann@x.org.md"
    before = file.read_bytes()
    append(notes, doc, DAY)
    after = file.read_bytes()
    assert after.startswith(before)
    added = after[len(before):].decode("utf-8")
    lines = added.lstrip("\n").splitlines()
    assert lines[0] == "<!-- syncd:agenda 2026-12-01 2026-12-01T10:00 -->"
    assert lines[1] == "## Tue 2026-12-01 10:00 — 1:1 Ann / Dana"
    positions = [lines.index(h) for h in AGENDA_HEADINGS]
    assert positions == sorted(positions)
    for pos in positions:  # one empty item under each heading, nothing else
        assert lines[pos + 1] == "- "
    assert len(lines) <= 20  # was 27: headings and one empty item each
    assert after.endswith(b"\n")
    found = notes.find("ann@x.org", doc.doc_id)
    assert found is not None
    assert found.sections == {DAY}


def test_append_is_idempotent_per_date(notes: MarkdownNotes, folder: Path) -> None:
    doc = notes.create("ann@x.org", "Ann", "Dana")
    file = folder / "ann@x.org.md"
    append(notes, doc, DAY)
    once = file.read_bytes()
    append(notes, doc, DAY)
    assert file.read_bytes() == once
    assert once.count(b"<!-- syncd:agenda 2026-12-01 ") == 1
    append(notes, doc, DAY + dt.timedelta(days=7))
    found = notes.find("ann@x.org", None)
    assert found is not None
    assert found.sections == {DAY, DAY + dt.timedelta(days=7)}


def test_append_ends_an_unterminated_last_line_first(notes: MarkdownNotes, folder: Path) -> None:
    folder.mkdir()
    file = folder / "ann@x.org.md"
    file.write_bytes(b"last line without newline")
    doc = notes.find("ann@x.org", None)
    assert doc is not None
    append(notes, doc, DAY)
    text = file.read_bytes()
    assert text.startswith(b"last line without newline\n")
    assert b"\n<!-- syncd:agenda 2026-12-01 2026-12-01T10:00 -->\n" in text


def test_append_to_a_missing_file_fails_and_creates_nothing(
    notes: MarkdownNotes, folder: Path
) -> None:
    doc = notes.create("ann@x.org", "Ann", "Dana")
    (folder / doc.doc_id).unlink()
    with pytest.raises(NotesError):
        append(notes, doc, DAY)
    assert not (folder / doc.doc_id).exists()


def test_a_notes_path_that_cannot_be_read_is_an_error(notes: MarkdownNotes, folder: Path) -> None:
    (folder / "ann@x.org.md").mkdir(parents=True)
    with pytest.raises(NotesError):
        notes.find("ann@x.org", None)


def test_an_empty_file_left_by_a_stopped_run_gets_its_template(
    notes: MarkdownNotes, folder: Path
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ann@example.com.md").touch(mode=0o600)
    assert notes.find("ann@example.com", None) is None  # not a notes document yet
    doc = notes.create("ann@example.com", "Ann", "Dana")
    text = (folder / doc.doc_id).read_text()
    assert text.startswith("# 1:1 notes: Ann")
    assert notes.find("ann@example.com", None) == doc


def test_append_after_a_blank_line_adds_no_other(notes: MarkdownNotes, folder: Path) -> None:
    doc = notes.create("ann@x.org", "Ann", "Dana")
    file = folder / doc.doc_id
    file.write_text("my notes\n\n", "utf-8")
    append(notes, doc, DAY)
    assert file.read_text("utf-8").startswith("my notes\n\n<!-- syncd:agenda 2026-12-01 ")


def test_a_moved_meeting_gets_one_pointer_line_and_the_text_stays(
    notes: MarkdownNotes, folder: Path
) -> None:
    doc = notes.create("ann@x.org", "Ann", "Dana")
    append(notes, doc, DAY)
    file = folder / doc.doc_id
    file.write_text(file.read_text() + "- my topic\n")
    before = file.read_text()
    later = dt.datetime(2026, 12, 2, 14, tzinfo=ZONE)
    for _ in range(2):
        notes.move_section(doc, AgendaWrite(DAY, later), "1:1")
    after = file.read_text()
    assert after.startswith(before)
    assert after[len(before):] == (
        "\n_↪ The 1:1 prepared under Tue 2026-12-01 now takes place Wed 2026-12-02 14:00._\n")
    found = notes.find("ann@x.org", None)
    assert found is not None
    assert [(s.key, s.when, s.written) for s in found.agenda] == [
        (DAY, later.replace(tzinfo=None), True)]


def test_a_meeting_called_off_gets_one_line(notes: MarkdownNotes, folder: Path) -> None:
    doc = notes.create("ann@x.org", "Ann", "Dana")
    append(notes, doc, DAY)
    when = dt.datetime.combine(DAY, dt.time(10), ZONE)
    for _ in range(2):
        notes.cancel_section(doc, AgendaWrite(DAY, when, reason="declined by them"))
    text = (folder / doc.doc_id).read_text()
    assert text.count("is off (declined by them)") == 1
    found = notes.find("ann@x.org", None)
    assert found is not None and found.agenda[0].cancelled


def test_writing_to_a_deleted_file_is_an_error(notes: MarkdownNotes, folder: Path) -> None:
    doc = notes.create("ann@x.org", "Ann", "Dana")
    (folder / doc.doc_id).unlink()
    when = dt.datetime.combine(DAY, dt.time(10), ZONE)
    with pytest.raises(NotesError, match=r"cannot open notes file .*No such file"):
        notes.cancel_section(doc, AgendaWrite(DAY, when, reason="x"))


def test_a_folder_where_the_notes_file_goes_is_an_error_not_a_crash(
    notes: MarkdownNotes, folder: Path
) -> None:
    (folder / "ann@x.org.md").mkdir(parents=True)
    with pytest.raises(NotesError, match="cannot read notes file"):
        notes.create("ann@x.org", "Ann", "Dana")
    assert (folder / "ann@x.org.md").is_dir()


def test_a_notes_path_that_is_a_file_cannot_hold_notes(tmp_path: Path) -> None:
    taken = tmp_path / "notes"
    taken.write_text("not a folder")
    with pytest.raises(NotesError, match="cannot create notes folder"):
        MarkdownNotes(taken).create("ann@x.org", "Ann", "Dana")
    assert taken.read_text() == "not a folder"


def test_an_email_too_long_for_a_file_name_is_an_error(notes: MarkdownNotes, folder: Path) -> None:
    email = "a" * 250 + "@x.org"  # 259 bytes with ".md": over the 255 a file name may have
    with pytest.raises(NotesError, match="cannot create notes file"):
        notes.create(email, "Ann", "Dana")
    assert list(folder.iterdir()) == []


def test_a_failed_append_is_cut_back_to_the_file_as_it_was(
    notes: MarkdownNotes, folder: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    doc = notes.create("ann@x.org", "Ann", "Dana")
    before = (folder / doc.doc_id).read_bytes()
    real_write = os.write
    calls = []

    def full_after_a_few_bytes(fd: int, data: bytes | memoryview) -> int:
        calls.append(fd)
        if len(calls) == 1:
            return real_write(fd, bytes(data)[:40])  # a short write, as on a full disk
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("syncd.notes.markdown.os.write", full_after_a_few_bytes)
    with pytest.raises(NotesError, match="No space left on device"):
        append(notes, doc, DAY)
    assert (folder / doc.doc_id).read_bytes() == before


def test_a_notes_file_that_is_a_symlink_is_neither_read_nor_appended_to(
    notes: MarkdownNotes, folder: Path, tmp_path: Path,
) -> None:
    target = tmp_path / "target.md"
    target.write_text("someone else's file\n")
    folder.mkdir()
    (folder / "ann@x.org.md").symlink_to(target)
    for attempt in (lambda: notes.find("ann@x.org", None),
                    lambda: notes.create("ann@x.org", "Ann", "Dana"),
                    lambda: append(notes, NotesDoc("ann@x.org", "ann@x.org.md", "file:///x"),
                                   DAY)):
        with pytest.raises(NotesError, match="is a symbolic link, which syncd does not write"):
            attempt()
    assert target.read_text() == "someone else's file\n"
