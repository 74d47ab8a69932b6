"""Private notes as Google Docs (Drive v3 + Docs v1).

One Doc per person, created with a metadata-only `files.create` (media uploads
would go to https even with a test endpoint) and filled with Docs `batchUpdate`
(insertText, then named paragraph styles for headings and bullets for items, a
checklist for task items), which the `drive.file` scope allows. Docs are found by their
`appProperties`, never shared by syncd, and a Doc that someone shared is reported.

Creation never makes a second Doc. Drive takes no id chosen in advance for a Google Doc
("pre-generated IDs aren't supported for Google Workspace file creation", except
folders and drive-sdk files: developers.google.com/workspace/drive/api/guides/create-file;
a copy with one is refused `generatedIdNotSupported`, googleapis/google-api-go-client#2334),
so a create is not sent again after no answer or a 5xx (it may have been carried out), and
the moment a Doc is asked for is kept in state before the create goes out: a run that
does not see a Doc asked for in the last minutes (a crash, an answer lost) leaves it to a
later run, whose listing shows it once Drive made it. The listing asks by MIME type, which
Drive answers as soon as a file is made (kopia/kopia#90: only name searches lag). A Doc
created but not yet filled is found blank and filled again.

Few calls: the Docs of a run are created together (`files.create` in Drive batches); each
new Doc's template and first agenda section go in one `batchUpdate`; what a run read or
wrote is kept (paragraphs and revision; a batchUpdate answers with the revision it made),
never read back; and what was read is kept for the next run with the Doc's Drive
`version`, which the listing gives, so a Doc that did not change is not read again. Docs
calls go one by one: the Docs API takes no HTTP batch ("deprecated for the Google Docs API
as of July 19, 2021. Requests sent as part of an HTTP batch request will fail after July
19, 2022": developers.google.com/docs/api/how-tos/batch-deprecation), though its
discovery document still names a batchPath.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, NamedTuple, Protocol

from syncd.core import identity
from syncd.core.model import AgendaSection, AgendaWrite, NotesDoc, Person
from syncd.google.api import DOC_MIME, GoogleApi
from syncd.google.errors import GoogleError, RateLimited, Unsupported
from syncd.notes import text as notes_text
from syncd.notes.base import NotesError

PERSON_KEY = "syncdPerson"
# version: "a monotonically increasing version number for the file. This reflects every
# change made to the file on the server, even those not visible to the user"
# (https://developers.google.com/drive/api/reference/rest/v3/files).
_FIELDS = "id,name,webViewLink,trashed,shared,appProperties,version"
# How long after a create was sent its Doc may still be missing from the listing; until
# then no second Doc is made for that person. A choice: far beyond the time Google takes
# to carry out a create (syncd itself stops waiting for an answer after 30 s).
LANDING = 600.0


class AskedDocs(Protocol):
    """When each person's Doc was last asked for (kept in state), so that a run which does
    not see it yet does not ask again while the first create may still land."""

    def asked(self, person: str) -> float | None:
        """When `person`'s Doc was last asked for (seconds since the epoch), if ever."""
        ...

    def asking(self, people: Sequence[str], when: float | None) -> None:
        """Remember that these people's Docs are asked for at `when`, all in one commit
        made before any of those creates is sent; None: those creates were refused, none
        is on its way."""
        ...


@dataclass(frozen=True)
class ReadCache:
    """Each Doc as a run read it, with the Drive version it had: doc id → (version,
    paragraphs, revision, end)."""

    docs: Mapping[str, tuple[str, _Read]] = dataclasses.field(default_factory=dict)
    # The JSON it was read from, written back as is when nothing changed.
    source: str = dataclasses.field(default="", compare=False, repr=False)

    VERSION: ClassVar[int] = 1  # bump when the shape changes: an older cache is dropped

    def to_json(self) -> str:
        """For the state's key-value table."""
        return json.dumps({"version": self.VERSION, "docs": {
            ident: [version, [(p.start, p.end, p.text, p.style, p.bullet)
                              for p in read.paragraphs],
                    read.revision, read.end]
            for ident, (version, read) in self.docs.items()}}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> ReadCache:
        """The cache `to_json` wrote; empty when it is of another version or damaged."""
        try:
            data = json.loads(text)
            if data.get("version") != cls.VERSION:
                return cls()
            return cls({ident: (str(version), _Read(
                tuple(_Paragraph(int(a), int(b), str(t), str(st), bl)
                      for a, b, t, st, bl in paragraphs), str(revision), int(end)))
                for ident, (version, paragraphs, revision, end) in data["docs"].items()}, text)
        except (TypeError, ValueError, AttributeError, KeyError):
            return cls()


class GoogleDocsNotes:
    """Notes documents in Google Docs, found by their appProperties."""

    def __init__(self, api: GoogleApi, *, folder_id: str | None, asked: AskedDocs,
                 cache: ReadCache | None = None, clock: Callable[[], float] = time.time) -> None:
        """Docs go to `folder_id` (the Drive root when None); `cache` is what an earlier
        run read; `clock` tells how long ago a Doc was asked for."""
        self.name = "google docs"
        self._cache = cache or ReadCache()
        self._cached = dict(self._cache.docs)
        self._seen: dict[str, tuple[str, _Read]] = {}  # read this run, not written since
        self._api = api
        self._folder = folder_id
        self._asked = asked
        self._clock = clock
        self._listing: dict[str, Mapping[str, Any]] | None = None
        self._twins: dict[str, list[str]] = {}  # person key → the ids of its Docs, if two
        self._made: dict[str, Mapping[str, Any]] = {}  # person → the file this run made
        self._known: dict[str, _Read] = {}  # doc id → the Doc as read or written in this run
        self._held: dict[str, str] = {}  # doc id → the template create held back
        self.warnings: list[str] = []

    # --- reading ----------------------------------------------------------------

    def find(self, person: str, doc_id: str | None) -> NotesDoc | None:
        """The person's Doc from one listing of every syncd notes Doc (paged), or None,
        with its agenda sections (one Docs read per person found)."""
        file = self._file_of(person, doc_id)
        if file is None:
            return None
        if file.get("shared"):
            self.warnings.append(f"{person}: the notes Doc {file['id']} is shared with "
                                 "someone; syncd never shares notes, check who can read it")
        twins = self._twins.get(identity.person_key(person))
        if twins:
            others = ", ".join(t for t in twins if t != file["id"])
            self.warnings.append(f"{person}: more than one notes Doc is theirs; syncd uses "
                                 f"{file['id']}, keep or merge {others} by hand")
        ident, version = str(file["id"]), str(file.get("version", ""))
        if (unchanged := self._unchanged(file)) is not None:
            self._known[ident] = unchanged
        read = self._read(ident)
        if version:
            self._seen[ident] = (version, read)
        found = read.sections()
        return NotesDoc(person.lower(), str(file["id"]), _link(file),
                        frozenset(s.key for s in found), found, blank=not read.plain().strip())

    def _file_of(self, person: str, doc_id: str | None) -> Mapping[str, Any] | None:
        """The person's Doc in the listing: by the id state knows, else by its person key."""
        listing = self._list()
        return listing.get(doc_id or "") or listing.get(identity.person_key(person))

    def _unchanged(self, file: Mapping[str, Any]) -> _Read | None:
        """The Doc as an earlier run read it, when the listing shows its Drive version has
        not changed since."""
        cached = self._cached.get(str(file["id"]))
        version = str(file.get("version", ""))
        return cached[1] if cached is not None and version and cached[0] == version else None

    def cache_json(self) -> str:
        """The Docs this run read and did not write since, with their Drive versions, for
        the next run."""
        if self._cache.source and self._seen == self._cached:
            return self._cache.source  # every Doc as an earlier run read it: nothing to encode
        return ReadCache(self._seen).to_json()

    def _list(self) -> dict[str, Mapping[str, Any]]:
        if self._listing is not None:
            return self._listing
        files = self._api.files()
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
                        twin = found.get(str(key))
                        if twin is not None and twin["id"] != file["id"]:
                            self._twins.setdefault(str(key), [str(twin["id"])]).append(
                                str(file["id"]))
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
        """The Doc's paragraphs and revision id: as this run last read or wrote it, else
        read now. A Doc the lead edited since is refused by Docs at the next write (it
        carries the revision), so nothing they typed is overwritten."""
        known = self._known.get(doc_id)
        if known is not None:
            return known
        try:
            document = self._api.execute(self._api.documents().get(documentId=doc_id))
        except GoogleError as exc:
            raise NotesError(f"{self.name}: reading Doc {doc_id}: {exc}") from None
        self._known[doc_id] = read = _Read.of(document)
        return read

    # --- writing ----------------------------------------------------------------

    def create_many(self, people: Sequence[Person]) -> dict[str, NotesDoc]:
        """Make the Docs of these people that have none, with `files.create` in Drive
        batches (the moment asked committed first). Email → each Doc made; `create` answers
        from them, and tries alone what was refused here."""
        try:
            listing = self._list()
        except NotesError:
            return {}
        todo = [p for p in people if identity.person_key(p.email) not in listing
                and self._landing(p.email) is None]
        if not todo:
            return {}
        self._asked.asking([p.email for p in todo], self._clock())
        files = self._api.files()
        requests = [files.create(body=self._body(p.email, p.name), fields=_FIELDS)
                    for p in todo]
        made: dict[str, NotesDoc] = {}
        settled: list[str] = []  # made, or refused: no create of theirs is on its way
        for person, result in zip(
                todo, self._api.batch(requests, api="drive", once=True), strict=True):
            if isinstance(result, GoogleError):
                if _untouched(result):
                    settled.append(person.email)
                continue
            settled.append(person.email)
            self._made[person.email] = result
            made[person.email] = NotesDoc(person.email.lower(), str(result["id"]),
                                          _link(result))
        if settled:
            self._asked.asking(settled, None)
        return made

    def create(self, person: str, name: str, owner_name: str) -> NotesDoc:
        """Create and fill the person's Doc, or return the one an earlier run made (and
        fill it if it is still blank)."""
        doc = self.create_unfilled(person, name, owner_name)
        template = self._held.get(doc.doc_id)
        if template is not None:
            self._retrying(doc.doc_id,
                           lambda read: self._insert(doc.doc_id, read, [(template, "")]))
            del self._held[doc.doc_id]
        return doc

    def create_unfilled(self, person: str, name: str, owner_name: str) -> NotesDoc:
        """Create the person's Doc, or return the one this run or an earlier one made; a
        blank one's template is held back for its first agenda section."""
        key = identity.person_key(person)
        file = self._made.get(person)
        if file is None:
            file = self._list().get(key)  # made by an earlier run that stopped before filling it
            if file is None:
                file = self._create(person, name)
        doc_id = str(file["id"])
        if self._made.get(person) is file:
            self._known.setdefault(doc_id, _Read.blank())  # made here: nothing to read
        if not self._read(doc_id).plain().strip():
            self._held[doc_id] = notes_text.template(name, owner_name)
        if self._listing is not None:
            self._listing[key] = self._listing[doc_id] = file
        return NotesDoc(person.lower(), doc_id, _link(file))

    def _landing(self, person: str) -> float | None:
        """Seconds since this person's Doc was asked for, when its create may still land."""
        asked = self._asked.asked(person)
        if asked is None:
            return None
        since = self._clock() - asked
        return since if 0 <= since < LANDING else None

    def _create(self, person: str, name: str) -> Mapping[str, Any]:
        """A new Doc, asked for once: no answer (or a 5xx) leaves it to a later run, which
        finds it in the listing if it was made."""
        since = self._landing(person)
        if since is not None:
            raise NotesError(f"{self.name}: the Doc for {person} was asked for "
                             f"{since / 60:.0f} min ago and is not listed yet; a later run "
                             "looks again before making one")
        self._asked.asking([person], self._clock())
        try:
            file: Mapping[str, Any] = self._api.execute(
                self._api.files().create(body=self._body(person, name), fields=_FIELDS),
                once=True)
        except GoogleError as exc:
            if _untouched(exc):
                self._asked.asking([person], None)
            raise NotesError(f"{self.name}: creating the Doc for {person}: {exc}") from None
        self._asked.asking([person], None)
        self._made[person] = file
        return file

    def _body(self, person: str, name: str) -> dict[str, Any]:
        return {
            "name": f"1:1 notes — {notes_text.single_line(name)}",
            "mimeType": DOC_MIME, "appProperties": {PERSON_KEY: identity.person_key(person)},
            **({"parents": [self._folder]} if self._folder else {}),
        }

    def append_section(self, doc: NotesDoc, write: AgendaWrite, title: str, body: str) -> None:
        """Append the section for `write.key` at the end, styled, in one batchUpdate,
        unless the Doc already has it."""
        self._retrying(doc.doc_id, lambda read: self._append(doc, write, title, body, read))

    def _retrying(self, doc_id: str, write: Callable[[_Read], None]) -> None:
        """`write` built on the Doc as this run knows it; when Docs refuses it because the
        Doc changed since (the lead typed while the run went on: the revision it carried
        is old), built once more on the Doc read afresh."""
        kept = doc_id in self._known
        try:
            write(self._read(doc_id))
        except _Outdated as exc:
            if not kept:
                raise NotesError(str(exc)) from None
            try:
                write(self._read(doc_id))  # `_update` forgot the old one
            except _Outdated as again:
                raise NotesError(str(again)) from None

    def _append(self, doc: NotesDoc, write: AgendaWrite, title: str, body: str,
                read: _Read) -> None:
        if write.key in {s.key for s in read.sections()}:
            return
        template = self._held.get(doc.doc_id)
        parts = [(template, "")] if template is not None else []
        self._insert(doc.doc_id, read, [*parts, (_section(write, title, body), None)])
        self._held.pop(doc.doc_id, None)

    def move_section(self, doc: NotesDoc, write: AgendaWrite, title: str) -> None:
        """Re-head the section in place (Docs refuses the edit if the Doc changed since it
        was read, so nothing the lead typed meanwhile is lost)."""
        self._retrying(doc.doc_id, lambda read: self._move(doc, write, title, read))

    def _move(self, doc: NotesDoc, write: AgendaWrite, title: str, read: _Read) -> None:
        local = write.when.replace(tzinfo=None, second=0, microsecond=0)
        para = read.heading(write.key)
        if para is None or any(s.key == write.key and s.when == local for s in read.sections()):
            return
        text = _kept(notes_text.heading(write, title, local))
        requests: list[dict[str, Any]] = []
        if para.text:
            requests.append({"deleteContentRange": {"range": {
                "startIndex": para.start, "endIndex": para.end - 1}}})
        requests.append({"insertText": {"location": {"index": para.start}, "text": text}})
        self._update(doc.doc_id, read.revision, requests)
        self._known.pop(doc.doc_id, None)  # read again if written again

    def cancel_section(self, doc: NotesDoc, write: AgendaWrite) -> None:
        """Add the line saying the meeting is off right under the section's heading."""
        self._retrying(doc.doc_id, lambda read: self._cancel(doc, write, read))

    def _cancel(self, doc: NotesDoc, write: AgendaWrite, read: _Read) -> None:
        para = read.heading(write.key)
        if para is None or any(s.key == write.key and s.cancelled for s in read.sections()):
            return
        local = write.when.replace(tzinfo=None, second=0, microsecond=0)
        line = _kept(notes_text.cancelled_line(local, write.reason))
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
        self._known.pop(doc.doc_id, None)  # read again if written again

    def _insert(self, doc_id: str, read: _Read, parts: list[tuple[str, str | None]]) -> None:
        """Append `parts` (see _appending) in one batchUpdate."""
        requests, after = _appending(read, parts)
        self._known[doc_id] = dataclasses.replace(
            after, revision=self._update(doc_id, read.revision, requests))

    def _write_body(self, doc_id: str, revision: str, requests: list[dict[str, Any]]
                    ) -> dict[str, Any]:
        """A batchUpdate's body: refused by Docs if someone edited since `revision` ("" for
        a Doc this run made: Drive does not say its revision)."""
        self._seen.pop(doc_id, None)  # its Drive version changes: read it again next run
        body: dict[str, Any] = {"requests": requests}
        if revision:
            body["writeControl"] = {"requiredRevisionId": revision}
        return body

    def _update(self, doc_id: str, revision: str, requests: list[dict[str, Any]]) -> str:
        """One batchUpdate (see _write_body); the revision it made."""
        body = self._write_body(doc_id, revision, requests)
        try:
            # Without a revision to hold it to, a write sent twice is made twice.
            response = self._api.execute(self._api.documents().batchUpdate(
                documentId=doc_id, body=body), once=not revision)
        except GoogleError as exc:
            self._known.pop(doc_id, None)  # read it again before another try
            # A revision that is not the Doc's latest is a 400 ("the request is not
            # processed and returns a 400 bad request error": WriteControl in
            # https://developers.google.com/docs/api/reference/rest/v1/documents/batchUpdate).
            kind = _Outdated if revision and exc.status == 400 else NotesError
            raise kind(f"{self.name}: writing Doc {doc_id}: {exc}") from None
        return _revision(response)


def _untouched(error: GoogleError) -> bool:
    """Whether a failed create surely made nothing: refused (a 4xx, or a quota still
    refusing it), not lost (no answer, or a 5xx, after which it may have been made)."""
    return 400 <= error.status < 500 or isinstance(error, RateLimited | Unsupported)


def _revision(response: Mapping[str, Any]) -> str:
    """The revision a batchUpdate made: its answer's writeControl.requiredRevisionId ("the
    updated write control after applying the request":
    https://developers.google.com/docs/api/reference/rest/v1/documents/batchUpdate)."""
    return str((response.get("writeControl") or {}).get("requiredRevisionId", ""))


def _section(write: AgendaWrite, title: str, body: str) -> str:
    """The agenda section for `write`, as Markdown."""
    local = write.when.replace(tzinfo=None)
    return "\n".join(p.markdown() for p in notes_text.section_paras(write, title, local, body))


def _appending(read: _Read, parts: list[tuple[str, str | None]]
               ) -> tuple[list[dict[str, Any]], _Read]:
    """The requests appending each (markdown, separator) part at the end of the Doc `read`,
    as styled paragraphs (headings as named styles, items as bullets, task items as a
    checklist), and the Doc as they leave it; a separator None is the one the text before
    asks for. Later requests of a batchUpdate see what earlier ones did, so each part's
    indices are those of the Doc as the parts before it leave it."""
    requests: list[dict[str, Any]] = []
    for markdown, separator in parts:
        if separator is None:
            # Every Doc body ends with a newline and the insert lands before it, so
            # the text the new part follows is the one without that last newline.
            plain = read.plain()
            separator = notes_text.separator(plain.removesuffix("\n")) if plain else ""
        paras = [_styled(line) for line in markdown.removesuffix("\n").split("\n")]
        requests += _insert_requests(read, paras, separator)
        read = read.appended(paras, separator)
    return requests, read


def _insert_requests(read: _Read, paras: list[_Styled], separator: str) -> list[dict[str, Any]]:
    """The requests appending `paras` after `separator` at the end of the Doc `read`:
    the text, then its paragraphs' bullets and named styles."""
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
    return requests


class _Outdated(NotesError):
    """Docs refused a write built on a revision that is no longer the Doc's (or on what
    it took for one: any 400 to a write that carried a revision)."""


@dataclass(frozen=True)
class _Styled:
    """A paragraph to write: its text, named style and bullet preset (None: no bullet)."""

    text: str
    style: str
    bullet: str | None


def _kept(text: str) -> str:
    """`text` as Docs keeps it: "Some control characters (U+0000-U+0008, U+000C-U+001F)
    and characters from the Unicode Basic Multilingual Plane Private Use Area
    (U+E000-U+F8FF) will be stripped out of the inserted text" (InsertTextRequest,
    developers.google.com/docs/api/reference/rest/v1/documents/request). Dropped before
    the insert, so the indices syncd counts are the Doc's."""
    return _STRIPPED.sub("", text)


_STRIPPED = re.compile("[\x00-\x08\x0c-\x1f\ue000-\uf8ff]")


def _styled(line: str) -> _Styled:
    """A Markdown line as a Docs paragraph."""
    line = _kept(line)
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


class _Paragraph(NamedTuple):  # a tuple: a cached read has tens of thousands
    start: int
    end: int
    text: str  # without its newline
    style: str  # namedStyleType
    bullet: Literal["checkbox", "bullet"] | None


_BULLETS: dict[str, Literal["checkbox", "bullet"]] = {
    "BULLET_CHECKBOX": "checkbox", "BULLET_DISC_CIRCLE_SQUARE": "bullet"}

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
    def blank(cls) -> _Read:
        """A Doc just made: one empty paragraph after the body's section break (indices
        1-2), revision unknown."""
        return cls((_Paragraph(1, 2, "", "NORMAL_TEXT", None),), "", 2)

    def appended(self, paras: list[_Styled], separator: str) -> _Read:
        """The Doc as `_insert_requests(self, paras, separator)` leaves it (same revision).

        The text goes in before the body's last newline: the last paragraph takes the
        separator's first line (none) or, with no separator, the first new paragraph
        (and its style); the separator's further lines are plain paragraphs."""
        last = self.paragraphs[-1] if self.paragraphs else _Read.blank().paragraphs[0]
        if separator:
            rows = [(last.text, last.style, last.bullet)]
            rows += [("", "NORMAL_TEXT", None)] * (separator.count("\n") - 1)
            rows += [(p.text, p.style, _BULLETS.get(p.bullet or "")) for p in paras]
        else:
            first, *rest = paras
            rows = [(last.text + first.text, first.style, _BULLETS.get(first.bullet or ""))]
            rows += [(p.text, p.style, _BULLETS.get(p.bullet or "")) for p in rest]
        out = list(self.paragraphs[:-1])
        start = last.start
        for text, style, bullet in rows:
            end = start + _units(text) + 1
            out.append(_Paragraph(start, end, text, style, bullet))
            start = end
        return _Read(tuple(out), self.revision, start)

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
            match = notes_text.HEADING_TEXT.match(para.text) if para.style == "HEADING_2" \
                else None
            if match:
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
