"""The emulator's data: calendars with their events, Drive files, Docs texts, sync tokens.

Resources are kept in the JSON shape Google returns, so the admin dump is readable and a
dump can be seeded back. One re-entrant lock guards everything.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.emulator.errors import ApiError, not_found

Json = dict[str, Any]

_BASE32HEX = "0123456789abcdefghijklmnopqrstuv"


@dataclass
class Calendar:
    """A calendar and every event stored on it (masters, single events and exceptions)."""

    id: str
    summary: str
    time_zone: str
    events: dict[str, Json] = field(default_factory=dict)
    # event id -> store sequence number of its last change (for sync tokens)
    changed: dict[str, int] = field(default_factory=dict)
    # False for a colleague's calendar whose free/busy the owner may not see
    free_busy_visible: bool = True


@dataclass
class Doc:
    """A Google Doc's text (always ending in a newline), its revision counter, and per
    paragraph (one per newline) its named style and the list it belongs to, if any."""

    text: str = "\n"
    revision: int = 1
    styles: list[str] = field(default_factory=list)  # namedStyleType per paragraph
    bullets: list[str | None] = field(default_factory=list)  # listId per paragraph
    lists: dict[str, str] = field(default_factory=dict)  # listId → the bulletPreset made it

    def paragraphs(self) -> int:
        """How many paragraphs the text holds; style lists shorter than that (a test that
        set `text` directly) are padded with plain paragraphs."""
        count = self.text.count("\n")
        del self.styles[count:], self.bullets[count:]
        self.styles += ["NORMAL_TEXT"] * (count - len(self.styles))
        self.bullets += [None] * (count - len(self.bullets))
        return count


@dataclass
class Store:
    """All emulated data; take `lock` around any read or write."""

    owner: str
    time_zone: str
    lock: threading.RLock = field(default_factory=threading.RLock)
    calendars: dict[str, Calendar] = field(default_factory=dict)
    files: dict[str, Json] = field(default_factory=dict)
    docs: dict[str, Doc] = field(default_factory=dict)
    permissions: dict[str, list[Json]] = field(default_factory=dict)
    generated_ids: set[str] = field(default_factory=set)
    used_file_ids: set[str] = field(default_factory=set)
    sync_tokens: dict[str, tuple[str, int]] = field(default_factory=dict)
    seq: int = 0
    _etag_clock: int = 0

    def __post_init__(self) -> None:
        self.calendars.setdefault(self.owner, Calendar(self.owner, self.owner, self.time_zone))

    def replace_with(self, other: Store) -> None:
        """Take over another store's data (seeding builds aside, then swaps in under the lock)."""
        for name in ("owner", "time_zone", "calendars", "files", "docs", "permissions",
                     "generated_ids", "used_file_ids", "sync_tokens"):
            setattr(self, name, getattr(other, name))
        # Numbers only grow, so no old sync token or etag can come back.
        self.seq = max(self.seq, other.seq)
        self._etag_clock = max(self._etag_clock, other._etag_clock)

    def calendar(self, calendar_id: str) -> Calendar:
        """A calendar by id (`primary` is the owner's); 404 if there is none."""
        found = self.calendars.get(self.owner if calendar_id == "primary" else calendar_id)
        if found is None:
            raise not_found()
        return found

    def next_seq(self) -> int:
        """The next change number; every write to an event takes one."""
        self.seq += 1
        return self.seq

    def new_etag(self) -> str:
        """A fresh, strictly increasing etag like Google's `"3181234567890000"`."""
        self._etag_clock = max(self._etag_clock + 1, time.time_ns() // 1000)
        return f'"{self._etag_clock}"'

    @staticmethod
    def now() -> datetime:
        """The wall clock (created/updated stamps are real times, like Google's)."""
        return datetime.now(UTC)

    @staticmethod
    def new_event_id() -> str:
        """A 26-character base32hex id, the shape Google generates."""
        return "".join(secrets.choice(_BASE32HEX) for _ in range(26))

    def issue_sync_token(self, calendar_id: str, seq: int) -> str:
        """A sync token that later lists every change after change number `seq`."""
        token = "CP" + secrets.token_urlsafe(18)
        self.sync_tokens[token] = (calendar_id, seq)
        return token

    def redeem_sync_token(self, calendar_id: str, token: str) -> int:
        """The change number a token was issued at; 410 fullSyncRequired if it is unknown."""
        found = self.sync_tokens.get(token)
        if found is None or found[0] != calendar_id:
            raise ApiError(410, "fullSyncRequired")
        return found[1]
