"""Private notes as Google Docs (Drive v3 + Docs v1).

One Doc per person, created with a metadata-only `files.create` (media uploads
would go to https even with a test endpoint) and filled with Docs `batchUpdate`
(insertText, then named paragraph styles for headings and bullets for items, a
checklist for task items), which the `drive.file` scope allows. Docs are found by their
`appProperties`, never shared by syncd, and a Doc that someone shared is reported.

Creation survives a crash: the Doc's id is reserved with `files.generateIds` and
stored before `files.create`; a retry after a crash reuses it, and a 409 means
"already there". A Doc created but not yet filled is filled on the next create.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from syncd.core import identity
from syncd.core.model import AgendaSection, AgendaWrite, NotesDoc
from syncd.google.api import DOC_MIME, GoogleApi
from syncd.google.errors import AlreadyExists, GoogleError, NotFound
from syncd.notes import text as notes_text
from syncd.notes.base import NotesError

PERSON_KEY = "syncdPerson"
_FIELDS = "id,name,webViewLink,trashed,shared,appProperties"


class Reservations(Protocol):
    """Where reserved Doc ids are kept (the state), so a retried create reuses its id."""

    def reserved(self, person: str) -> str | None:
        """The id reserved for `person`'s Doc, if any."""
        ...

    def reserve(self, person: str, doc_id: str) -> None:
        """Remember `doc_id` for `person` (committed before the Doc is created)."""
        ...


class GoogleDocsNotes:
    """Notes documents in Google Docs, found by their appProperties."""

    def __init__(self, api: GoogleApi, *, folder_id: str | None,
                 reservations: Reservations) -> None:
        """Docs go to `folder_id` (the Drive root when None)."""
        self.name = "google docs"
        self._api = api
        self._folder = folder_id
        self._reservations = reservations
        self._listing: dict[str, Mapping[str, Any]] | None = None
        self.warnings: list[str] = []

    # --- reading ----------------------------------------------------------------

    def find(self, person: str, doc_id: str | None) -> NotesDoc | None:
        """The person's Doc from one listing of every syncd notes Doc (paged), or None,
        with its agenda sections (one Docs read per person found)."""
        listing = self._list()
        file = listing.get(doc_id or "") or listing.get(identity.person_key(person))
        if file is None:
            return None
        if file.get("shared"):
            self.warnings.append(f"{person}: the notes Doc {file['id']} is shared with "
                                 "someone; syncd never shares notes, check who can read it")
        found = self._read(str(file["id"])).sections()
        return NotesDoc(person.lower(), str(file["id"]), _link(file),
                        frozenset(s.key for s in found), found)

    def _list(self) -> dict[str, Mapping[str, Any]]:
        if self._listing is not None:
            return self._listing
        files = self._api.drive().files()
        # drive.file shows only the files syncd made; the person key is checked below.
        query = f"mimeType = '{DOC_MIME}' and trashed = false"
        found: dict[str, Mapping[str, Any]] = {}
        page: str | None = None
        try:
            while True:
                response = self._api.execute(files.list(
                    q=query, spaces="drive", pageSize=1000, pageToken=page,
                    fields=f"nextPageToken,files({_FIELDS})"))
                for file in response.get("files", []):
                    key = (file.get("appProperties") or {}).get(PERSON_KEY)
                    if key:
                        found[str(key)] = file
                        found[str(file["id"])] = file
                page = response.get("nextPageToken")
                if not page:
                    break
        except GoogleError as exc:
            raise NotesError(f"{self.name}: listing the notes Docs: {exc}") from None
        self._listing = found
        return found

    def _read(self, doc_id: str) -> _Read:
        """The Doc's paragraphs and revision id."""
        try:
            document = self._api.execute(self._api.docs().documents().get(documentId=doc_id))
        except GoogleError as exc:
            raise NotesError(f"{self.name}: reading Doc {doc_id}: {exc}") from None
        return _Read.of(document)

    # --- writing ----------------------------------------------------------------

    def create(self, person: str, name: str, owner_name: str) -> NotesDoc:
        """Create and fill the person's Doc, or return the one an earlier run made."""
        key = identity.person_key(person)
        doc_id = self._reservations.reserved(person)
        if doc_id is None:
            doc_id = self._generate_id()
            self._reservations.reserve(person, doc_id)
        body: dict[str, Any] = {
            "id": doc_id, "name": f"1:1 notes — {notes_text.single_line(name)}",
            "mimeType": DOC_MIME, "appProperties": {PERSON_KEY: key},
            **({"parents": [self._folder]} if self._folder else {}),
        }
        file = self._create(person, body)
        if file is None:
            # The reserved id belonged to a Doc that was deleted or trashed since: the
            # lead's notes are gone, so a new Doc under a new id takes their place.
            body["id"] = doc_id = self._generate_id()
            self._reservations.reserve(person, doc_id)
            file = self._create(person, body)
            if file is None:
                raise NotesError(f"{self.name}: Doc {doc_id} vanished while being created")
        read = self._read(doc_id)
        if not read.plain().strip():
            self._insert(doc_id, read, notes_text.template(name, owner_name), "")
        if self._listing is not None:
            self._listing[key] = self._listing[doc_id] = file
        return NotesDoc(person.lower(), doc_id, _link(file))

    def _create(self, person: str, body: dict[str, Any]) -> Mapping[str, Any] | None:
        """The created Doc, or the one an earlier run made with that id; None when that
        id belongs to a Doc that was deleted or is in the trash."""
        files = self._api.drive().files()
        try:
            file: Mapping[str, Any] = self._api.execute(files.create(body=body, fields=_FIELDS))
        except AlreadyExists:  # an earlier run made it: take what is there
            try:
                file = self._api.execute(files.get(fileId=body["id"], fields=_FIELDS))
            except GoogleError as again:
                if isinstance(again, NotFound):
                    return None
                raise NotesError(f"{self.name}: reading Doc {body['id']}: {again}") from None
            if file.get("trashed"):
                return None
        except GoogleError as exc:
            raise NotesError(f"{self.name}: creating the Doc for {person}: {exc}") from None
        return file

    def _generate_id(self) -> str:
        try:
            response = self._api.execute(self._api.drive().files().generateIds(
                count=1, space="drive", type="files"))
        except GoogleError as exc:
            raise NotesError(f"{self.name}: reserving a Doc id: {exc}") from None
        return str(response["ids"][0])

    def append_section(self, doc: NotesDoc, write: AgendaWrite, title: str, body: str) -> None:
        """Append the section for `write.key` at the end, styled, in one batchUpdate,
        unless the Doc already has it."""
        read = self._read(doc.doc_id)
        if write.key in {s.key for s in read.sections()}:
            return
        local = write.when.replace(tzinfo=None)
        lines = [p.markdown() for p in notes_text.section_paras(write, title, local, body)]
        # Every Doc body ends with a newline and the insert lands before it, so the text
        # the new section follows is the one without that last newline.
        plain = read.plain()
        separator = notes_text.separator(plain.removesuffix("\n")) if plain else ""
        self._insert(doc.doc_id, read, "\n".join(lines), separator)

    def move_section(self, doc: NotesDoc, write: AgendaWrite, title: str) -> None:
        """Re-head the section in place (Docs refuses the edit if the Doc changed since it
        was read, so nothing the lead typed meanwhile is lost)."""
        read = self._read(doc.doc_id)
        local = write.when.replace(tzinfo=None, second=0, microsecond=0)
        para = read.heading(write.key)
        if para is None or any(s.key == write.key and s.when == local for s in read.sections()):
            return
        text = notes_text.heading(write, title, local)
        requests: list[dict[str, Any]] = []
        if para.text:
            requests.append({"deleteContentRange": {"range": {
                "startIndex": para.start, "endIndex": para.end - 1}}})
        requests.append({"insertText": {"location": {"index": para.start}, "text": text}})
        self._update(doc.doc_id, read.revision, requests)

    def cancel_section(self, doc: NotesDoc, write: AgendaWrite) -> None:
        """Add the line saying the meeting is off right under the section's heading."""
        read = self._read(doc.doc_id)
        para = read.heading(write.key)
        if para is None or any(s.key == write.key and s.cancelled for s in read.sections()):
            return
        local = write.when.replace(tzinfo=None, second=0, microsecond=0)
        line = notes_text.cancelled_line(local, write.reason)
        size = _units(line) + 1
        if para.end < read.end:
            insert = {"location": {"index": para.end}, "text": line + "\n"}
        else:  # the heading is the last paragraph: split it after its text
            insert = {"location": {"index": para.end - 1}, "text": "\n" + line}
        where = {"startIndex": para.end, "endIndex": para.end + size}
        self._update(doc.doc_id, read.revision, [
            {"insertText": insert},
            {"deleteParagraphBullets": {"range": where}},
            {"updateParagraphStyle": {"range": where, "fields": "namedStyleType",
                                      "paragraphStyle": {"namedStyleType": "NORMAL_TEXT"}}}])

    def _insert(self, doc_id: str, read: _Read, markdown: str, separator: str) -> None:
        """Insert `markdown` at the end as styled paragraphs (headings as named styles,
        items as bullets, task items as a checklist) in one batchUpdate."""
        paras = [_styled(line) for line in markdown.removesuffix("\n").split("\n")]
        text = separator + "\n".join(p.text for p in paras)
        at = read.end - 1
        begin = at + 1 if separator else at
        region = {"startIndex": begin, "endIndex": at + _units(text) + 1}
        requests: list[dict[str, Any]] = [
            {"insertText": {"endOfSegmentLocation": {}, "text": text}},
            {"deleteParagraphBullets": {"range": region}},
        ]
        starts = []
        index = at + _units(separator)
        for para in paras:
            starts.append(index)
            index += _units(para.text) + 1
        run: list[int] = []
        for number, para in enumerate([*paras, _Styled("", "NORMAL_TEXT", None)]):
            if run and para.bullet != paras[run[0]].bullet:
                requests.append({"createParagraphBullets": {
                    "range": {"startIndex": starts[run[0]],
                              "endIndex": starts[run[-1]] + _units(paras[run[-1]].text) + 1},
                    "bulletPreset": paras[run[0]].bullet}})
                run = []
            if para.bullet is not None and number < len(paras):
                run.append(number)
        requests.append({"updateParagraphStyle": {
            "range": region, "fields": "namedStyleType",
            "paragraphStyle": {"namedStyleType": "NORMAL_TEXT"}}})
        for number, para in enumerate(paras):
            if para.style != "NORMAL_TEXT":
                requests.append({"updateParagraphStyle": {
                    "range": {"startIndex": starts[number],
                              "endIndex": starts[number] + _units(para.text) + 1},
                    "fields": "namedStyleType", "paragraphStyle": {"namedStyleType": para.style}}})
        self._update(doc_id, read.revision, requests)

    def _update(self, doc_id: str, revision: str, requests: list[dict[str, Any]]) -> None:
        """One batchUpdate; refused by Docs if someone edited since `revision`."""
        body: dict[str, Any] = {"requests": requests}
        if revision:
            body["writeControl"] = {"requiredRevisionId": revision}
        try:
            self._api.execute(self._api.docs().documents().batchUpdate(
                documentId=doc_id, body=body))
        except GoogleError as exc:
            raise NotesError(f"{self.name}: writing Doc {doc_id}: {exc}") from None


@dataclass(frozen=True)
class _Styled:
    """A paragraph to write: its text, named style and bullet preset (None: no bullet)."""

    text: str
    style: str
    bullet: str | None


def _styled(line: str) -> _Styled:
    """A Markdown line as a Docs paragraph."""
    for prefix, style in (("### ", "HEADING_3"), ("## ", "HEADING_2"), ("# ", "HEADING_1")):
        if line.startswith(prefix):
            return _Styled(line[len(prefix):], style, None)
    if line.startswith("- [ ] ") or line == "- [ ]":
        return _Styled(line[6:], "NORMAL_TEXT", "BULLET_CHECKBOX")
    if line.startswith("- ") or line == "-":
        return _Styled(line[2:], "NORMAL_TEXT", "BULLET_DISC_CIRCLE_SQUARE")
    return _Styled(line, "NORMAL_TEXT", None)


def _units(text: str) -> int:
    """Length in UTF-16 code units, as Docs indices count."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class _Paragraph:
    start: int
    end: int
    text: str  # without its newline
    style: str  # namedStyleType
    bullet: Literal["checkbox", "bullet"] | None


# A section written by syncd before Docs had styles: a plain paragraph "## 2026-01-19 — …".
_LEGACY = re.compile(r"^## (\d{4}-\d{2}-\d{2}) — ")
_DONE = ("[x]", "[X]", "✓", "✔")


@dataclass(frozen=True)
class _Read:
    """A Doc as read: its paragraphs, revision and end index."""

    paragraphs: tuple[_Paragraph, ...]
    revision: str
    end: int

    @classmethod
    def of(cls, document: Mapping[str, Any]) -> _Read:
        lists = document.get("lists") or {}
        out: list[_Paragraph] = []
        end = 1
        for element in document.get("body", {}).get("content", []):
            end = max(end, int(element.get("endIndex", 1)))
            paragraph = element.get("paragraph")
            if paragraph is None:
                continue
            text = "".join(str(run.get("textRun", {}).get("content", ""))
                           for run in paragraph.get("elements", []))
            style = str(paragraph.get("paragraphStyle", {}).get("namedStyleType", ""))
            bullet: Literal["checkbox", "bullet"] | None = None
            if "bullet" in paragraph:
                levels = (lists.get(paragraph["bullet"].get("listId"), {})
                          .get("listProperties", {}).get("nestingLevels") or [{}])
                level = levels[int(paragraph["bullet"].get("nestingLevel", 0))
                               if len(levels) > 1 else 0]
                # A checklist reads back as glyph type GLYPH_TYPE_UNSPECIFIED with no symbol
                # (googleapis/google-api-nodejs-client#2870).
                checkbox = level.get("glyphType", "GLYPH_TYPE_UNSPECIFIED") == \
                    "GLYPH_TYPE_UNSPECIFIED" and not level.get("glyphSymbol")
                bullet = "checkbox" if checkbox else "bullet"
            out.append(_Paragraph(int(element.get("startIndex", 1)),
                                  int(element.get("endIndex", 1)),
                                  text.removesuffix("\n"), style, bullet))
        return cls(tuple(out), str(document.get("revisionId", "")), end)

    def plain(self) -> str:
        """The Doc's text ("" for an empty Doc, which holds one empty paragraph)."""
        text = "".join(p.text + "\n" for p in self.paragraphs)
        return "" if text == "\n" else text

    def heading(self, key: dt.date) -> _Paragraph | None:
        """The heading paragraph of the section for the slot `key` (the last if several)."""
        found = [p for p in self.paragraphs if _section_start(p) is not None
                 and _section_start(p) == key]
        return found[-1] if found else None

    def markdown(self) -> str:
        """The Doc as the Markdown its styles stand for; sections start at headings (style
        HEADING_2 with a dated text), not at text that merely looks like one."""
        lines = []
        for para in self.paragraphs:
            text = para.text
            if text.lstrip().startswith("<!--"):
                text = "\\" + text  # typed text never counts as a section marker
            match = notes_text.HEADING_TEXT.match(para.text)
            if para.style == "HEADING_2" and match:
                key = match.group(3) or match.group(1)
                when = f" {match.group(1)}T{match.group(2)}" if match.group(2) else ""
                lines += [f"<!-- syncd:agenda {key}{when} -->", f"## {text}"]
            elif para.style == "NORMAL_TEXT" and para.bullet is None and _LEGACY.match(text):
                lines += [f"<!-- syncd:agenda {text[3:13]} -->", text]
            elif para.style.startswith("HEADING_"):
                lines.append("#" * min(3, int(para.style[-1])) + " " + text)
            elif para.bullet == "checkbox":
                done = next((m for m in _DONE if text.startswith(m)), None)
                lines.append(f"- [x] {text[len(done):].lstrip()}" if done else f"- [ ] {text}")
            elif para.bullet == "bullet":
                lines.append(f"- {text}")
            else:
                lines.append(text)
        return "\n".join(lines) + "\n"

    def sections(self) -> tuple[AgendaSection, ...]:
        """The agenda sections, read from the styled paragraphs."""
        return notes_text.sections(self.markdown())


def _section_start(para: _Paragraph) -> dt.date | None:
    """The slot a section heading paragraph stands for, None for any other paragraph."""
    match = notes_text.HEADING_TEXT.match(para.text)
    if para.style == "HEADING_2" and match:
        day = match.group(3) or match.group(1)
    elif para.style == "NORMAL_TEXT" and para.bullet is None and (
            legacy := _LEGACY.match(para.text)):
        day = legacy.group(1)
    else:
        return None
    try:
        return dt.date.fromisoformat(day)
    except ValueError:
        return None


def _link(file: Mapping[str, Any]) -> str:
    return str(file.get("webViewLink") or f"https://docs.google.com/document/d/{file['id']}/edit")
