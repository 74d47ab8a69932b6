"""syncd.core stays pure: it imports only side-effect-free modules and never reads the clock.

An allow-list rather than a deny-list: a new import in core has to be added here on
purpose, with the reason it does no I/O.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "syncd" / "core"

# Modules core may import: pure computation over values (zoneinfo and dateutil read
# time-zone rules, which are data, not the world's state).
ALLOWED = {
    "__future__", "base64", "bisect", "collections", "dataclasses", "datetime", "dateutil",
    "enum", "functools", "hashlib", "heapq", "itertools", "math", "operator", "re",
    "string", "typing", "unicodedata", "zoneinfo", "syncd.core",
}
# Calls that read the clock or touch files, whatever module they come through.
FORBIDDEN_CALLS = {"now", "today", "utcnow", "fromtimestamp", "open", "getenv"}


def violations(source: str, name: str) -> list[str]:
    """What in one module's source breaks core's purity, one line each."""
    found = []
    for node in ast.walk(ast.parse(source, name)):
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules = [node.module or ""] if node.level == 0 else ["syncd.core"]
        for module in modules:
            if not any(module == ok or module.startswith(ok + ".") for ok in ALLOWED):
                found.append(f"{name}:{node.lineno}: imports {module}")
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in FORBIDDEN_CALLS:
                found.append(f"{name}:{node.lineno}: calls {called}()")
    return found


@pytest.mark.parametrize("path", sorted(CORE.glob("*.py")), ids=lambda p: p.name)
def test_core_module_is_pure(path: Path) -> None:
    assert violations(path.read_text(), path.name) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from syncd.calendars.local import LocalCalendar\n", "imports syncd.calendars.local"),
        ("import sqlite3\n", "imports sqlite3"),
        ("from syncd import state\n", "imports syncd"),
        ("import os.path\n", "imports os.path"),
        ("import datetime as dt\nx = dt.datetime.now()\n", "calls now()"),
        ("text = open('f').read()\n", "calls open()"),
    ],
)
def test_the_check_fails_when_core_imports_a_backend_or_reads_the_clock(
    source: str, expected: str
) -> None:
    assert any(expected in line for line in violations(source, "planner.py"))
