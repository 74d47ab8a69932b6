"""The lead's own agenda templates (config `notes: {templates: {ROLE: FILE}}`), checked at load.

A template is what follows a section's heading and carried follow-ups: `### ` headings,
empty `- ` (or `- [ ] `) items and blank lines. Prompts go in the headings, so that
nothing syncd writes can be taken for the lead's own notes.
"""

from __future__ import annotations

from pathlib import Path

from syncd.notes.text import TEMPLATES, template_paras

MAX_BYTES = 16_384


class TemplateError(ValueError):
    """A template file that cannot be used; `line` is 1-based, None for the whole file."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def names() -> tuple[str, ...]:
    """The template names a config may set: the roles, and new-hire."""
    return tuple(TEMPLATES)


def load(path: Path) -> str:
    """The template text at `path`; TemplateError says what is wrong with it."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise TemplateError(f"template file {path} not found") from None
    except IsADirectoryError:
        raise TemplateError(f"template {path} is a folder, not a file") from None
    except OSError as exc:
        raise TemplateError(f"cannot read template {path}: {exc.strerror}") from None
    if len(data) > MAX_BYTES:
        raise TemplateError(f"template {path} is larger than {MAX_BYTES} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TemplateError(f"template {path} is not valid UTF-8",
                            data.count(b"\n", 0, exc.start) + 1) from None
    for number, line in enumerate(text.splitlines(), 1):
        para = template_paras(line)
        kind = para[0].kind if para else "text"
        filled = bool(para and para[0].text)
        if (kind == "heading" and filled) or (kind in ("bullet", "task") and not filled) \
                or not line.strip():
            continue
        raise TemplateError(
            f"{path} line {number}: a template holds '### ' headings, empty '- ' items and "
            "blank lines (put prompts in the headings)", number)
    if not any(p.kind == "heading" for p in template_paras(text)):
        raise TemplateError(f"template {path} has no '### ' heading")
    return text
