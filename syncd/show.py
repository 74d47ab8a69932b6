"""Plain text and JSON views of a reconcile result (pure: data in, text out)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from syncd.core.model import (
    Action,
    CancelAgenda,
    CreateSeries,
    EndSeries,
    MoveAgenda,
    PrepareAgenda,
    SeriesStep,
)
from syncd.core.oneline import one_line
from syncd.reconcile import Result, Source


def _when(action: Action) -> str | None:
    match action:
        case CreateSeries():
            return action.spec.start.isoformat()
        case EndSeries():
            return action.until.isoformat()
        case PrepareAgenda() | MoveAgenda() | CancelAgenda():
            return action.section_date.isoformat()
    return None


def action_dict(action: Action) -> dict[str, Any]:
    """One action as the JSON contract shows it."""
    out: dict[str, Any] = {
        "action": action.kind,
        "person": action.person,
        "summary": action.summary,
        "series": action.series_uid or None if isinstance(action, SeriesStep) else None,
        "when": _when(action),
    }
    if isinstance(action, CreateSeries):
        out["rrule"] = action.spec.rrule
        out["duration_minutes"] = int(action.spec.duration / dt.timedelta(minutes=1))
        if action.replaces:
            out["replaces"] = action.replaces
    return out


def _failures(result: Result) -> dict[int, str]:
    """id(action) → why it failed, for an applied result."""
    return {id(a): why for a, why in result.outcome.failed} if result.outcome else {}


def result_json(result: Result) -> dict[str, Any]:
    """`{"dry_run", "read_only", "actions", "warnings", ...}`: the reconcile JSON contract."""
    failed = _failures(result)
    done = {id(a) for a in result.outcome.done} if result.outcome else set()
    actions = []
    for action in result.plan.actions:
        item = action_dict(action)
        if result.outcome is not None:
            item["status"] = ("failed" if id(action) in failed else
                              "done" if id(action) in done else "not applied")
            if id(action) in failed:
                item["error"] = failed[id(action)]
        actions.append(item)
    return {
        "dry_run": result.dry_run,
        "read_only": result.plan.read_only,
        "refused": result.refused,
        "actions": actions,
        "warnings": result.warnings,
        "info": list(result.plan.info),
        "recovered": [owned.uid for owned in result.plan.recovered],
    }


def _headline(result: Result) -> str:
    """What the run did, in counts that add up: applied, not applied, failed."""
    count = len(result.plan.actions)
    if Source.CALENDAR in result.failed:
        return "Nothing done: the calendar could not be read (see the warning below)."
    if not count:
        return "Nothing to do: the calendar and notes follow the roster."
    if result.dry_run or result.refused or result.outcome is None:
        return f"{count} action(s) syncd would take:"
    done, failed = len(result.outcome.done), len(result.outcome.failed)
    return f"{count} action(s): {done} applied, {count - done - failed} not applied, " \
           f"{failed} failed:"


def result_lines(result: Result) -> list[str]:
    """Readable lines: one per action (what, who, when), then warnings."""
    failed = _failures(result)
    lines = [_headline(result)]
    width = max((len(a.kind) for a in result.plan.actions), default=0)
    pwidth = max((len(a.person) for a in result.plan.actions), default=0)
    for action in result.plan.actions:
        line = f"  {action.kind:<{width}}  {action.person:<{pwidth}}  {action.summary}"
        if id(action) in failed:
            line += f"  [FAILED: {failed[id(action)]}]"
        elif result.plan.read_only and isinstance(action, SeriesStep):
            line += "  [read-only calendar: see syncd export]"
        lines.append(line)
    if result.refused:
        lines.append(f"refused: {result.refused}")
    lines += [f"warning: {w}" for w in result.warnings]
    lines += [f"note: {i}" for i in result.plan.info]
    lines += [f"note: {o.person}: series {o.uid} carries syncd's marker; ownership recorded"
              for o in result.plan.recovered]
    # Titles and names come from calendars: never let one start a line of its own.
    return [one_line(line) for line in lines]
