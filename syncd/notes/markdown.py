"""Notes as local Markdown files: one private running document per person.

The files belong to the user. syncd only ever creates a file that does not
exist yet and appends to it (agenda sections, a line when a meeting moved or is
off); it never truncates or rewrites one.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from syncd.core.model import AgendaSection, AgendaWrite, NotesDoc
from syncd.notes import text as notes_text
from syncd.notes.base import NotesError


class MarkdownNotes:
    """A folder of `<email>.md` files, implementing NotesStore."""

    def __init__(self, path: Path) -> None:
        """Keep notes in the folder `path` (created on the first `create`)."""
        self.path = path

    def find(self, person: str, doc_id: str | None) -> NotesDoc | None:
        """The person's notes file (`doc_id`, else `<email>.md`) with its agenda dates, or None."""
        file_name = _checked_name(doc_id if doc_id is not None else _default_name(person))
        file = self.path / file_name
        try:
            data = file.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise NotesError(f"cannot read notes file {file}: {exc}") from exc
        if not data:
            return None  # created but never filled (a stopped run): create() finishes it
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
            raise NotesError(f"cannot create notes folder {self.path}: {exc}") from exc
        fd: int | None
        try:
            fd = os.open(file, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_CLOEXEC, 0o600)
        except FileExistsError:
            # Left by an earlier run that crashed before recording it, or made by the user.
            fd = _unfinished(file)
            if fd is None:
                doc = self.find(person, file_name)
                if doc is None:
                    raise NotesError(f"notes file {file} vanished while being created") from None
                return doc
        except OSError as exc:
            raise NotesError(f"cannot create notes file {file}: {exc}") from exc
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
            raise NotesError(f"cannot write notes file {file}: {exc}") from exc
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
            data = file.read_bytes()
        except OSError as exc:
            raise NotesError(f"cannot read notes file {file}: {exc}") from exc
        text = what(_sections(data))
        if text is None:
            return
        # Only the last two bytes decide; an empty file needs no blank line first.
        separator = notes_text.separator(data[-2:].decode("latin-1")) if data else ""
        try:
            # No O_CREAT: a file the user deleted is reported, not silently recreated.
            fd = os.open(file, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
        except OSError as exc:
            raise NotesError(f"cannot open notes file {file} for appending: {exc}") from exc
        try:
            _write_all(fd, (separator + text).encode("utf-8"))
            os.fsync(fd)
        except OSError as exc:
            raise NotesError(f"cannot append to notes file {file}: {exc}") from exc
        finally:
            os.close(fd)


def _unfinished(file: Path) -> int | None:
    """An empty notes file open for appending: a run stopped between creating it and
    writing the template (an empty file holds no one's notes). None when it has text."""
    try:
        fd = os.open(file, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
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
