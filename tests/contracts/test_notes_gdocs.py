"""The notes contract on the Google Docs notes against the emulator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from syncd.core.model import NotesDoc
from syncd.notes.gdocs import GoogleDocsNotes
from tests.contracts import google
from tests.contracts.notes import NotesContract, NotesHarness
from tests.emulator import Emulator, running_emulator


class Reservations:
    """Reserved Doc ids, as state keeps them between runs."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}

    def reserved(self, person: str) -> str | None:
        return self.ids.get(person)

    def reserve(self, person: str, doc_id: str) -> None:
        self.ids[person] = doc_id


class DocsHarness(NotesHarness):
    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.reservations = Reservations()
        self.notes = self.next_run()
        self.docs = google.client(emu, "docs", "v1", emu.docs_endpoint).documents()
        self.drive = google.client(emu, "drive", "v3", emu.drive_endpoint).files()

    def next_run(self) -> GoogleDocsNotes:
        return GoogleDocsNotes(google.api(self.emu), folder_id=None,
                               reservations=self.reservations)

    def _document(self, doc: NotesDoc) -> Any:
        return self.docs.get(documentId=doc.doc_id).execute()

    def text(self, doc: NotesDoc) -> str:
        return "".join(run.get("textRun", {}).get("content", "")
                       for element in self._document(doc)["body"]["content"]
                       for run in element.get("paragraph", {}).get("elements", []))

    def type_at_end(self, doc: NotesDoc, text: str) -> None:
        self.docs.batchUpdate(documentId=doc.doc_id, body={"requests": [
            {"insertText": {"endOfSegmentLocation": {}, "text": text}}]}).execute()

    def delete(self, doc: NotesDoc) -> None:
        self.drive.update(fileId=doc.doc_id, body={"trashed": True}).execute()


class TestGoogleDocsNotes(NotesContract):
    @pytest.fixture
    def harness(self) -> Iterator[DocsHarness]:
        with running_emulator(owner="dana@example.com") as emu:
            yield DocsHarness(emu)
