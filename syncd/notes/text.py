"""The words syncd writes into notes documents, and how its agenda sections are read back.

Pure text functions shared by the notes backends. Both backends read a document
as Markdown: a Markdown file as it is, a Google Doc as the Markdown its paragraph
styles stand for (`syncd.notes.gdocs` does that projection). An agenda section
starts at a marker line `<!-- syncd:agenda KEY WHEN -->`: KEY is the roster slot
the section prepares (its identity), WHEN the local wall time its heading gave.
docs/notes.md describes the lifecycle of a section.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from importlib import resources
from string import Template
from typing import Literal

from syncd.core.model import AgendaSection, AgendaWrite, FollowUp
from syncd.core.oneline import one_line

# The agenda templates syncd ships, by the name a config's notes.templates uses.
TEMPLATES = {"report": "agenda.md", "manager": "agenda-manager.md", "peer": "agenda-peer.md",
             "skip-level": "agenda-skip-level.md", "new-hire": "agenda-new-hire.md"}
FOLLOW_UPS = "Follow-ups from last time"

# Only a line of its own counts: a name or title holding one must not hide an agenda.
MARKER = re.compile(
    r"^[ \t]*<!--[ \t]*syncd:agenda[ \t]+(\d{4}-\d{2}-\d{2})"
    r"(?:[ \t]+(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}))?[ \t]*-->[ \t\r]*$", re.MULTILINE)
# The heading text of a section: "Tue 2026-01-19 10:00 — 1:1 with Alice (moved from …)".
# Older versions wrote "2026-01-19 — 1:1 with Alice".
HEADING_TEXT = re.compile(
    r"^(?:[A-Z][a-z]{2} )?(\d{4}-\d{2}-\d{2})(?: (\d{2}:\d{2}))? — .*?"
    r"(?: \((?:moved from|make-up for) [A-Z][a-z]{2} (\d{4}-\d{2}-\d{2})\))?$")
_MOVED = re.compile(r"^_?↪ The 1:1 prepared under [A-Z][a-z]{2} (\d{4}-\d{2}-\d{2}) now takes "
                    r"place [A-Z][a-z]{2} (\d{4}-\d{2}-\d{2}) (\d{2}:\d{2})\._?$")
_CANCELLED = re.compile(r"^_?✗ The 1:1 of [A-Z][a-z]{2} (\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}) is off")
_TASK = re.compile(r"^[ \t]*[-*+][ \t]+\[([ xX])\][ \t]*(.*?)[ \t\r]*$")
_BULLET = re.compile(r"^[ \t]*[-*+](?:[ \t]+(.*?))?[ \t\r]*$")
_CARRY = re.compile(r"^(.*?)[ \t]*\(from (\d{4}-\d{2}-\d{2})(?:, carried (\d+) times)?\)$")


def resource(name: str) -> str:
    """A text file shipped in the syncd.notes package (template.md, agenda*.md)."""
    return resources.files("syncd.notes").joinpath(name).read_text(encoding="utf-8")


def single_line(text: str) -> str:
    """`text` as one line with its whitespace collapsed, fit for a heading or a title."""
    return " ".join(one_line(text).split())


def template(name: str, owner_name: str) -> str:
    """A new notes document for `name`, kept by `owner_name`."""
    return Template(resource("template.md")).safe_substitute(
        name=single_line(name), owner_name=single_line(owner_name))


def shipped_agenda(name: str) -> str:
    """The agenda template syncd ships for a role (or new-hire)."""
    return resource(TEMPLATES.get(name, "agenda.md"))


# --- writing ------------------------------------------------------------------

ParaKind = Literal["title", "heading", "task", "bullet", "text"]


@dataclass(frozen=True)
class Para:
    """One paragraph of a section as syncd writes it: Markdown text or a styled Doc paragraph."""

    kind: ParaKind
    text: str

    def markdown(self) -> str:
        """The paragraph as a Markdown line."""
        prefix = {"title": "## ", "heading": "### ", "task": "- [ ] ", "bullet": "- ",
                  "text": ""}[self.kind]
        return prefix + self.text


def _day(day: dt.date) -> str:
    return f"{day:%a %Y-%m-%d}"


def wall(moment: dt.datetime) -> str:
    """A local time as a heading shows it: "Tue 2026-01-19 10:00"."""
    return f"{moment:%a %Y-%m-%d %H:%M}"


def heading(write: AgendaWrite, title: str, local: dt.datetime) -> str:
    """The heading text of a section: when the meeting takes place, and why not on its slot."""
    label = f" ({write.label})" if write.label else ""
    return f"{wall(local)} — {single_line(title)}{label}"


def carried_text(item: FollowUp) -> str:
    """A carried follow-up with where it came from ("carried N times" from its second carry)."""
    times = f", carried {item.carried} times" if item.carried > 1 else ""
    return f"{single_line(item.text)} (from {item.since.isoformat()}{times})"


def template_paras(body: str) -> list[Para]:
    """An agenda template (headings, empty items, blank lines) as paragraphs."""
    out: list[Para] = []
    for line in body.splitlines():
        task, bullet = _TASK.match(line), _BULLET.match(line)
        if line.startswith("### "):
            out.append(Para("heading", line[4:].strip()))
        elif task:
            out.append(Para("task", task.group(2)))
        elif bullet:
            out.append(Para("bullet", bullet.group(1) or ""))
        else:
            out.append(Para("text", line.strip()))
    while out and out[-1] == Para("text", ""):
        out.pop()
    return out


def section_paras(write: AgendaWrite, title: str, local: dt.datetime, body: str) -> list[Para]:
    """A new section: heading, the carried follow-ups, then the agenda template."""
    paras = [Para("title", heading(write, title, local)), Para("text", ""),
             Para("heading", FOLLOW_UPS)]
    paras += [Para("task", carried_text(f)) for f in write.follow_ups] or [Para("bullet", "")]
    return [*paras, Para("text", ""), *template_paras(body)]


def marker(key: dt.date, local: dt.datetime) -> str:
    """The hidden line that starts a section in a Markdown file."""
    return f"<!-- syncd:agenda {key.isoformat()} {local:%Y-%m-%dT%H:%M} -->\n"


def section_markdown(write: AgendaWrite, title: str, local: dt.datetime, body: str) -> str:
    """A new section as Markdown, marker first."""
    lines = [p.markdown() for p in section_paras(write, title, local, body)]
    return marker(write.key, local) + "\n".join(lines) + "\n"


def moved_line(key: dt.date, local: dt.datetime) -> str:
    """The pointer added where a heading cannot be edited: the meeting moved."""
    return f"↪ The 1:1 prepared under {_day(key)} now takes place {wall(local)}."


def cancelled_line(local: dt.datetime, reason: str) -> str:
    """The line added to a section whose meeting is off."""
    return (f"✗ The 1:1 of {wall(local)} is off ({single_line(reason)}); "
            "open items carry to the next one.")


def separator(before: str) -> str:
    """What goes between `before` and a new section: the end of its last line if needed,
    then one blank line (none added when `before` already ends with one)."""
    return "" if before.endswith("\n\n") else "\n" if before.endswith("\n") else "\n\n"


# --- reading ------------------------------------------------------------------


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _moment(day: str | None, time: str | None) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(f"{day}T{time}") if day and time else None
    except ValueError:
        return None


def parse_follow_up(text: str, default: dt.date) -> FollowUp:
    """An item's text, with the day and count of its carry note when it has one."""
    found = _CARRY.match(text.strip())
    since = _date(found.group(2)) if found else None
    if found is None or since is None:
        return FollowUp(text.strip(), default, 0)
    return FollowUp(found.group(1), since, int(found.group(3) or 1))


def _syncd_line(line: str) -> bool:
    return bool(_MOVED.match(line) or _CANCELLED.match(line) or MARKER.match(line))


@dataclass
class _Draft:
    key: dt.date
    when: dt.datetime | None
    lines: list[str]


def sections(text: str) -> tuple[AgendaSection, ...]:
    """Every agenda section in a document's Markdown, in document order.

    A section runs from its marker to the next one (or the end), so notes typed below
    the last one count for it. Pointer and cancellation lines count wherever they are."""
    drafts: list[_Draft] = []
    moved: dict[dt.date, dt.datetime] = {}
    off: set[dt.datetime] = set()
    current: _Draft | None = None
    for line in text.splitlines():
        found = MARKER.match(line)
        key = _date(found.group(1)) if found else None
        if found and key is not None:
            when = _moment(*found.group(2).split("T")) if found.group(2) else None
            current = _Draft(key, when, [])
            drafts.append(current)
            continue
        stripped = line.strip()
        if (hit := _MOVED.match(stripped)) and (day := _date(hit.group(1))):
            if (new := _moment(hit.group(2), hit.group(3))) is not None:
                moved[day] = new
        elif (hit := _CANCELLED.match(stripped)) and (at := _moment(hit.group(1), hit.group(2))):
            off.add(at)
        if current is not None:
            current.lines.append(line)
    return tuple(_section(d, moved.get(d.key, d.when), off) for d in drafts)


def _section(draft: _Draft, when: dt.datetime | None, off: set[dt.datetime]) -> AgendaSection:
    held = when.date() if when is not None else draft.key
    topic = ""
    items: list[FollowUp] = []
    leftovers: list[str] = []
    outcome: list[str] = []
    written = False
    lines = draft.lines
    # Under the marker comes the heading syncd wrote: not notes.
    if lines and lines[0].startswith("## "):
        lines = lines[1:]
    for line in lines:
        stripped = line.strip()
        if not stripped or _syncd_line(stripped):
            continue
        if stripped.startswith("### "):
            topic = stripped[4:].strip().lower()
            continue
        task, bullet = _TASK.match(line), _BULLET.match(line)
        content = task.group(2) if task else (bullet.group(1) or "") if bullet else stripped
        if not content:
            continue  # an empty item of the template
        carried = bool(_CARRY.match(content))
        written = written or not carried
        if topic.startswith("outcome"):
            outcome.append(stripped)
        if task and task.group(1) == " ":
            items.append(parse_follow_up(content, held))
        elif not task and not topic.startswith(("outcome", FOLLOW_UPS.lower())):
            leftovers.append(content)
    return AgendaSection(
        key=draft.key, when=when, cancelled=when is not None and when in off,
        open_items=tuple(items), leftovers=tuple(leftovers), outcome=tuple(outcome),
        written=written)


def agenda_written(found: tuple[AgendaSection, ...], key: dt.date) -> bool | None:
    """True when the section for the slot `key` holds anything the lead wrote, False when
    it is still bare, None when there is no such section."""
    mine = [s for s in found if s.key == key]
    return None if not mine else any(s.written for s in mine)
