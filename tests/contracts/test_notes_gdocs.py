"""The notes contract on the Google Docs notes against the emulator."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from syncd.core.model import NotesDoc
from syncd.notes.gdocs import GoogleDocsNotes
from tests.contracts import google
from tests.contracts.notes import ALICE, DAY, LATER, NotesContract, NotesHarness, append
from tests.emulator import Emulator, running_emulator


class Reservations:
    """Reserved Doc ids, as state keeps them between runs."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}

    def reserved(self, person: str) -> str | None:
        return self.ids.get(person)

    def reserve(self, ids: Mapping[str, str]) -> None:
        self.ids.update(ids)


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


def _paragraphs(harness: DocsHarness, doc: NotesDoc) -> list[tuple[str, str, bool]]:
    document = harness.docs.get(documentId=doc.doc_id).execute()
    return [("".join(r["textRun"]["content"] for r in e["paragraph"]["elements"]),
             e["paragraph"]["paragraphStyle"]["namedStyleType"], "bullet" in e["paragraph"])
            for e in document["body"]["content"] if "paragraph" in e]


def test_one_run_writes_what_a_run_per_write_writes_without_reading_back() -> None:
    """One store writing the template with the first section and then a second section
    (never reading the Doc) leaves the same text, styles and bullets as a new store per
    write that reads the Doc before each."""
    with running_emulator(owner="dana@example.com") as one, \
            running_emulator(owner="dana@example.com") as many:
        single = DocsHarness(one)
        doc = single.notes.create_unfilled(ALICE, "Alice Example", "Dana Lead")
        append(single.notes, doc, DAY)
        append(single.notes, doc, LATER)
        calls = [(r["method"], r["path"].split("/")[1]) for r in one.requests()]
        assert calls == [("GET", "drive"), ("GET", "drive"), ("POST", "drive"),
                         ("POST", "v1"), ("POST", "v1")]  # list, generateIds, create, 2 writes

        fresh = DocsHarness(many)
        other = fresh.notes.create(ALICE, "Alice Example", "Dana Lead")
        append(fresh.next_run(), other, DAY)
        append(fresh.next_run(), other, LATER)
        assert _paragraphs(single, doc) == _paragraphs(fresh, other)
        assert DAY.isoformat() in single.text(doc) and "Alice Example" in single.text(doc)


def test_a_blank_doc_is_found_blank_and_filled_once() -> None:
    """A Doc a stopped run made but never filled reads as blank; creating it again fills
    it in place (no second Doc), and a filled one is not blank."""
    with running_emulator(owner="dana@example.com") as emu:
        harness = DocsHarness(emu)
        made = harness.notes.create_unfilled(ALICE, "Alice Example", "Dana Lead")
        found = harness.next_run().find(ALICE, None)
        assert found is not None and found.blank and found.doc_id == made.doc_id
        again = harness.next_run().create(ALICE, "Alice Example", "Dana Lead")
        assert again.doc_id == made.doc_id and "Alice Example" in harness.text(made)
        assert [f["id"] for f in emu.state()["files"]] == [made.doc_id]
        filled = harness.next_run().find(ALICE, None)
        assert filled is not None and not filled.blank
