"""The small interface every notes backend implements."""

from __future__ import annotations

import datetime as dt
from typing import Protocol, runtime_checkable

from syncd.core.model import NotesDoc


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
        """The person's notes document (by id when known), with its agenda dates, or None."""
        ...

    def create(self, person: str, name: str, owner_name: str) -> NotesDoc:
        """Create the document from the template; if it already exists, return it untouched."""
        ...

    def append_section(self, doc: NotesDoc, date: dt.date, title: str) -> None:
        """Append a dated agenda section; the text already there is never changed."""
        ...

    def agenda_written(self, doc: NotesDoc, date: dt.date) -> bool | None:
        """True when someone wrote something under that date's agenda section beyond the
        template text, False when it is still the bare template, None when the section
        does not exist."""
        ...
