"""Private notes as Google Docs (Drive v3 + Docs v1).

One Doc per person, created with a metadata-only `files.create` (media uploads
would go to https even with a test endpoint) and filled with Docs `batchUpdate`
insertText, which the `drive.file` scope allows. Docs are found by their
`appProperties`, never shared by syncd, and a Doc that someone shared is reported.

Creation survives a crash: the Doc's id is reserved with `files.generateIds` and
stored before `files.create`; a retry after a crash reuses it, and a 409 means
"already there". A Doc created but not yet filled is filled on the next create.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Protocol

from syncd.core import identity
from syncd.core.model import NotesDoc
from syncd.google.api import DOC_MIME, GoogleApi
from syncd.google.errors import AlreadyExists, GoogleError
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
        """The person's Doc from one listing of every syncd notes Doc (paged), or None.

        Agenda dates are not read here (one Docs request per person per run would
        dominate a no-change run); `append_section` checks the Doc itself.
        """
        listing = self._list()
        file = listing.get(doc_id or "") or listing.get(identity.person_key(person))
        if file is None:
            return None
        if file.get("shared"):
            self.warnings.append(f"{person}: the notes Doc {file['id']} is shared with "
                                 "someone; syncd never shares notes, check who can read it")
        return NotesDoc(person.lower(), str(file["id"]), _link(file))

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

    def _text(self, doc_id: str) -> tuple[str, str]:
        """The Doc's text and revision id."""
        try:
            document = self._api.execute(self._api.docs().documents().get(documentId=doc_id))
        except GoogleError as exc:
            raise NotesError(f"{self.name}: reading Doc {doc_id}: {exc}") from None
        return _plain_text(document), str(document.get("revisionId", ""))

    def agenda_written(self, doc: NotesDoc, date: dt.date) -> bool | None:
        """Whether the agenda for `date` holds anything beyond the template (None: no such
        section)."""
        text, _ = self._text(doc.doc_id)
        return notes_text.agenda_written(text, date)

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
        files = self._api.drive().files()
        try:
            file = self._api.execute(files.create(body=body, fields=_FIELDS))
        except AlreadyExists:  # an earlier run made it: take what is there
            try:
                file = self._api.execute(files.get(fileId=doc_id, fields=_FIELDS))
            except GoogleError as again:
                raise NotesError(f"{self.name}: reading Doc {doc_id}: {again}") from None
        except GoogleError as exc:
            raise NotesError(f"{self.name}: creating the Doc for {person}: {exc}") from None
        text, revision = self._text(doc_id)
        if not text.strip():
            self._insert(doc_id, revision, notes_text.template(name, owner_name))
        if self._listing is not None:
            self._listing[key] = self._listing[doc_id] = file
        return NotesDoc(person.lower(), doc_id, _link(file))

    def _generate_id(self) -> str:
        try:
            response = self._api.execute(self._api.drive().files().generateIds(
                count=1, space="drive", type="files"))
        except GoogleError as exc:
            raise NotesError(f"{self.name}: reserving a Doc id: {exc}") from None
        return str(response["ids"][0])

    def append_section(self, doc: NotesDoc, date: dt.date, title: str) -> None:
        """Append the agenda for `date` at the end unless the Doc already has it."""
        text, revision = self._text(doc.doc_id)
        if date in notes_text.agenda_dates(text):
            return
        # Every Doc body ends with a newline and the insert lands before it, so the text
        # the new section follows is the one without that last newline.
        separator = notes_text.separator(text.removesuffix("\n"))
        self._insert(doc.doc_id, revision, separator + notes_text.agenda(date, title))

    def _insert(self, doc_id: str, revision: str, text: str) -> None:
        """Insert `text` at the end; refused by Docs if someone edited since `revision`."""
        body: dict[str, Any] = {"requests": [
            {"insertText": {"endOfSegmentLocation": {}, "text": text}}]}
        if revision:
            body["writeControl"] = {"requiredRevisionId": revision}
        try:
            self._api.execute(self._api.docs().documents().batchUpdate(
                documentId=doc_id, body=body))
        except GoogleError as exc:
            raise NotesError(f"{self.name}: writing Doc {doc_id}: {exc}") from None


def _link(file: Mapping[str, Any]) -> str:
    return str(file.get("webViewLink") or f"https://docs.google.com/document/d/{file['id']}/edit")


def _plain_text(document: Mapping[str, Any]) -> str:
    """The text of a Docs document body (paragraph text runs, in order)."""
    parts: list[str] = []
    for element in document.get("body", {}).get("content", []):
        for run in element.get("paragraph", {}).get("elements", []):
            parts.append(str(run.get("textRun", {}).get("content", "")))
    text = "".join(parts)
    # An empty Doc holds one empty paragraph: "\n".
    return "" if text == "\n" else text
