"""A copy of the demo (local calendar + Markdown notes) in a temp folder, and a CLI runner."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner

from syncd.cli import main
from tests.contract import CONTRACT

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.emulator import Emulator
    from tests.integration.gdemo import GoogleDemo
    from tests.integration.test_service import NotifySocket

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo"
NOW = "2026-11-25T09:00:00+01:00"

# The contract roster, with its backends in the demo copy's own folder.
PEOPLE_YAML = CONTRACT[CONTRACT.index("people:"):]
HEAD_YAML = CONTRACT[:CONTRACT.index("people:")].replace("examples/demo/", "")


@dataclass
class Run:
    """What one CLI invocation printed and returned."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@dataclass
class Demo:
    """A throw-away copy of the demo with its own config file."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config.yaml"

    @property
    def calendar(self) -> Path:
        return self.root / "calendar"

    @property
    def notes(self) -> Path:
        return self.root / "notes"

    @property
    def state(self) -> Path:
        return self.root / "state"

    def write_config(self, people_yaml: str = PEOPLE_YAML, extra: str = "") -> None:
        self.config.write_text(HEAD_YAML + extra + people_yaml)

    def syncd(self, *args: str, now: str = NOW) -> Run:
        """Run a command on this demo; reconcile runs get a fixed clock."""
        clock = ("--now", now) if args[0] in ("reconcile", "status", "export", "suggest",
                                               "makeup") else ()
        return syncd(*args, "--config", str(self.config), *clock)


def syncd(*args: str) -> Run:
    """Run the real CLI in-process and capture its exit code and both streams."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


def snapshot(folder: Path) -> dict[str, str]:
    """Name → sha256 of every file under a folder (to prove nothing was written)."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def demo(tmp_path: Path) -> Demo:
    """The demo calendar copied into a temp folder, with the contract roster."""
    shutil.copytree(DEMO / "calendar", tmp_path / "calendar")
    d = Demo(tmp_path)
    d.write_config()
    return d


@pytest.fixture
def owner_emulator() -> Iterator[Emulator]:
    """The Google emulator with the contract roster's owner owning the calendar."""
    from tests.emulator import running_emulator
    from tests.integration.gdemo import OWNER

    with running_emulator(owner=OWNER) as emu:
        yield emu


@pytest.fixture
def g(owner_emulator: Emulator, tmp_path: Path) -> GoogleDemo:
    """The contract roster on the emulator's calendar and Google Docs notes."""
    from tests.integration.gdemo import GoogleDemo

    demo = GoogleDemo(owner_emulator, tmp_path)
    demo.write_config()
    return demo


@pytest.fixture
def notify() -> Iterator[NotifySocket]:
    """A NOTIFY_SOCKET datagram socket, as systemd gives a Type=notify service."""
    from tests.integration.test_service import NotifySocket

    sock = NotifySocket()
    try:
        yield sock
    finally:
        sock.close()
