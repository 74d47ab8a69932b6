"""The small interface every notes backend implements."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

from syncd.core.model import AgendaWrite, NotesDoc, Person


class NotesError(Exception):
    """Notes could not be read or written."""


@runtime_checkable
class WarningNotes(Protocol):
    """A notes store that notices things worth a warning while it reads (a Doc shared
    with others)."""

    warnings: list[str]


class NotesStore(Protocol):
    """Private per-person notes documents, appended to and never rewritten."""

    def find(self, person: str, doc_id: str | None) -> NotesDoc | None:
        """The person's notes document (by id when known), with its agenda sections, or None."""
        ...

    def create(self, person: str, name: str, owner_name: str) -> NotesDoc:
        """Create the document from the template; if it already exists, return it untouched."""
        ...

    def append_section(self, doc: NotesDoc, write: AgendaWrite, title: str, body: str) -> None:
        """Append the agenda section for the slot `write.key` unless the document has it:
        heading, `write.follow_ups`, then the agenda template `body`. The text already
        there is never changed."""
        ...

    def move_section(self, doc: NotesDoc, write: AgendaWrite, title: str) -> None:
        """Say that the meeting of the section for `write.key` now takes place at
        `write.when`: its heading is re-headed, or a pointer line added where an edit
        would not be safe. Idempotent."""
        ...

    def cancel_section(self, doc: NotesDoc, write: AgendaWrite) -> None:
        """Add one line to the section for `write.key` saying its meeting (at `write.when`)
        is off, for `write.reason`. Idempotent."""
        ...


@runtime_checkable
class BatchCreatingNotes(Protocol):
    """A notes store that can make many documents in few round trips before they are
    applied (Google Drive's batch endpoint)."""

    def create_many(self, people: Sequence[Person]) -> Mapping[str, NotesDoc]:
        """Make these people's documents together; email → each one made. `create` then
        answers from them (or tries again alone). Never raises: what failed is left to
        `create`."""
        ...


@runtime_checkable
class DeferringNotes(Protocol):
    """A notes store that can hold a new document's template back, to write it with the
    first agenda section in one write."""

    def create_unfilled(self, person: str, name: str, owner_name: str) -> NotesDoc:
        """`create`, but the template is written by the next `append_section` for the
        document, with its section. A run that stops before that leaves the document
        blank (`NotesDoc.blank` when found again), and the next run creates it again."""
        ...


@runtime_checkable
class CachingNotes(Protocol):
    """A notes store that keeps what a run read for the next one, as versioned JSON the
    caller stores."""

    def cache_json(self) -> str:
        """What to keep, as of the last read and this run's writes."""
        ...
