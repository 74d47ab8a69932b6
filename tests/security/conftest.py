"""Fixtures of the security tests: the demo copy, and syncd run as a real subprocess so its
stderr holds only its own log lines (the test servers log in the test process)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from tests.emulator import Emulator, running_emulator
from tests.integration.conftest import DEMO, NOW, Demo, Run
from tests.integration.gdemo import OWNER

SYNCD = Path(sys.executable).parent / "syncd"


@pytest.fixture
def demo(tmp_path: Path) -> Demo:
    """The demo calendar copied into a temp folder, with the contract roster."""
    shutil.copytree(DEMO / "calendar", tmp_path / "calendar")
    d = Demo(tmp_path)
    d.write_config()
    return d


@pytest.fixture
def owner_emulator() -> Iterator[Emulator]:
    """The Google emulator on loopback with the contract roster's owner owning the calendar."""
    with running_emulator(owner=OWNER) as emu:
        yield emu


def run_syncd(config: Path, *args: str, log_format: str = "text",
              env: Mapping[str, str] | None = None) -> Run:
    """`syncd COMMAND ARGS…` with the config, `--log-level debug`, the log format and (for
    commands that read the calendar) a fixed `--now`, in a subprocess: `err` holds every
    line it logged."""
    command, *rest = args
    clock = ("--now", NOW) if command in ("reconcile", "status", "report") else ()
    argv = [str(SYNCD), command, "--config", str(config), "--log-level", "debug",
            "--log-format", log_format, *clock, *rest]
    done = subprocess.run(argv, env={**os.environ, **(env or {})}, capture_output=True,
                          text=True, timeout=120, check=False, stdin=subprocess.DEVNULL)
    return Run(done.returncode, done.stdout, done.stderr)
