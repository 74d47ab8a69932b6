"""docs/security.md makes no promise without a test: every test it names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)(?:\[[^\]]*\])?`")


def test_every_test_the_security_doc_names_exists() -> None:
    text = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    named = REFERENCE.findall(text)
    assert len(named) >= 20
    missing = [f"{path}::{name}" for path, name in named
               if not (ROOT / path).exists()
               or not re.search(rf"^(async )?def {name}\(", (ROOT / path).read_text(), re.M)]
    assert missing == []
