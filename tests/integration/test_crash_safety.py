"""A crash between any two applied actions loses nothing and duplicates nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from syncd import reconcile as reconciling
from syncd.calendars.local import LocalCalendar
from syncd.config import load_config
from syncd.core.model import AgendaWrite, NotesDoc, Series, SeriesPatch, SeriesSpec
from syncd.notes.markdown import MarkdownNotes
from syncd.state import State
from tests.integration.test_reconcile_local import PEOPLE, live_owned
from tests.workspace import NOW, Workspace


class Crash(BaseException):
    """Stands for the process dying: nothing after it runs, no handler catches it."""


class Writes:
    """Counts completed writes across calendar and notes and dies after the k-th."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0

    def done(self) -> None:
        self.count += 1
        if self.count == self.limit:
            raise Crash


class CrashingCalendar:
    """The real local calendar, with the process 'killed' right after a chosen write."""

    def __init__(self, real: LocalCalendar, writes: Writes) -> None:
        self.real, self.writes, self.name = real, writes, real.name

    def read(self, start: dt.datetime, end: dt.datetime) -> tuple[Series, ...]:
        return self.real.read(start, end)

    def create(self, spec: SeriesSpec) -> str:
        etag = self.real.create(spec)
        self.writes.done()
        return etag

    def patch(self, uid: str, patch: SeriesPatch, etag: str) -> str:
        new = self.real.patch(uid, patch, etag)
        self.writes.done()
        return new


class CrashingNotes:
    """The real Markdown notes, with the process 'killed' right after a chosen write."""

    def __init__(self, real: MarkdownNotes, writes: Writes) -> None:
        self.real, self.writes = real, writes

    def find(self, person: str, doc_id: str | None) -> NotesDoc | None:
        return self.real.find(person, doc_id)

    def create(self, person: str, name: str, owner_name: str) -> NotesDoc:
        doc = self.real.create(person, name, owner_name)
        self.writes.done()
        return doc

    def append_section(self, doc: NotesDoc, write: AgendaWrite, title: str, body: str) -> None:
        self.real.append_section(doc, write, title, body)
        self.writes.done()

    def move_section(self, doc: NotesDoc, write: AgendaWrite, title: str) -> None:
        self.real.move_section(doc, write, title)
        self.writes.done()

    def cancel_section(self, doc: NotesDoc, write: AgendaWrite) -> None:
        self.real.cancel_section(doc, write)
        self.writes.done()


# The demo's first run: 16 actions, 12 writes (the notes are made first, so each new or
# adopted series gets its link in the write that makes it syncd's; attaching writes nothing).
WRITES = 12


def test_demo_plan_has_many_steps_and_writes(demo: Workspace) -> None:
    assert len(demo.syncd("reconcile", "--dry-run", "--json").json()["actions"]) == 16
    writes = Writes(WRITES + 1)
    state = State.open(demo.state)
    try:
        reconciling.reconcile(
            load_config(demo.config), state, dt.datetime.fromisoformat(NOW), dry_run=False,
            force=False,
            calendar=CrashingCalendar(LocalCalendar(demo.calendar, "Europe/Berlin"), writes),
            notes=CrashingNotes(MarkdownNotes(demo.notes), writes))
    finally:
        state.close()
    assert writes.count == WRITES


@pytest.mark.parametrize("k", range(1, WRITES + 1))
def test_crash_after_write_k_then_rerun_leaves_one_series_each_and_all_notes(
        demo: Workspace, k: int) -> None:
    config = load_config(demo.config)
    writes = Writes(k)
    state = State.open(demo.state)
    with pytest.raises(Crash):
        reconciling.reconcile(
            config, state, dt.datetime.fromisoformat(NOW), dry_run=False, force=False,
            calendar=CrashingCalendar(LocalCalendar(demo.calendar, "Europe/Berlin"), writes),
            notes=CrashingNotes(MarkdownNotes(demo.notes), writes))
    state.close()
    # The lead writes in every notes file that exists before syncd runs again.
    mine = {}
    for path in demo.notes.glob("*.md") if demo.notes.exists() else []:
        text = path.read_text() + f"\nMy private note about {path.stem}.\n"
        path.write_text(text)
        mine[path] = text
    run = demo.syncd("reconcile")
    assert run.code == 0, run.out + run.err
    for email in PEOPLE:
        assert len(live_owned(demo.calendar, email)) == 1, email
    for path, text in mine.items():
        assert path.read_text().startswith(text)
    assert demo.syncd("reconcile", "--dry-run", "--json").json()["actions"] == []
