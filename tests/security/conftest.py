"""Fixtures of the security tests: syncd run as a real subprocess so its stderr holds only
its own log lines (the test servers log in the test process). The `demo` copy comes from
tests/conftest.py."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from tests.integration.conftest import owner_emulator
from tests.workspace import NOW, Run

__all__ = ["owner_emulator"]  # the integration fixture, shared by name

SYNCD = Path(sys.executable).parent / "syncd"


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
