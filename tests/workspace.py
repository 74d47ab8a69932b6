"""A throw-away syncd workspace: a folder holding config.yaml, calendar/, notes/ and state/,
and the real CLI run on it in-process with a fixed clock.

Every test folder builds its workspace here: the `demo` and `ws` fixtures of
tests/conftest.py (a pytest tmp_path each) and the local state machine (a temp folder
of its own, as hypothesis runs many examples in one test).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from syncd.cli import main
from tests.contract import CONTRACT

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo"
NOW = "2026-11-25T09:00:00+01:00"

# The contract roster, with its backends in the workspace's own folder.
PEOPLE_YAML = CONTRACT[CONTRACT.index("people:"):]
HEAD_YAML = CONTRACT[:CONTRACT.index("people:")].replace("examples/demo/", "")
LOCAL = "{kind: local, path: calendar}"
MARKDOWN = "{kind: markdown, path: notes}"
ALICE = """\
people:
  - {name: Alice Example, email: alice@example.com, cadence: weekly, start: 2026-09-01, slot: {day: tue, time: "10:00"}}
"""  # noqa: E501
# Commands that take --now: the workspace gives them its fixed clock.
CLOCKED = ("reconcile", "status", "export", "suggest", "report", "makeup")


@dataclass
class Run:
    """What one CLI invocation printed and returned."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


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


@dataclass
class Workspace:
    """A folder holding config.yaml, calendar/, notes/ and state/; `people` is the roster
    its config holds unless a test writes another."""

    root: Path
    people: str = PEOPLE_YAML

    @classmethod
    def demo(cls, root: Path) -> Workspace:
        """The demo calendar copied into `root`, with the contract roster."""
        shutil.copytree(DEMO / "calendar", root / "calendar")
        workspace = cls(root)
        workspace.write_config()
        return workspace

    @classmethod
    def empty(cls, root: Path) -> Workspace:
        """An empty local calendar folder in `root`, with Alice on the roster."""
        workspace = cls(root, ALICE)
        workspace.calendar.mkdir(parents=True)
        workspace.write_config()
        return workspace

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

    def write_config(self, people: str | None = None, extra: str = "", *,
                     calendar: str = LOCAL, notes: str = MARKDOWN) -> None:
        """The config: the contract's head with these backends, `extra`, then the roster."""
        head = HEAD_YAML.replace(f"calendar: {LOCAL}", f"calendar: {calendar}").replace(
            f"notes: {MARKDOWN}", f"notes: {notes}")
        self.config.write_text(head + extra + (self.people if people is None else people))

    def syncd(self, *args: str, now: str = NOW) -> Run:
        """One command on this workspace, with the clock fixed where the command takes one."""
        clock = ("--now", now) if args[0] in CLOCKED else ()
        return syncd(*args, "--config", str(self.config), *clock)

    def files(self) -> dict[str, str]:
        """Every file under the workspace, config included (to prove nothing was written)."""
        return snapshot(self.root)
