"""The words syncd writes into notes documents, and how to find its agenda sections again.

Pure text functions shared by the notes backends. A Google Doc shows everything
as text, so there an agenda section is found by its heading line
"## YYYY-MM-DD — title" (the Markdown files also carry a hidden marker comment).
"""

from __future__ import annotations

import datetime as dt
import re
from importlib import resources
from string import Template

from syncd.core.oneline import one_line

HEADING = re.compile(r"^## (\d{4}-\d{2}-\d{2}) — ", re.MULTILINE)


def resource(name: str) -> str:
    """A text file shipped in the syncd.notes package (template.md, agenda.md)."""
    return resources.files("syncd.notes").joinpath(name).read_text(encoding="utf-8")


def single_line(text: str) -> str:
    """`text` as one line with its whitespace collapsed, fit for a heading or a title."""
    return " ".join(one_line(text).split())


def template(name: str, owner_name: str) -> str:
    """A new notes document for `name`, kept by `owner_name`."""
    return Template(resource("template.md")).safe_substitute(
        name=single_line(name), owner_name=single_line(owner_name))


def heading(date: dt.date, title: str) -> str:
    """The heading line of the agenda section for `date`."""
    return f"## {date.isoformat()} — {single_line(title)}\n"


def agenda(date: dt.date, title: str) -> str:
    """The agenda section for `date`: its heading and the agenda template."""
    return heading(date, title) + "\n" + resource("agenda.md")


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def separator(before: str) -> str:
    """What goes between `before` and a new section: the end of its last line if needed,
    then one blank line (none added when `before` already ends with one)."""
    return "" if before.endswith("\n\n") else "\n" if before.endswith("\n") else "\n\n"


def agenda_dates(text: str, pattern: re.Pattern[str] = HEADING) -> frozenset[dt.date]:
    """The dates of the agenda sections found by `pattern` (group 1 is the date)."""
    return frozenset(d for m in pattern.finditer(text) if (d := _date(m.group(1))) is not None)


def agenda_written(text: str, date: dt.date, pattern: re.Pattern[str] = HEADING) -> bool | None:
    """True when the agenda section for `date` holds anything beyond the template,
    False when it is still bare, None when there is no such section. Sections start at
    the lines `pattern` finds and run to the next one (or the end), so notes typed below
    the last one count for it."""
    starts = [(m, _date(m.group(1))) for m in pattern.finditer(text)]
    mine = [i for i, (_, day) in enumerate(starts) if day == date]
    if not mine:
        return None
    index = mine[0]
    line_end = text.find("\n", starts[index][0].start())
    begin = len(text) if line_end < 0 else line_end + 1
    end = starts[index + 1][0].start() if index + 1 < len(starts) else len(text)
    lines = [line.strip() for line in text[begin:end].splitlines() if line.strip()]
    # Under a marker line comes the heading syncd wrote (with that day's title): not notes.
    if lines and lines[0].startswith(f"## {date.isoformat()}"):
        lines = lines[1:]
    template_lines = {line.strip() for line in resource("agenda.md").splitlines()}
    return any(line not in template_lines for line in lines)
