"""The notes contract on the Google Docs notes against the emulator."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from syncd.core.model import AgendaWrite, NotesDoc
from syncd.google.api import DOC_MIME
from syncd.notes.base import NotesError
from syncd.notes.gdocs import LANDING, GoogleDocsNotes
from syncd.notes.text import shipped_agenda
from tests.contracts import google
from tests.contracts.notes import ALICE, DAY, LATER, NotesContract, NotesHarness, append
from tests.emulator import Emulator, running_emulator


class Asked:
    """When each person's Doc was asked for, as state keeps it between runs, and a clock."""

    def __init__(self) -> None:
        self.when: dict[str, float | None] = {}
        self.now = 1_800_000_000.0

    def asked(self, person: str) -> float | None:
        return self.when.get(person)

    def asking(self, people: Sequence[str], when: float | None) -> None:
        self.when.update(dict.fromkeys(people, when))

    def clock(self) -> float:
        return self.now


class DocsHarness(NotesHarness):
    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.asked = Asked()
        self.notes = self.next_run()
        self.docs = google.client(emu, "docs", "v1", emu.docs_endpoint).documents()
        self.drive = google.client(emu, "drive", "v3", emu.drive_endpoint).files()

    def next_run(self) -> GoogleDocsNotes:
        return GoogleDocsNotes(google.api(self.emu), folder_id=None, asked=self.asked,
                               clock=self.asked.clock)

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
        assert calls == [("GET", "drive"), ("POST", "drive"), ("POST", "v1"),
                         ("POST", "v1")]  # list, create, 2 writes

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


# --- a create is never sent twice ------------------------------------------------------
# Drive takes no id chosen in advance for a Google Doc, so a create whose answer is lost
# cannot be told apart from one never made until the listing shows it.

CREATE = r"^/drive/v3/files$"


def test_a_create_whose_answer_was_lost_is_found_not_made_again() -> None:
    with running_emulator(owner="dana@example.com") as emu:
        harness = DocsHarness(emu)
        emu.fault(method="POST", path=CREATE, drop=True)  # made, the answer lost
        with pytest.raises(NotesError, match=r"creating the Doc for alice@example\.com"):
            harness.notes.create(ALICE, "Alice Example", "Dana Lead")
        # The same run does not ask again: the first may still land.
        with pytest.raises(NotesError, match="asked for 0 min ago and is not listed yet"):
            harness.notes.create(ALICE, "Alice Example", "Dana Lead")
        harness.asked.now += 60
        doc = harness.next_run().create(ALICE, "Alice Example", "Dana Lead")
        assert [f["id"] for f in emu.state()["files"]] == [doc.doc_id]
        assert "Alice Example" in harness.text(doc)


def test_a_create_that_got_a_5xx_is_made_again_only_once_it_cannot_still_land() -> None:
    with running_emulator(owner="dana@example.com") as emu:
        harness = DocsHarness(emu)
        emu.fault(method="POST", path=CREATE, status=503)  # not made; syncd cannot know
        with pytest.raises(NotesError, match="HTTP 503"):
            harness.notes.create(ALICE, "Alice Example", "Dana Lead")
        harness.asked.now += LANDING - 60
        with pytest.raises(NotesError, match="asked for 9 min ago"):
            harness.next_run().create(ALICE, "Alice Example", "Dana Lead")
        assert [r for r in emu.requests() if r["method"] == "POST"][1:] == []  # not sent
        harness.asked.now += 60
        doc = harness.next_run().create(ALICE, "Alice Example", "Dana Lead")
        assert [f["id"] for f in emu.state()["files"]] == [doc.doc_id]


def test_a_refused_create_is_tried_again_by_the_next_run() -> None:
    with running_emulator(owner="dana@example.com") as emu:
        harness = DocsHarness(emu)
        emu.fault(method="POST", path=CREATE, status=400, reason="badRequest")
        with pytest.raises(NotesError, match="HTTP 400"):
            harness.notes.create(ALICE, "Alice Example", "Dana Lead")
        doc = harness.next_run().create(ALICE, "Alice Example", "Dana Lead")
        assert [f["id"] for f in emu.state()["files"]] == [doc.doc_id]


def test_two_docs_of_one_person_are_reported_and_one_is_used() -> None:
    with running_emulator(owner="dana@example.com") as emu:
        harness = DocsHarness(emu)
        first = harness.notes.create(ALICE, "Alice Example", "Dana Lead")
        harness.drive.create(body={"name": "1:1 notes — Alice Example", "mimeType": DOC_MIME,
                                   "appProperties": dict(emu.state()["files"][0]
                                                         ["appProperties"])}).execute()
        notes = harness.next_run()
        found = notes.find(ALICE, first.doc_id)
        assert found is not None and found.doc_id == first.doc_id
        (warning,) = notes.warnings
        assert "more than one notes Doc" in warning and first.doc_id in warning


def test_characters_docs_strips_do_not_shift_what_is_styled() -> None:
    """Docs drops control and private-use characters from inserted text (a title from a
    calendar app's icon font, a bell typed into the roster): the heading is still the
    heading and its section is found again."""
    with running_emulator(owner="dana@example.com") as emu:
        harness = DocsHarness(emu)
        doc = harness.notes.create(ALICE, "Alice \uf8ff Example\x07", "Dana Lead")
        when = dt.datetime.combine(DAY, dt.time(10), ZoneInfo("Europe/Berlin"))
        harness.notes.append_section(doc, AgendaWrite(DAY, when), "1:1 \ue001Alice\x1b",
                                     shipped_agenda("report"))
        headings = [(text, style) for text, style, _ in _paragraphs(harness, doc)
                    if style.startswith("HEADING")]
        assert headings[0] == ("1:1 notes: Alice  Example\n", "HEADING_1")
        assert ("Tue 2026-12-01 10:00 — 1:1 Alice\n", "HEADING_2") in headings
        found = harness.next_run().find(ALICE, doc.doc_id)
        assert found is not None and DAY in found.sections
