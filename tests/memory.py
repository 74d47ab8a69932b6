"""In-memory calendar and notes backends: the same interfaces as the real ones, at the
speed of a dict, for the contract suite and the in-process state machine.

The calendar keeps one iCalendar resource per series, as a CalDAV server does, and writes
it with the same code (syncd.calendars.resource); the notes keep one text per person and
find agenda sections the way the Google Docs backend does. Both can be told to fail, and
a second "client" (the person) edits the stored text directly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from zoneinfo import ZoneInfo

from syncd.calendars import resource
from syncd.calendars.base import CalendarError, ConflictError
from syncd.calendars.ical import uid_of
from syncd.core import identity
from syncd.core.model import AgendaSection, AgendaWrite, NotesDoc, Series, SeriesPatch, SeriesSpec
from syncd.notes import text as notes_text
from syncd.notes.base import NotesError


class MemoryCalendar:
    """A writable calendar held in a dict: uid → (iCalendar text, etag)."""

    def __init__(self, timezone: str = "Europe/Berlin") -> None:
        self.name = "memory calendar"
        self.zone = ZoneInfo(timezone)
        self.resources: dict[str, tuple[bytes, str]] = {}
        self.fail_reads = False  # the next reads raise, as a broken server would
        self.fail_writes = False
        self.writes = 0
        # Converting a resource is by far the slowest step; the same bytes give the same
        # series, so conversions are kept by (etag, window) for the state machine's speed.
        self._parsed: dict[tuple[str, dt.datetime, dt.datetime], list[Series]] = {}

    def read(self, start: dt.datetime, end: dt.datetime) -> tuple[Series, ...]:
        if self.fail_reads:
            raise CalendarError(f"{self.name}: cannot be read")
        series: list[Series] = []
        for uid, (raw, etag) in self.resources.items():
            key = (etag, start, end)
            if key not in self._parsed:
                try:
                    self._parsed[key] = resource.series_in(raw, uid, etag, start, end, self.zone)
                except ValueError as exc:
                    raise CalendarError(f"{self.name}: {uid}: {exc}") from None
                if len(self._parsed) > 4096:
                    self._parsed.clear()
            series.extend(self._parsed[key])
        return tuple(sorted(series, key=lambda s: s.uid))

    def create(self, spec: SeriesSpec) -> str:
        if spec.uid in self.resources:
            return self.resources[spec.uid][1]
        self._check_writable()
        return self.put(spec.uid, resource.new_resource(spec))

    def patch(self, uid: str, patch: SeriesPatch, etag: str) -> str:
        if uid not in self.resources:
            raise CalendarError(f"{self.name}: event {uid} is gone")
        raw, current = self.resources[uid]
        if current != etag:
            raise ConflictError(f"{self.name}: event {uid} changed since it was read")
        self._check_writable()
        return self.put(uid, resource.patched(raw, uid, patch, self.zone))

    def _check_writable(self) -> None:
        if self.fail_writes:
            raise CalendarError(f"{self.name}: cannot be written")
        self.writes += 1

    # --- the person's own calendar app ---------------------------------------------

    def put(self, uid: str, raw: bytes) -> str:
        etag = '"' + hashlib.sha256(raw).hexdigest()[:32] + '"'  # a content etag
        self.resources[uid] = (raw, etag)
        return etag

    def raw(self, uid: str) -> bytes:
        return self.resources[uid][0]

    def delete(self, uid: str) -> None:
        del self.resources[uid]


class MemoryNotes:
    """Notes documents held in a dict: doc id → text."""

    def __init__(self) -> None:
        self.name = "memory notes"
        self.docs: dict[str, str] = {}
        self.fail = False

    def find(self, person: str, doc_id: str | None) -> NotesDoc | None:
        self._check()
        ident = doc_id or identity.person_key(person)
        text = self.docs.get(ident)
        if text is None:
            return None
        found = notes_text.sections(text)
        return NotesDoc(person.lower(), ident, _url(ident), frozenset(s.key for s in found),
                        found)

    def create(self, person: str, name: str, owner_name: str) -> NotesDoc:
        self._check()
        ident = identity.person_key(person)
        self.docs.setdefault(ident, notes_text.template(name, owner_name))
        doc = self.find(person, ident)
        assert doc is not None
        return doc

    def append_section(self, doc: NotesDoc, write: AgendaWrite, title: str, body: str) -> None:
        self._add(doc, lambda found: None if write.key in {s.key for s in found}
                  else notes_text.section_markdown(write, title, _local(write), body))

    def move_section(self, doc: NotesDoc, write: AgendaWrite, title: str) -> None:
        local = _local(write)
        self._add(doc, lambda found: None if any(
            s.key == write.key and s.when == local for s in found)
            else f"_{notes_text.moved_line(write.key, local)}_\n")

    def cancel_section(self, doc: NotesDoc, write: AgendaWrite) -> None:
        local = _local(write)
        self._add(doc, lambda found: None if any(
            s.key == write.key and s.cancelled for s in found)
            else f"_{notes_text.cancelled_line(local, write.reason)}_\n")

    def _add(self, doc: NotesDoc,
             what: Callable[[tuple[AgendaSection, ...]], str | None]) -> None:
        """Append what `what` says given the sections there now, as the Markdown store does."""
        self._check()
        text = self._text(doc)
        added = what(notes_text.sections(text))
        if added is not None:
            self.docs[doc.doc_id] = text + notes_text.separator(text) + added

    def _text(self, doc: NotesDoc) -> str:
        text = self.docs.get(doc.doc_id)
        if text is None:
            raise NotesError(f"{self.name}: {doc.doc_id} is gone")
        return text

    def _check(self) -> None:
        if self.fail:
            raise NotesError(f"{self.name}: unavailable")


def _local(write: AgendaWrite) -> dt.datetime:
    return write.when.replace(tzinfo=None, second=0, microsecond=0)


def uids(raw: bytes) -> frozenset[str]:
    """The UIDs of the VEVENTs in an iCalendar resource."""
    return frozenset(uid_of(e) for e in resource.parse(raw).walk("VEVENT") if "UID" in e)


def _url(ident: str) -> str:
    return f"memory://notes/{ident}"
