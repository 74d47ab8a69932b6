"""The lead's own agenda templates are checked when the config is loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncd.notes import templates


def test_a_template_of_headings_and_empty_items_is_read(tmp_path: Path) -> None:
    file = tmp_path / "t.md"
    file.write_text("### What I need\n- \n\n### Outcome\n- [ ] \n")
    assert templates.load(file) == file.read_text()
    assert templates.names() == ("report", "manager", "peer", "skip-level", "new-hire")


@pytest.mark.parametrize(("data", "message", "line"), [
    (b"### Fine\n- filled in\n", "line 2: a template holds", 2),
    (b"## Heading two\n", "line 1: a template holds", 1),
    (b"- \n", "has no '### ' heading", None),
    (b"### ok\n\xff\n", "not valid UTF-8", 2),
    (b"### big\n" + b"- \n" * 9000, "larger than", None),
])
def test_a_bad_template_says_what_and_where(tmp_path: Path, data: bytes, message: str,
                                            line: int | None) -> None:
    file = tmp_path / "t.md"
    file.write_bytes(data)
    with pytest.raises(templates.TemplateError, match=message) as caught:
        templates.load(file)
    assert caught.value.line == line


def test_a_missing_file_or_a_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(templates.TemplateError, match="not found"):
        templates.load(tmp_path / "missing.md")
    with pytest.raises(templates.TemplateError, match="is a folder"):
        templates.load(tmp_path)
