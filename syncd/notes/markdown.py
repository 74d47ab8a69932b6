"""Notes as local Markdown files: one private running document per person.

The files belong to the user. syncd only ever creates a file that does not
exist yet and appends dated agenda sections to it; it never truncates,
rewrites or recreates one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import stat
from pathlib import Path

from syncd.core.model import NotesDoc
from syncd.fsutil import SymlinkRefused, open_nofollow
from syncd.notes import text as notes_text
from syncd.notes.base import NotesError

# The line that starts every appended section; find() reads the dates back from it. Only
# a line of its own counts: a name or title holding one must not hide an agenda.
_MARKER = re.compile(r"^[ \t]*<!--[ \t]*syncd:agenda[ \t]+(\d{4}-\d{2}-\d{2})[ \t]*-->[ \t\r]*$",
                     re.MULTILINE)
_MARKER_LINE = "<!-- syncd:agenda {day} -->\n"


class MarkdownNotes:
    """A folder of `<email>.md` files, implementing NotesStore."""

    def __init__(self, path: Path) -> None:
        """Keep notes in the folder `path` (created on the first `create`)."""
        self.path = path

    def find(self, person: str, doc_id: str | None) -> NotesDoc | None:
        """The person's notes file (`doc_id`, else `<email>.md`) with its agenda dates, or None.

        A section cut short at the end of the file (a full disk, a crash mid-append) is not
        counted: append_section completes it.
        """
        file_name = _checked_name(doc_id if doc_id is not None else _default_name(person))
        file = self.path / file_name
        data = _read(file, missing_ok=True)
        if not data:
            return None  # absent, or created but never filled (a stopped run): create() fills it
        return NotesDoc(person.lower(), file_name, _url(file), _sections(data))

    def create(self, person: str, name: str, owner_name: str) -> NotesDoc:
        """Create `<email>.md` (0600) from the template; an existing file is returned untouched."""
        file_name = _checked_name(_default_name(person))
        file = self.path / file_name
        try:
            self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise NotesError(f"cannot create notes folder {self.path}: "
                             f"{exc.strerror or exc}") from None
        fd: int | None
        try:
            # O_EXCL never follows a link: a link planted at the name is "existing".
            fd = open_nofollow(file, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            # Left by an earlier run that crashed before recording it, or made by the user.
            fd = _unfinished(file)
            if fd is None:
                doc = self.find(person, file_name)
                if doc is None:
                    raise NotesError(f"notes file {file} vanished while being created") from None
                return doc
        except OSError as exc:
            raise NotesError(f"cannot create notes file {file}: {exc.strerror or exc}") from None
        text = notes_text.template(name, owner_name)
        try:
            try:
                os.fchmod(fd, 0o600)  # the umask may not be what we expect
                _write_all(fd, text.encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            # The file is ours (O_EXCL) and incomplete: remove it so the next run starts clean.
            file.unlink(missing_ok=True)
            raise NotesError(f"cannot write notes file {file}: {exc.strerror or exc}") from None
        _fsync_directory(self.path)
        return NotesDoc(person.lower(), file_name, _url(file))

    def append_section(self, doc: NotesDoc, date: dt.date, title: str) -> None:
        """Append the agenda for `date` unless it is already there; never changes existing text.

        All or nothing: a write that fails (a full disk) is cut back to where it began, and
        a section a crash cut short is completed rather than counted as written.
        """
        file = self.path / _checked_name(doc.doc_id)
        try:
            # No O_CREAT: a file the user deleted is reported, not silently recreated.
            fd = open_nofollow(file, os.O_RDWR | os.O_APPEND)
        except OSError as exc:
            raise _notes_error("cannot open notes file", file, exc) from None
        try:
            data = _read_fd(fd, file)
            text = data.decode("utf-8", errors="replace")
            if date in _sections(data):
                return
            section = _MARKER_LINE.format(day=date.isoformat()) + notes_text.agenda(date, title)
            rest = _rest_of_torn(text, section)
            if rest is None:
                # Only the last two bytes decide; an empty file needs no blank line first.
                rest = (notes_text.separator(data[-2:].decode("latin-1")) if data else "") \
                    + section
            size = os.fstat(fd).st_size
            try:
                _write_all(fd, rest.encode("utf-8"))
                os.fsync(fd)
            except OSError as exc:
                # Leave the file as it was: a marker with half a section would read as done.
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, size)
                    os.fsync(fd)
                raise _notes_error("cannot append to notes file", file, exc) from None
        finally:
            os.close(fd)

    def agenda_written(self, doc: NotesDoc, date: dt.date) -> bool | None:
        """Whether the agenda section for `date` holds anything beyond the template: True
        when it does, False when it is still the bare template, None when there is none.

        A section runs from its marker to the next marker (or the end of the file), so
        notes typed below the last agenda count for it.
        """
        file = self.path / _checked_name(doc.doc_id)
        data = _read(file)
        if date not in _sections(data):
            return None
        return notes_text.agenda_written(data.decode("utf-8", errors="replace"), date, _MARKER)


def _unfinished(file: Path) -> int | None:
    """An empty notes file open for appending: a run stopped between creating it and
    writing the template (an empty file holds no one's notes). None when it has text."""
    try:
        fd = open_nofollow(file, os.O_WRONLY | os.O_APPEND)
    except SymlinkRefused as exc:
        raise NotesError(f"notes file {exc}") from None
    except OSError:
        return None
    if os.fstat(fd).st_size == 0:
        return fd
    os.close(fd)
    return None


def _default_name(person: str) -> str:
    return f"{person.lower()}.md"


def _checked_name(file_name: str) -> str:
    """`file_name` if it names a file directly inside the folder; NotesError otherwise."""
    if file_name in ("", ".", "..") or "/" in file_name or "\\" in file_name or "\0" in file_name:
        raise NotesError(f"not a notes file name: {file_name!r}")
    return file_name


def _sections(data: bytes) -> frozenset[dt.date]:
    """The dates of the whole agenda sections (a torn one at the end does not count)."""
    # The user may write anything, including invalid UTF-8 and marker look-alikes.
    text = data.decode("utf-8", errors="replace")
    dates = notes_text.agenda_dates(text, _MARKER)
    torn = _torn_date(text)
    if torn is not None and sum(m.group(1) == torn.isoformat()
                                for m in _MARKER.finditer(text)) == 1:
        dates -= {torn}
    return dates


def _last_marker(text: str) -> re.Match[str] | None:
    matches = list(_MARKER.finditer(text))
    return matches[-1] if matches else None


def _torn_date(text: str) -> dt.date | None:
    """The date of the last section when it is cut short: the file ends inside its heading,
    or with a strict beginning of the section syncd writes under that heading."""
    last = _last_marker(text)
    if last is None:
        return None
    try:
        day = dt.date.fromisoformat(last.group(1))
    except ValueError:
        return None
    tail = text[last.start():]
    head = _MARKER_LINE.format(day=day.isoformat()) + f"## {day.isoformat()} — "
    if len(tail) <= len(head) or "\n" not in tail[len(head):]:
        return day if head.startswith(tail[:len(head)]) else None
    title = tail[len(head):].split("\n", 1)[0]
    whole = _MARKER_LINE.format(day=day.isoformat()) + notes_text.agenda(day, title)
    return day if tail != whole and whole.startswith(tail) else None


def _rest_of_torn(text: str, section: str) -> str | None:
    """What completes a section cut short at the end of the file, or None when the file does
    not end inside `section`."""
    last = _last_marker(text)
    if last is None or _torn_date(text) is None:
        return None
    tail = text[last.start():]
    return section[len(tail):] if section.startswith(tail) and tail != section else None


def _notes_error(what: str, file: Path, exc: OSError) -> NotesError:
    if isinstance(exc, SymlinkRefused):
        return NotesError(f"notes file {exc}")
    if isinstance(exc, IsADirectoryError):
        return NotesError(f"{what} {file}: it is a folder, not a notes file; move it away")
    return NotesError(f"{what} {file}: {exc.strerror or exc}")


def _read(file: Path, *, missing_ok: bool = False) -> bytes:
    """The bytes of a notes file, never through a symbolic link; b"" for a missing one
    when `missing_ok`."""
    try:
        fd = open_nofollow(file, os.O_RDONLY)
    except FileNotFoundError:
        if missing_ok:
            return b""
        raise NotesError(f"cannot read notes file {file}: it is gone") from None
    except OSError as exc:
        raise _notes_error("cannot read notes file", file, exc) from None
    try:
        return _read_fd(fd, file)
    finally:
        os.close(fd)


def _read_fd(fd: int, file: Path) -> bytes:
    chunks: list[bytes] = []
    offset = 0
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError
        if not stat.S_ISREG(mode):
            raise NotesError(f"cannot read notes file {file}: not a regular file; move it away")
        while chunk := os.pread(fd, 1 << 20, offset):
            chunks.append(chunk)
            offset += len(chunk)
    except OSError as exc:
        raise _notes_error("cannot read notes file", file, exc) from None
    return b"".join(chunks)


def _url(file: Path) -> str:
    return file.resolve().as_uri()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_directory(directory: Path) -> None:
    """Make the new file's directory entry durable, not only its content."""
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise NotesError(f"cannot sync notes folder {directory}: {exc}") from exc
