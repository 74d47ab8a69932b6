"""The notes contract: what every notes backend promises syncd, written once and run
against each backend by subclassing (as the calendar contract is).

A backend's test class subclasses NotesContract and overrides the `harness` fixture: the
store, the store as the next run opens it, and the person's own editor (read, type,
delete).
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest

from syncd.core.model import AgendaWrite, NotesDoc
from syncd.notes.base import NotesStore
from syncd.notes.text import shipped_agenda

ALICE = "alice@example.com"
BOB = "bob@example.com"
DAY = dt.date(2026, 12, 1)
LATER = dt.date(2026, 12, 8)
TITLE = "1:1 Alice Example / Dana Lead"


def append(store: NotesStore, doc: NotesDoc, day: dt.date) -> None:
    """The section for a 10:00 meeting on `day`, with the report template."""
    when = dt.datetime.combine(day, dt.time(10), ZoneInfo("Europe/Berlin"))
    store.append_section(doc, AgendaWrite(day, when), TITLE, shipped_agenda("report"))


class NotesHarness(abc.ABC):
    """A notes backend under test and the person's own editor beside it."""

    notes: NotesStore

    @abc.abstractmethod
    def next_run(self) -> NotesStore:
        """The store as the next run opens it (a new object)."""

    @abc.abstractmethod
    def text(self, doc: NotesDoc) -> str:
        """What the person sees in the document."""

    @abc.abstractmethod
    def type_at_end(self, doc: NotesDoc, text: str) -> None:
        """The person adds `text` at the end of the document."""

    @abc.abstractmethod
    def delete(self, doc: NotesDoc) -> None:
        """The person deletes (or trashes) the document."""


class NotesContract:
    """What every notes store does; subclasses provide the `harness` fixture."""

    @pytest.fixture
    def harness(self) -> Iterator[NotesHarness]:
        raise NotImplementedError("a backend's test class provides its harness")

    def test_create_is_idempotent(self, harness: NotesHarness) -> None:
        doc = harness.notes.create(ALICE, "Alice Example", "Dana Lead")
        assert "Alice Example" in harness.text(doc)
        harness.type_at_end(doc, "Alice's own line\n")
        before = harness.text(doc)
        again = harness.next_run().create(ALICE, "Alice Example", "Dana Lead")
        assert (again.doc_id, again.url) == (doc.doc_id, doc.url)
        assert harness.text(doc) == before
        found = harness.next_run().find(ALICE, None)
        assert found is not None and found.doc_id == doc.doc_id

    def test_append_never_changes_existing_text(self, harness: NotesHarness) -> None:
        doc = harness.notes.create(ALICE, "Alice Example", "Dana Lead")
        harness.type_at_end(doc, "Alice's own line, no newline at the end")
        before = harness.text(doc)
        append(harness.notes, doc, DAY)
        after = harness.text(doc)
        assert after.startswith(before) and len(after) > len(before)
        assert DAY.isoformat() in after[len(before):]
        append(harness.next_run(), doc, DAY)
        assert harness.text(doc) == after

    def test_sections_are_found_again(self, harness: NotesHarness) -> None:
        doc = harness.notes.create(ALICE, "Alice Example", "Dana Lead")
        append(harness.notes, doc, DAY)
        append(harness.notes, doc, LATER)
        found = harness.next_run().find(ALICE, doc.doc_id)
        assert found is not None
        assert [(s.key, s.written) for s in found.agenda] == [(DAY, False), (LATER, False)]
        harness.type_at_end(doc, "- Alice wants to talk about the offsite\n")
        again = harness.next_run().find(ALICE, doc.doc_id)
        assert again is not None
        assert [(s.key, s.written) for s in again.agenda] == [(DAY, False), (LATER, True)]

    def test_a_missing_document_is_reported_missing(self, harness: NotesHarness) -> None:
        assert harness.notes.find(BOB, None) is None
        doc = harness.notes.create(ALICE, "Alice Example", "Dana Lead")
        harness.delete(doc)
        assert harness.next_run().find(ALICE, doc.doc_id) is None
        assert harness.next_run().find(ALICE, None) is None

    def test_a_deleted_document_is_made_again_and_found(self, harness: NotesHarness) -> None:
        doc = harness.notes.create(ALICE, "Alice Example", "Dana Lead")
        harness.delete(doc)
        # The planner sees it missing and creates it: what it gets must be found again.
        again = harness.next_run().create(ALICE, "Alice Example", "Dana Lead")
        found = harness.next_run().find(ALICE, again.doc_id)
        assert found is not None and found.doc_id == again.doc_id
        assert "Alice Example" in harness.text(again)

