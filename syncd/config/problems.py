"""Problems with a config: each names the line and the field, in words a person
reads (pydantic's own messages are translated here).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from syncd.config.fields import kind_of
from syncd.config.schema import KINDS, Backend, Section, backend_of, kind_problem

if TYPE_CHECKING:
    from syncd.config.lines import Lines

Key = str | int
NodePath = tuple[Key, ...]


@dataclass
class Problem:
    """One thing wrong with the file, and where."""

    line: int | None
    where: str  # field name, or "" for problems with the whole file
    message: str


class Abort(Exception):
    """The file cannot be checked further; carries the one problem that says why."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem




def field_name(path: NodePath) -> str:
    """A path as a person names the field: people[0].slot.day."""
    out = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out




# --- pydantic errors → problems ---------------------------------------------

_MESSAGES = {
    "missing": "required",
    "extra_forbidden": "unknown key",
    "string_type": "must be text",
    "int_type": "must be a whole number",
    "bool_type": "must be true or false",
    "list_type": "must be a list",
    "model_type": "must be a mapping of keys",
    "dict_type": "must be a mapping of keys",
    "model_attributes_type": "must be a mapping of keys",
    "greater_than_equal": "must be at least {ge}",
}


def from_validation(exc: ValidationError, lines: Lines) -> list[Problem]:
    """pydantic's errors in a person's words, each with its line."""
    problems = []
    for error in exc.errors(include_url=False):
        if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
            explained = _no_kind(tuple(error["loc"]), error["input"])
        else:
            explained = [_explain(error)]
        problems += [Problem(lines.of(path), where, message)
                     for path, where, message in explained]
    return problems


def _no_kind(path: NodePath, raw: object) -> list[tuple[NodePath, str, str]]:
    """A backend section whose kind selects no backend: why, and the keys no kind has."""
    section = str(path[-1])
    key, message = kind_problem(section, raw)
    out = [((*path, key), field_name((*path, key)), message)]
    for name, value in raw.items() if isinstance(raw, dict) else ():
        if name == "kind" or value is None:
            continue
        # Each value is still checked against what the kinds that have the key expect.
        known = any(name in model.model_fields for model in KINDS[section])
        wrong = _value_problem(section, name, value) if known else "unknown key"
        if wrong is not None:
            out.append(((*path, name), field_name((*path, name)), wrong))
    return out


def _value_problem(section: str, key: str, value: object) -> str | None:
    """What is wrong with `value` as the first kind of `section` with `key` declares it;
    None when nothing is."""
    model = next(m for m in KINDS[section] if key in m.model_fields)
    info = model.model_fields[key]
    adapter: TypeAdapter[object] = TypeAdapter(info.rebuild_annotation(),
                                               config=Section.model_config)
    try:
        adapter.validate_python(value, context={})
    except ValidationError as exc:
        return _message(exc.errors(include_url=False)[0])
    return None


def _explain(error: ErrorDetails) -> tuple[NodePath, str, str]:
    """Where in the file one pydantic error is, the field's name, and the message."""
    path, backend = _without_kind(tuple(error["loc"]))
    kind = error["type"]
    if kind == "invalid_key":
        return path, field_name(path[:-1]) or "(top level)", \
            f"key {error['input']!r} must be text"
    if backend is not None and kind == "missing":
        return path, field_name(path), f"required for kind {backend.kind_name()!r}"
    if backend is not None and kind == "extra_forbidden":
        # A key of another kind of the same section: what is wrong with its value, else
        # whose key it is.
        owners = [m.kind_name() for m in KINDS[str(path[0])] if path[-1] in m.model_fields]
        if owners and (wrong := _value_problem(str(path[0]), str(path[-1]), error["input"])):
            return path, field_name(path), wrong
        if owners:
            return path, field_name(path), (f"only for kind {' or '.join(map(repr, owners))}, "
                                            f"not {backend.kind_name()!r}")
    return path, field_name(path), _message(error)


def _message(error: ErrorDetails) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", error["msg"]))
    if kind == "literal_error":
        return f"must be one of: {ctx.get('expected', '')}".replace("'", "")
    if error["input"] is None and kind != "missing":
        return "must not be empty"
    if kind in _MESSAGES:
        message = _MESSAGES[kind].format(**ctx)
        if kind.endswith("_type") and "mapping" not in message:
            message += f", not {kind_of(error['input'])}"
        return message
    return error["msg"][:1].lower() + error["msg"][1:]


def _without_kind(loc: NodePath) -> tuple[NodePath, type[Backend] | None]:
    """The path in the file of an error inside a backend section (pydantic puts the
    selected kind into it), and that backend's model."""
    if len(loc) > 1 and isinstance(loc[0], str) and loc[0] in KINDS:
        backend = backend_of(loc[0], loc[1])
        if backend is not None:
            return (loc[0], *loc[2:]), backend
    return loc, None


class ConfigError(Exception):
    """The config cannot be used; `problems` holds one "FILE:LINE: FIELD: message" each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def format_problem(path: Path, problem: Problem) -> str:
    """FILE:LINE: FIELD: message, with FILE as given."""
    parts = [str(path)]
    if problem.line is not None:
        parts.append(str(problem.line))
    if problem.where:
        parts.append(f" {problem.where}")
    return ":".join(parts) + f": {problem.message}"
