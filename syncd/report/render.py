"""The report as text, Markdown, JSON or one self-contained HTML page (pure: data in, text out).

Names, titles and addresses come from calendars anyone can invite the lead to, so
every value is escaped for its format: jinja2 autoescaping for HTML; for text and
Markdown a `finalize` hook that turns line breaks and other control characters into
spaces (a value can never start a line of its own) and, for Markdown, puts a
backslash before every character that could start markup.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined

from syncd.core.oneline import one_line
from syncd.report.build import Adherence, CellStatus, Report

# Fill, label colour and one-letter mark per status: the letter keeps the picture
# readable without colour vision.
STYLE: dict[CellStatus, tuple[str, str, str]] = {
    "missing": ("#b2182b", "#ffffff", "M"),
    "skipped": ("#f4a582", "#000000", "S"),
    "unknown": ("#c2a5cf", "#000000", "?"),
    "rescheduled": ("#a6dba0", "#000000", "R"),
    "held": ("#1b7837", "#ffffff", "H"),
    "upcoming": ("#d1e5f0", "#000000", "U"),
    "paused": ("#bababa", "#000000", "P"),
    "none": ("#f0f0f0", "#000000", ""),
}
LEGEND: dict[CellStatus, str] = {
    "held": "held", "rescheduled": "rescheduled", "skipped": "skipped", "missing": "missing",
    "paused": "paused", "unknown": "unknown", "upcoming": "upcoming",
    "none": "none expected",
}
_CELL, _GAP, _LABEL, _HEAD = 22, 2, 160, 20
_LEGEND_ITEM, _LEGEND_PER_ROW = 112, 4
_NAME_CHARS = 20  # longer names are cut in the picture; the cell titles keep them whole

# Values never start a line (see one_line), so only inline markup needs escaping.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()|~&])")


class _Own(str):
    """Text syncd wrote itself (dates, counts): `finalize` leaves it as it is."""

    __slots__ = ()


def _plain(value: object) -> object:
    """`finalize` for text: no value can break a line or reorder the text around it."""
    return one_line(value) if isinstance(value, str) else value


def _markdown(value: object) -> object:
    """`finalize` for Markdown: one line, and every markup character taken literally."""
    if isinstance(value, _Own) or not isinstance(value, str):
        return value
    return _MARKDOWN_SPECIAL.sub(r"\\\1", one_line(value))


def _when(moment: dt.datetime, zone: ZoneInfo) -> _Own:
    return _Own(f"{moment.astimezone(zone):%a %Y-%m-%d %H:%M}")


def _day(day: dt.date | dt.datetime) -> _Own:
    return _Own(f"{day:%a %Y-%m-%d}")


def _rate(adherence: Adherence) -> _Own:
    if adherence.rate is None:
        return _Own("none expected")
    return _Own(f"{adherence.happened}/{adherence.expected} ({adherence.rate:.0%})")


def _ago(days: int | None) -> _Own:
    if days is None:
        return _Own("never held")
    return _Own("1 day since the last one" if days == 1 else f"{days} days since the last one")


def _link(url: str | None) -> _Own:
    """`url` when it is safe behind a link (http, https, file), else "". Characters that
    could end a Markdown link or an HTML attribute early are percent-encoded."""
    if not url or not url.lower().startswith(("https://", "http://", "file:")):
        return _Own("")
    return _Own(quote(url, safe=":/?#@!$&*+,;=%-._~"))


def _environment(**options: Any) -> Environment:
    env = Environment(loader=PackageLoader("syncd.report", "templates"),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True, **options)
    env.filters.update(when=_when, day=_day, rate=_rate, ago=_ago, link=_link)
    return env


_TEXT = _environment(autoescape=False, finalize=_plain)
_MARKDOWN = _environment(autoescape=False, finalize=_markdown)
_HTML = _environment(autoescape=True)


def headline(report: Report) -> str:
    """The ten-second summary: skips, overdue people, agendas to write."""
    parts = [f"{len(report.skipped)} skipped", f"{len(report.overdue)} overdue",
             f"{len(report.nudges)} agenda{'' if len(report.nudges) == 1 else 's'} to write"]
    return ", ".join(parts)


def subject(report: Report) -> str:
    """The email subject line."""
    return f"1:1 report {report.period.label}: {headline(report)}"


def render(report: Report, fmt: str) -> str:
    """The report in one of syncd.report.FORMATS."""
    if fmt == "json":
        return json.dumps(to_json(report), indent=2, ensure_ascii=False) + "\n"
    env = {"text": _TEXT, "markdown": _MARKDOWN, "html": _HTML}[fmt]
    suffix = {"text": "txt", "markdown": "md", "html": "html"}[fmt]
    return env.get_template(f"report.{suffix}.j2").render(_context(report))


def _context(report: Report) -> dict[str, Any]:
    zone = ZoneInfo(report.timezone)
    return {
        "r": report,
        "zone": zone,
        "headline": headline(report),
        "width": max((len(p.person.name) for p in report.people), default=0),
        "heatmap": heatmap(report),
    }


def heatmap(report: Report) -> dict[str, Any]:
    """Positions for the inline SVG: a row per person, a column per week, and the legend."""
    step = _CELL + _GAP
    rows = []
    for index, person in enumerate(report.people):
        y = _HEAD + index * step
        name = person.person.name
        rows.append({
            "y": y, "text_y": y + _CELL * 0.7,
            "label": name if len(name) <= _NAME_CHARS else name[:_NAME_CHARS - 1] + "…",
            "cells": [
                {"x": _LABEL + col * step, "y": y, "fill": STYLE[cell.status][0],
                 "ink": STYLE[cell.status][1], "mark": STYLE[cell.status][2],
                 "status": cell.status, "title": f"{name}, {cell.week}: {LEGEND[cell.status]}"}
                for col, cell in enumerate(person.cells)
            ],
        })
    legend_top = _HEAD + len(report.people) * step + 12
    legend = [
        {"x": (i % _LEGEND_PER_ROW) * _LEGEND_ITEM, "y": legend_top + (i // _LEGEND_PER_ROW) * step,
         "fill": STYLE[status][0], "ink": STYLE[status][1], "mark": STYLE[status][2],
         "text": text, "status": status}
        for i, (status, text) in enumerate(LEGEND.items())
    ]
    legend_rows = -(-len(legend) // _LEGEND_PER_ROW)
    return {
        "cell": _CELL,
        "columns": [{"x": _LABEL + col * step + _CELL / 2, "label": week.label.split("-")[-1]}
                    for col, week in enumerate(report.weeks)],
        "rows": rows,
        "legend": legend,
        # Room for the last legend label past its item's slot.
        "width": max(_LABEL + len(report.weeks) * step, _LEGEND_ITEM * _LEGEND_PER_ROW + 24),
        "height": legend_top + legend_rows * step,
        "first": report.weeks[0].label,
        "last": report.weeks[-1].label,
    }


def to_json(report: Report) -> dict[str, Any]:
    """The JSON document docs/report-schema.json describes (times in the roster's zone)."""
    zone = ZoneInfo(report.timezone)

    def iso(moment: dt.datetime | None) -> str | None:
        return moment.astimezone(zone).isoformat() if moment else None

    def rate(adherence: Adherence) -> float | None:
        return round(adherence.rate, 3) if adherence.rate is not None else None

    return {
        "week": {"start": iso(report.period.start), "end": iso(report.period.end),
                 "label": report.period.label},
        "generated_at": iso(report.generated_at),
        "people": [
            {
                "email": p.person.email,
                "name": p.person.name,
                "cadence": p.person.cadence.text,
                "occurrences": [
                    {"expected": iso(o.expected), "status": o.status, "reason": o.reason,
                     "actual_start": iso(o.actual_start)}
                    for o in p.occurrences
                ],
                "skipped_this_week": [
                    {"expected": iso(s.expected), "reason": s.reason, "make_up": iso(s.make_up),
                     "suggestion": iso(s.suggestion)}
                    for s in p.skipped
                ],
                "skip_streak": p.skip_streak,
                "days_since_last_held": p.days_since_last_held,
                "overdue": p.overdue,
                "adherence_12w": rate(p.adherence_12w),
                "adherence_6m": rate(p.adherence_6m),
                "counts": {
                    "12w": {"happened": p.adherence_12w.happened,
                            "expected": p.adherence_12w.expected},
                    "6m": {"happened": p.adherence_6m.happened,
                           "expected": p.adherence_6m.expected},
                },
                "last_held": iso(p.last_held),
                "heatmap": [{"week": c.week, "status": c.status} for c in p.cells],
            }
            for p in report.people
        ],
        "next_week": [
            {"email": u.person.email, "name": u.person.name, "start": iso(u.start),
             "expected": iso(u.expected), "on_calendar": u.on_calendar,
             "notes_url": u.notes_url, "agenda": u.agenda,
             **({"stale_follow_ups": [{"text": f.text, "since": f.since.isoformat(),
                                       "carried": f.carried} for f in u.stale]}
                if u.stale else {})}
            for u in report.next_week
        ],
        "roster_health": {
            "calendar_read": report.calendar_read,
            "no_series": None if report.no_series is None
            else [p.email for p in report.no_series],
            "queued": [{"email": p.email, "name": p.name, "first": iso(first) if first else None}
                       for p, first in report.queued],
            "paused": [
                {"email": a.person.email, "name": a.person.name,
                 "from": a.pause.start.isoformat(), "to": a.pause.end.isoformat(),
                 "reason": a.pause.reason, "returns": a.returns.isoformat()}
                for a in report.away
            ],
            "not_on_roster": None if report.strangers is None else [
                {"email": s.email, "name": s.name, "summary": s.summary}
                for s in report.strangers
            ],
        },
    }
