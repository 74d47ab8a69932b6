"""Getting a built report to its reader: the notes facts it shows (links, agendas
written), and sending it by email under the password policy, with an unsent report
kept in the state directory so nothing is lost.

The command prints; this module decides and returns what happened.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from syncd import backends, preflight
from syncd import reconcile as reconciling
from syncd.config import Config, EmailConfig, resolve_state_dir
from syncd.core import agenda
from syncd.core.model import FollowUp, NotesDoc
from syncd.fsutil import atomic_write
from syncd.google.errors import AuthError
from syncd.notes import text as notes_text
from syncd.notes.base import NotesError
from syncd.redact import install_redactor
from syncd.report import build, mail, prep, render
from syncd.state import State

Agendas = dict[tuple[str, dt.date], bool | None]  # (email, day) → agenda written; None: no section


Stale = dict[tuple[str, dt.date], tuple[FollowUp, ...]]  # (email, day) → carried 3+ times


def agenda_facts(
    config: Config, state: State, seen: reconciling.Observation, known: tuple[NotesDoc, ...],
    now: dt.datetime, warnings: list[str],
) -> tuple[dict[str, str], Agendas | None, Stale]:
    """Notes links, whether each 1:1 of the coming week has its agenda written (None, with
    a warning, when the notes could not be read), and the stale follow-ups in those
    agendas."""
    urls = {doc.person: doc.url for doc in known}
    ids = {doc.person: doc.doc_id for doc in known}
    zone = ZoneInfo(config.roster.timezone)
    agendas: Agendas = {}
    stale: Stale = {}
    try:
        notes = backends.open_notes(config.notes, state, backends.connect_google(config))
    except AuthError as exc:
        warnings.append(f"notes: not read: {exc}")
        return urls, None, stale
    try:
        for email, coming in build.next_meetings(seen.rows, now).items():
            doc = notes.find(email, ids.get(email))
            if doc is None:
                continue
            urls[email] = doc.url
            for occ in coming:
                day = build.agenda_day(occ, zone)
                # The slot its section was prepared under: another one when the roster
                # slot moved onto a meeting prepared before.
                prepared = agenda.sections_for(doc.agenda, occ, zone)
                key = prepared[0].key if prepared else day
                agendas[(email, day)] = notes_text.agenda_written(doc.agenda, key)
                stale[(email, day)] = tuple(f for s in doc.agenda if s.key == key
                                            for f in s.open_items if f.stale)
    except NotesError as exc:
        warnings.append(f"notes: not read: {exc}")
        return urls, None, stale
    return urls, agendas, stale


def notes_docs(config: Config, state: State, warnings: list[str]) -> dict[str, NotesDoc]:
    """Each active person's notes document with its sections (none, with a warning, when
    the notes cannot be read)."""
    ids = {doc.person: doc.doc_id for doc in state.memory().notes}
    found: dict[str, NotesDoc] = {}
    try:
        notes = backends.open_notes(config.notes, state, backends.connect_google(config))
        for person in config.roster.people:
            if person.active and (doc := notes.find(person.email, ids.get(person.email))):
                found[person.email] = doc
    except (AuthError, NotesError) as exc:
        warnings.append(f"notes: not read: {exc}")
    return found


def send_prep(config: Config, address: EmailConfig, brief: prep.Brief, now: dt.datetime,
              environ: Mapping[str, str]) -> Sent | Unsent:
    """Email a `syncd prep` brief (text + HTML); nothing is saved when it fails."""
    text = prep.text(brief)
    try:
        guard_password(address, environ)
        mail.send(address, mail.message(address, config.roster.owner.name,
                                        prep.subject(brief), text, prep.as_html(brief), now),
                  environ)
    except mail.MailError as exc:
        return Unsent(str(exc), (), None, text)
    return Sent(tuple(address.to))


@dataclass(frozen=True)
class Sent:
    """The server accepted the report for every recipient."""

    to: tuple[str, ...]


@dataclass(frozen=True)
class Unsent:
    """The report was not sent: why, and where it was kept instead."""

    why: str
    saved: tuple[Path, ...]  # the HTML and text copies in the state directory
    save_error: str | None = None  # why they could not be saved either
    text: str = ""  # the text report, for the person to see when nothing was saved


def send(
    config: Config, address: EmailConfig, report: build.Report, environ: Mapping[str, str]
) -> Sent | Unsent:
    """Email the report (text + HTML); when that fails, save it in the state directory."""
    text = render.render(report, "text")
    html = render.render(report, "html")
    try:
        guard_password(address, environ)
        mail.send(address, mail.message(
            address, config.roster.owner.name, render.subject(report), text, html,
            report.generated_at), environ)
    except mail.MailError as exc:
        try:
            saved = save_unsent(resolve_state_dir(config, environ), report.period.label,
                                text, html)
        except OSError as err:
            return Unsent(str(exc), (), str(err), text)
        return Unsent(str(exc), saved)
    return Sent(tuple(address.to))


def guard_password(address: EmailConfig, environ: Mapping[str, str]) -> None:
    """Refuse a password file others can read; keep the password out of every log line.

    Raises MailError, as sending would, when the password is exposed or cannot be had.
    """
    if address.user is None:
        return
    if address.password_file is not None:
        try:
            why = preflight.exposed(address.password_file, "SMTP password file",
                                    "change the password")
        except OSError:
            why = None  # mail.password says why it cannot be read
        if why is not None:
            raise mail.MailError(why)
    install_redactor().add(mail.password(address, environ))


def save_unsent(state_dir: Path, label: str, text: str, html: str) -> tuple[Path, ...]:
    """Keep an unsent report under the state dir (0600), so nothing is lost.

    Raises OSError when it cannot be written.
    """
    folder = state_dir / preflight.REPORTS
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    saved = []
    for suffix, body in (("html", html), ("txt", text)):
        path = folder / f"{label}.{suffix}"
        atomic_write(path, body.encode("utf-8"), 0o600, keep_mode=False)
        saved.append(path)
    return tuple(saved)
