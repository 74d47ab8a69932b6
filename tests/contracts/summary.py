"""One summary line per backend at the end of the run: the same contract, the same count.

A plugin loaded by tests/conftest.py rather than a conftest of this folder: under
pytest-xdist only the controlling process prints the summary, and it collects nothing, so
it never loads a folder's conftest."""

from __future__ import annotations

from collections import Counter

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    counts: dict[str, Counter[str]] = {}
    for outcome in ("passed", "failed", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            if not nodeid.startswith("tests/contracts/") or "::Test" not in nodeid:
                continue
            if getattr(report, "when", "call") != "call" and outcome != "error":
                continue
            backend = nodeid.split("::")[1]
            counts.setdefault(backend, Counter())[outcome] += 1
    if not counts:
        return
    terminalreporter.section("backend contracts")
    for backend in sorted(counts):
        line = ", ".join(f"{n} {what}" for what, n in sorted(counts[backend].items()))
        terminalreporter.write_line(f"{backend}: {line}")
