"""Notes as local Markdown files: one private running document per person.

The files belong to the user. syncd only ever creates a file that does not
exist yet and appends to it (agenda sections, a line when a meeting moved or is
off); it never truncates or rewrites one.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable
from pathlib import Path

from syncd.core.model import AgendaSection, AgendaWrite, NotesDoc
from syncd.fsutil import SymlinkRefused, open_nofollow
from syncd.notes import text as notes_text
from syncd.notes.base import NotesError


class MarkdownNotes:
    """A folder of `<email>.md` files, implementing NotesStore."""

    def __init__(self, path: Path) -> None:
        """Keep notes in the folder `path` (created on the first `create`)."""
        self.path = path

    def find(self, person: str, doc_id: str | None) -> NotesDoc | None:
        """The person's notes file (`doc_id`, else `<email>.md`) with its agenda sections,
        or None; never read through a symbolic link."""
        file_name = _checked_name(doc_id if doc_id is not None else _default_name(person))
        file = self.path / file_name
        data = _read(file, missing_ok=True)
        if not data:
            return None  # absent, or created but never filled (a stopped run): create() fills it
        found = _sections(data)
        return NotesDoc(person.lower(), file_name, _url(file),
                        frozenset(s.key for s in found), found)

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

    def append_section(self, doc: NotesDoc, write: AgendaWrite, title: str, body: str) -> None:
        """Append the section for the slot `write.key` (heading, carried follow-ups, the
        agenda template `body`) unless it is already there; never changes existing text."""
        local = write.when.replace(tzinfo=None)
        self._append(doc, lambda found: None if write.key in {s.key for s in found}
                     else notes_text.section_markdown(write, title, local, body))

    def move_section(self, doc: NotesDoc, write: AgendaWrite, title: str) -> None:
        """A file is only ever appended to: the moved meeting gets a pointer line."""
        local = write.when.replace(tzinfo=None, second=0, microsecond=0)

        def pointer(found: tuple[AgendaSection, ...]) -> str | None:
            if any(s.key == write.key and s.when == local for s in found):
                return None
            return f"_{notes_text.moved_line(write.key, local)}_\n"
        self._append(doc, pointer)

    def cancel_section(self, doc: NotesDoc, write: AgendaWrite) -> None:
        """Add the line saying the meeting of the section is off (once)."""
        local = write.when.replace(tzinfo=None, second=0, microsecond=0)

        def line(found: tuple[AgendaSection, ...]) -> str | None:
            if any(s.key == write.key and s.cancelled for s in found):
                return None
            return f"_{notes_text.cancelled_line(local, write.reason)}_\n"
        self._append(doc, line)

    def _append(
        self, doc: NotesDoc, what: Callable[[tuple[AgendaSection, ...]], str | None]
    ) -> None:
        """Append what `what` says given the sections there now (None: nothing to add)."""
        file = self.path / _checked_name(doc.doc_id)
        try:
            # No O_CREAT: a file the user deleted is reported, not silently recreated.
            fd = open_nofollow(file, os.O_RDWR | os.O_APPEND)
        except OSError as exc:
            raise _notes_error("cannot open notes file", file, exc) from None
        try:
            data = _read_fd(fd, file)
            text = what(_sections(data))
            if text is None:
                return
            # Only the last two bytes decide; an empty file needs no blank line first.
            separator = notes_text.separator(data[-2:].decode("latin-1")) if data else ""
            size = os.fstat(fd).st_size
            try:
                _write_all(fd, (separator + text).encode("utf-8"))
                os.fsync(fd)
            except OSError as exc:
                # Leave the file as it was: half a section would read as written.
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, size)
                    os.fsync(fd)
                raise _notes_error("cannot append to notes file", file, exc) from None
        finally:
            os.close(fd)


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


def _sections(data: bytes) -> tuple[AgendaSection, ...]:
    # The user may write anything, including invalid UTF-8 and marker look-alikes.
    return notes_text.sections(data.decode("utf-8", errors="replace"))


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
