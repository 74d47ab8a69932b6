"""Read and check the YAML config: owner, zone, backends and the roster of 1:1s.

`load_config` only reads. Every problem it finds is reported at once, each
naming the file, the line and the field, so a person can fix the whole file in
one pass instead of one error per run.

The package, in the order a file goes through it: `lines` reads the file and maps
each key to its line; `fields` parses single values; `schema` is the file's shape
(the models the rest of syncd receives); `problems` turns pydantic's errors into
"FILE:LINE: FIELD: message"; `checks` applies the rules that span fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from syncd.config.checks import cross_checks
from syncd.config.fields import is_loopback
from syncd.config.lines import Lines, parse, read
from syncd.config.problems import Abort, ConfigError, format_problem, from_validation
from syncd.config.schema import (
    Backend,
    CalendarConfig,
    Config,
    EmailConfig,
    FeedCalendarConfig,
    GoogleBackend,
    GoogleCalendarConfig,
    GoogleDocsNotesConfig,
    GoogleSettings,
    LocalCalendarConfig,
    MarkdownNotesConfig,
    NotesConfig,
    ReportConfig,
)

__all__ = [
    "Backend", "CalendarConfig", "Config", "ConfigError", "EmailConfig", "FeedCalendarConfig",
    "GoogleBackend", "GoogleCalendarConfig", "GoogleDocsNotesConfig", "GoogleSettings",
    "Lines", "LocalCalendarConfig", "MarkdownNotesConfig", "NotesConfig", "ReportConfig",
    "is_loopback", "load_config", "resolve_state_dir",
]


def load_config(path: Path) -> Config:
    """Read and check the config at `path`; never writes anything.

    Raises ConfigError listing every problem found, sorted by line, each as
    "FILE:LINE: FIELD: message" with FILE the path as given.
    """
    try:
        data, lines, problems = parse(read(path))
    except Abort as abort:
        raise ConfigError([format_problem(path, abort.problem)]) from None
    assert isinstance(data, dict)
    config = None
    try:
        # Relative paths in the file are taken from its folder.
        config = Config.model_validate(data, context={"base": path.parent})
    except ValidationError as exc:
        problems += from_validation(exc, lines)
    problems += cross_checks(data, lines)
    if problems or config is None:
        ordered = sorted(problems, key=lambda p: p.line or 0)
        raise ConfigError([format_problem(path, p) for p in ordered])
    return config.located(path, lines)


def resolve_state_dir(config: Config, environ: Mapping[str, str]) -> Path:
    """Where syncd keeps its state: the config's state_dir, else $STATE_DIRECTORY
    (systemd; the first of several colon-separated paths), else
    $XDG_STATE_HOME/syncd, else ~/.local/state/syncd. Empty variables count as unset.
    """
    if config.state_dir is not None:
        return config.state_dir
    systemd = [p for p in environ.get("STATE_DIRECTORY", "").split(":") if p]
    if systemd:
        return Path(systemd[0])
    xdg = environ.get("XDG_STATE_HOME", "")
    # The XDG spec says to ignore relative paths in these variables.
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "syncd"
    home = Path(environ["HOME"]) if environ.get("HOME") else Path.home()
    return home / ".local" / "state" / "syncd"
