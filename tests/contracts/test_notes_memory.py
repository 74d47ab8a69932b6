"""The notes contract on the in-memory notes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from syncd.core.model import NotesDoc
from tests.contracts.notes import NotesContract, NotesHarness
from tests.memory import MemoryNotes


class MemoryNotesHarness(NotesHarness):
    def __init__(self) -> None:
        self.notes = self.store = MemoryNotes()

    def next_run(self) -> MemoryNotes:
        return self.store

    def text(self, doc: NotesDoc) -> str:
        return self.store.docs[doc.doc_id]

    def type_at_end(self, doc: NotesDoc, text: str) -> None:
        self.store.docs[doc.doc_id] += text

    def delete(self, doc: NotesDoc) -> None:
        del self.store.docs[doc.doc_id]


class TestMemoryNotes(NotesContract):
    @pytest.fixture
    def harness(self) -> Iterator[MemoryNotesHarness]:
        yield MemoryNotesHarness()
