"""The contract roster on the Google emulator (calendar and Docs), driven through the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.auth.credentials import AnonymousCredentials
from googleapiclient.discovery import build

from tests.contract import CONTRACT
from tests.emulator import Emulator
from tests.workspace import NOW, Run, syncd

OWNER = "dana@example.com"
PEOPLE = ("alice@example.com", "bob@example.com", "erin@example.com", "carol@example.com")
WRITES = ("POST", "PUT", "PATCH", "DELETE")


@dataclass
class GoogleDemo:
    """The contract roster on the emulator's calendar and Docs, with its own state dir."""

    emu: Emulator
    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config.yaml"

    def write_config(self, notes_extra: str = "", people: str | None = None) -> None:
        text = CONTRACT.replace(
            "calendar: {kind: local, path: examples/demo/calendar}",
            f"calendar: {{kind: google, api_endpoint: '{self.emu.url}'}}",
        ).replace(
            "notes: {kind: markdown, path: examples/demo/notes}",
            f"notes: {{kind: google-docs, api_endpoint: '{self.emu.url}'{notes_extra}}}",
        ).replace(
            "state_dir: examples/demo/state",
            f"state_dir: {self.root / 'state'}\ngoogle: {{credentials: anonymous}}",
        )
        if people is not None:
            text = text[:text.index("people:")] + people
        self.config.write_text(text)

    def syncd(self, *args: str, now: str = NOW) -> Run:
        return syncd(*args, "--config", str(self.config), "--now", now)

    def calendar(self) -> Any:
        """The real client, as the person's own calendar app."""
        return build("calendar", "v3", credentials=AnonymousCredentials(),
                     static_discovery=True,
                     client_options={"api_endpoint": self.emu.calendar_endpoint})

    def events(self) -> list[dict[str, Any]]:
        (calendar,) = self.emu.state()["calendars"]
        return list(calendar["events"])

    def masters(self) -> list[dict[str, Any]]:
        return [e for e in self.events()
                if not e.get("recurringEventId") and e.get("status") != "cancelled"]

    def docs(self) -> list[dict[str, Any]]:
        return [f for f in self.emu.state()["files"] if not f.get("trashed")]

    def writes_since(self, mark: int) -> list[tuple[str, str]]:
        """The write calls since request `mark`, batch parts included (a batch's own POST
        is none: it may carry reads)."""
        return [(r["method"], r["path"]) for r in self.emu.requests()[mark:]
                if r["method"] in WRITES and "parts" not in r]
