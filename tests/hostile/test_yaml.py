"""Hostile rosters: each is refused with one `FILE[:LINE]: message` line, exit 2, nothing written.

Bounds are asserted on sizes and counts (the bytes syncd may read, the values it
may build), never on wall time; the run's peak memory is checked by tests/conftest.py.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.hostile.conftest import CORPUS
from tests.workspace import ALICE, Workspace

COMMANDS = (("validate",), ("reconcile",), ("reconcile", "--dry-run"), ("status", "--json"),
            ("report",))


def refused(ws: Workspace, line: int | None, message: str,
            commands: tuple[tuple[str, ...], ...] = COMMANDS) -> None:
    """Every command exits 2 with exactly one error line naming the file (and line)."""
    before = ws.files()
    where = re.escape(str(ws.config)) + (f":{line}" if line is not None else "")
    for command in commands:
        run = ws.syncd(*command)
        assert run.code == 2, (command, run.out, run.err)
        assert run.out == ""
        assert re.fullmatch(rf"{where}: {message}\n", run.err), (command, run.err)
        assert ws.files() == before
    assert not (ws.root / "state").exists() and not (ws.root / "notes").exists()


def corpus(ws: Workspace, name: str) -> None:
    shutil.copy(CORPUS / name, ws.config)


def test_billion_laughs_alias_bomb_is_refused_after_a_bounded_count(ws: Workspace) -> None:
    corpus(ws, "yaml_billion_laughs.yaml")
    # 9**9 strings once expanded; the check stops counting at 100000 values.
    refused(ws, 6, r"more than 100000 values once aliases are expanded")


@pytest.mark.parametrize("name", ["yaml_python_object.yaml", "yaml_python_object_apply.yaml"])
def test_python_object_tags_are_never_constructed(ws: Workspace, name: str) -> None:
    corpus(ws, name)
    refused(ws, 7, r"YAML syntax error: could not determine a constructor for the tag "
                   r"'tag:yaml\.org,2002:python/object(/apply)?:[\w.]+'")
    # Running the tag would have created this file in the working or config folder.
    assert not Path("PWNED").exists() and not (ws.root / "PWNED").exists()


def test_non_utf8_bytes_name_the_line_and_the_byte(ws: Workspace) -> None:
    corpus(ws, "yaml_non_utf8.yaml")
    refused(ws, 7, r"not valid UTF-8 \(byte 0xe9\)")


def test_a_10_mb_roster_is_refused_unread(ws: Workspace) -> None:
    entry = ALICE.splitlines()[1] + "\n"
    people = "people:\n" + "".join(
        entry.replace("alice@", f"p{n}@").replace("Alice", f"P{n}")
        for n in range(10_000_000 // len(entry) + 1))
    ws.write_config(people=people)
    assert ws.config.stat().st_size > 10_000_000
    # Parsed, this file costs about 50 s and 900 MB; syncd reads at most 1 MB of it.
    refused(ws, None, r"larger than 1000000 bytes: not a roster syncd will read")


def test_a_roster_just_under_the_size_limit_still_loads(ws: Workspace) -> None:
    entry = ALICE.splitlines()[1] + "\n"
    ws.write_config(people="people:\n" + entry, extra="# " + "x" * 990_000 + "\n")
    assert 990_000 < ws.config.stat().st_size <= 1_000_000
    run = ws.syncd("validate")
    assert run.code == 0, run.err
    assert run.out.endswith(": ok (1 people, 1 active)\n")


@pytest.mark.parametrize("shape", ["flow", "block"])
def test_deeply_nested_yaml_is_refused_without_a_crash(ws: Workspace, shape: str) -> None:
    # Past the recursion limit either way; the block form stays under the size limit.
    depth = 5_000 if shape == "flow" else 900
    nested = "[" * depth + "]" * depth if shape == "flow" else "\n" + "".join(
        "  " * level + f"k{level}:\n" for level in range(1, depth))
    ws.config.write_text(ws.config.read_text() + f"extra: {nested}\n")
    # PyYAML's scanner looks at most 1024 characters ahead for a key, whatever the depth:
    # about 2 s of scanning per read, so two commands show it as well as five.
    refused(ws, None, r"nested too deeply", commands=(("validate",), ("reconcile",)))
