"""The config reader's libyaml path: the same document, lines and problems as pure Python,
and every error still worded and placed by the pure-Python loader."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncd.config import lines
from syncd.config.problems import Abort

ROOT = Path(__file__).parents[2]

FAST = lines._FAST

ROSTER = """\
owner: {name: Dana Lead, email: dana@example.com}
timezone: Europe/Berlin
defaults: &d {duration: 30}
people:
  - {name: A, email: a@example.com, cadence: weekly, start: 2026-02-30, <<: *d}
  - name: B
    email: b@example.com
    email: b2@example.com
    cadence: "rrule: FREQ=MONTHLY;BYDAY=1MO"
    pauses: [{from: 2026-07-01, to: 2026-07-14}]
"""


@pytest.mark.parametrize("text", [
    ROSTER,
    (ROOT / "config.example.yaml").read_text(),
])
def test_libyaml_reads_what_pure_python_reads(text: str) -> None:
    """Values (an impossible date kept as text, merge keys), the line of every part and the
    duplicate-key problems are the same on both parsers (PyYAML's wheels carry libyaml)."""
    assert FAST is not None
    fast, slow = lines._parse(text, FAST), lines._parse(text, lines._Loader)
    assert fast[0] == slow[0]
    assert fast[1] == slow[1]
    assert fast[2] == slow[2]


@pytest.mark.parametrize("text", [
    "owner: {name: x\n",
    "people:\n  - a: b\n   c: d\n",
    "a: 1\n\tb: 2\n",
    "a: *nowhere\n",
    "a: \x07bell\n",
])
def test_a_file_libyaml_refuses_gets_the_pure_python_message(text: str) -> None:
    """libyaml words its errors differently: the message and line a user sees are those
    the pure-Python loader gives."""
    with pytest.raises(Abort) as fast:
        lines.parse(text)
    reference = lines._Loader
    with pytest.raises(Abort) as slow:
        lines._parse(text, reference)
    assert fast.value.problem == slow.value.problem
