"""The backend factory: the calendar and notes store a config names, opened with what
state remembers of them (feed validators, sync tokens, when notes Docs were asked for),
and what they learned saved back after a run.

The backends are imported when the config names them: a run with a local calendar never
loads the Google client, a Google one never loads the feed reader's or CalDAV's HTTP stack.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from syncd.calendars.base import AccessError, CachingCalendar, CalendarError, CalendarSource
from syncd.config import (
    Backend,
    CalDAVCalendarConfig,
    CalendarConfig,
    Config,
    FeedCalendarConfig,
    GoogleBackend,
    GoogleCalendarConfig,
    GoogleDocsNotesConfig,
    LocalCalendarConfig,
    NotesConfig,
    resolve_state_dir,
)
from syncd.core.identity import person_key
from syncd.core.model import Roster
from syncd.notes.base import CachingNotes, NotesError, NotesStore
from syncd.preflight import exposed
from syncd.redact import install_redactor
from syncd.state import State

if TYPE_CHECKING:
    from caldav.davclient import DAVClient

    from syncd.google.api import GoogleApi


def connect_google(config: Config) -> GoogleApi | None:
    """Google clients when the calendar or the notes live at Google, else None.

    Raises AuthError when there are no usable credentials (no token, a token others
    can read, a revoked token).
    """
    if not config.uses_google:
        return None
    from syncd.google import auth
    from syncd.google.api import Endpoints, GoogleApi

    credentials = auth.credentials(config, resolve_state_dir(config, os.environ))
    calendar = Endpoints.at(_endpoint(config.calendar))
    drive = Endpoints.at(_endpoint(config.notes))
    return GoogleApi(credentials, dataclasses.replace(drive, calendar=calendar.calendar,
                                                      batch=calendar.batch))


def _endpoint(backend: Backend) -> str | None:
    return backend.api_endpoint if isinstance(backend, GoogleBackend) else None


def open_calendar(
    config: CalendarConfig, roster: Roster, state: State | None = None,
    google: GoogleApi | None = None, *, attach: bool = True, everyone: bool = False,
) -> CalendarSource:
    """The calendar backend the config names, starting from what state remembers of it
    (an ics feed's validators, a Google calendar's sync token). `google` is needed for
    kind google; `attach` puts notes links in Google event attachments; `everyone` keeps
    every event naming someone besides the owner, not only the roster's (`syncd init`)."""
    raw = state.get_value(_cache_key(config)) if state is not None else None
    if isinstance(config, FeedCalendarConfig):
        from syncd.calendars.ics import FeedCache, ICSFeed

        return ICSFeed(
            url=config.url, path=config.path, default_timezone=roster.timezone,
            people=roster.people, owner_email=roster.owner.email,
            timeout=config.timeout, max_bytes=config.max_bytes,
            cache=FeedCache.from_json(raw) if raw else None, away_title=roster.away_title,
            everyone=everyone,
        )
    if isinstance(config, GoogleCalendarConfig):
        from syncd.calendars.google import GoogleCalendar, SyncCache

        if google is None:
            raise CalendarError("google calendar: no Google credentials were loaded")
        return GoogleCalendar(
            google, config.calendar_id, people=roster.people, owner_email=roster.owner.email,
            default_timezone=roster.timezone, attach=attach,
            cache=SyncCache.from_json(raw) if raw else None, away_title=roster.away_title,
            everyone=everyone)
    if isinstance(config, CalDAVCalendarConfig):
        from syncd.calendars.caldav import CalDAVCalendar, DavCache

        return CalDAVCalendar(
            caldav_client(config, os.environ), calendar=config.calendar,
            default_timezone=roster.timezone, people=roster.people,
            owner_email=roster.owner.email, away_title=roster.away_title,
            cache=DavCache.from_json(raw) if raw else None)
    from syncd.calendars.local import LocalCache, LocalCalendar

    return LocalCalendar(config.path, roster.timezone,
                         cache=LocalCache.from_json(raw) if raw else None)


def caldav_password(config: CalDAVCalendarConfig, environ: Mapping[str, str]) -> str:
    """The CalDAV password from `password_env` or `password_file` (final newline dropped),
    registered with the log redactor. Raises AccessError when it cannot be had or the
    file is readable by others."""
    if config.password_env:
        value = environ.get(config.password_env, "")
        if not value:
            raise AccessError(f"caldav: environment variable {config.password_env} "
                              "(password_env) is not set")
    else:
        path = config.password_file
        assert path is not None  # the config requires one of the two
        try:
            why = exposed(path, "CalDAV password file", "change the password")
            value = path.read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise AccessError(f"caldav: cannot read password_file {path}: {reason}") from None
        if why:
            raise AccessError(f"caldav: {why}")
        if not value:
            raise AccessError(f"caldav: password_file {path} is empty")
    redactor = install_redactor()
    redactor.add(value)
    # What an Authorization header would show of it.
    redactor.add(base64.b64encode(f"{config.username}:{value}".encode()).decode())
    return value


def caldav_client(config: CalDAVCalendarConfig, environ: Mapping[str, str]) -> DAVClient:
    """A python-caldav client logged in at the configured URL. Basic auth is sent at once
    (no 401 round trip per run); the config allows plain http only on this machine."""
    from caldav.davclient import DAVClient

    return DAVClient(url=config.url, username=config.username,
                     password=caldav_password(config, environ), auth_type="basic",
                     timeout=30, enable_rfc6764=False)


def _cache_key(config: CalendarConfig) -> str:
    # Keyed by a hash, so the secret in a private feed URL is not stored in clear.
    if isinstance(config, GoogleCalendarConfig):
        source = f"google {config.api_endpoint or ''} {config.calendar_id}"
        return "calendar:" + hashlib.sha256(source.encode()).hexdigest()[:24]
    if isinstance(config, CalDAVCalendarConfig):
        source = f"caldav {config.url} {config.username} {config.calendar or ''}"
        return "calendar:" + hashlib.sha256(source.encode()).hexdigest()[:24]
    if isinstance(config, LocalCalendarConfig):
        return "local:" + hashlib.sha256(str(config.path).encode()).hexdigest()[:24]
    source = config.url or str(config.path)
    return "feed:" + hashlib.sha256(source.encode()).hexdigest()[:24]


def save_calendar_cache(state: State, config: CalendarConfig, calendar: CalendarSource) -> None:
    """Remember what the calendar read learned (feed validators, sync token), inside an
    open transaction."""
    if isinstance(calendar, CachingCalendar):
        state.set_value(_cache_key(config), calendar.cache_json())


_NOTES_CACHE = "notes:google-docs"


def save_notes_cache(state: State, notes: NotesStore) -> None:
    """Remember what the notes read learned (Docs as read, with their versions), inside an
    open transaction."""
    if isinstance(notes, CachingNotes):
        state.set_value(_NOTES_CACHE, notes.cache_json())


class StateAskedDocs:
    """When each person's notes Doc was last asked for, kept in state (one commit for all
    the Docs a run asks for, before any is sent)."""

    def __init__(self, state: State) -> None:
        """Kept in `state`'s key-value table."""
        self._state = state

    def asked(self, person: str) -> float | None:
        """When `person`'s Doc was last asked for (seconds since the epoch), if ever."""
        value = self._state.get_value(f"notes-asked:{person_key(person)}")
        try:
            return float(value) if value else None
        except ValueError:
            return None

    def asking(self, people: Sequence[str], when: float | None) -> None:
        """Commit that these people's Docs are asked for at `when` (None: not on the way)."""
        with self._state.transaction():
            for person in people:
                self._state.set_value(f"notes-asked:{person_key(person)}",
                                      "" if when is None else repr(when))


def open_notes(
    config: NotesConfig, state: State | None = None, google: GoogleApi | None = None
) -> NotesStore:
    """The notes backend the config names (kind google-docs needs `google` and `state`)."""
    if isinstance(config, GoogleDocsNotesConfig):
        from syncd.notes.gdocs import GoogleDocsNotes, ReadCache

        if google is None or state is None:
            raise NotesError("google docs: no Google credentials were loaded")
        kept = state.get_value(_NOTES_CACHE)
        return GoogleDocsNotes(google, folder_id=config.folder_id,
                               asked=StateAskedDocs(state),
                               cache=ReadCache.from_json(kept) if kept else None)
    from syncd.notes.markdown import MarkdownNotes

    return MarkdownNotes(config.path)


def open_backends(config: Config, state: State) -> tuple[CalendarSource, NotesStore]:
    """The calendar and notes store the config names, with what state remembers of them.

    Raises AuthError when they live at Google and there are no usable credentials.
    """
    google = connect_google(config)
    return (open_calendar(config.calendar, config.roster, state, google,
                          attach=config.attach_notes),
            open_notes(config.notes, state, google))
