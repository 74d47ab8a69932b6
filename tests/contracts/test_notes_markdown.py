"""The notes contract on the Markdown notes (a folder of private files)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.core.model import NotesDoc
from syncd.notes.markdown import MarkdownNotes
from tests.contracts.notes import NotesContract, NotesHarness


class MarkdownHarness(NotesHarness):
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.notes = self.next_run()

    def next_run(self) -> MarkdownNotes:
        return MarkdownNotes(self.folder)

    def text(self, doc: NotesDoc) -> str:
        return (self.folder / doc.doc_id).read_text(encoding="utf-8")

    def type_at_end(self, doc: NotesDoc, text: str) -> None:
        with (self.folder / doc.doc_id).open("a", encoding="utf-8") as file:
            file.write(text)

    def delete(self, doc: NotesDoc) -> None:
        (self.folder / doc.doc_id).unlink()


class TestMarkdownNotes(NotesContract):
    @pytest.fixture
    def harness(self, tmp_path: Path) -> Iterator[MarkdownHarness]:
        yield MarkdownHarness(tmp_path / "notes")
