"""Checks made before a command reads or writes anything: where a feed file may be read
from, secret files that only their owner may read, and private modes on syncd's files.

syncd.config checks what the config says; this module checks what it points at on this
machine, which can change between two runs while the config stays the same.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Mapping
from pathlib import Path

from syncd.config import (
    Config,
    ConfigError,
    FeedCalendarConfig,
    MarkdownNotesConfig,
    load_config,
    resolve_state_dir,
)
from syncd.redact import install_redactor

log = logging.getLogger(__name__)

# Kernel and device trees: their "files" are a process's environment (which may hold the
# SMTP password), endless streams or devices, never a calendar someone exported.
_SYSTEM_TREES = (Path("/proc"), Path("/sys"), Path("/dev"))
REPORTS = "reports"  # the state dir's folder for reports that could not be sent


class PreflightError(Exception):
    """A private file or folder of syncd's cannot be made private; the message says which."""


def load_checked(path: Path, environ: Mapping[str, str]) -> Config:
    """The config at `path`, checked in itself and against this machine (its feed file),
    with its private feed URL registered with the log redactor.

    Raises ConfigError listing every problem, as load_config does.
    """
    config = load_config(path)
    if problems := feed_problems(config, environ):
        raise ConfigError(problems)
    if isinstance(config.calendar, FeedCalendarConfig) and config.calendar.url:
        # A private feed URL carries a secret: no log line may show it.
        install_redactor().add(config.calendar.url)
    return config


def feed_problems(config: Config, environ: Mapping[str, str]) -> list[str]:
    """Why the config's feed file may not be read, as "FILE:LINE: calendar.path: message".

    A feed file must be a regular file outside the kernel's trees, not directly in the
    state directory (the database and the Google token live there) and not one of the
    secret files the config names: a parse error quotes a line of the file it read.
    """
    if not isinstance(config.calendar, FeedCalendarConfig) or config.calendar.path is None:
        return []
    path = config.calendar.path
    why = _feed_refusal(path.resolve(), config, environ)
    if why is None:
        return []
    return [f"{config.source}:{config.lines.of(('calendar', 'path'))}: calendar.path: {why}"]


def _feed_refusal(target: Path, config: Config, environ: Mapping[str, str]) -> str | None:
    if any(target.is_relative_to(tree) for tree in _SYSTEM_TREES):
        return f"{target} is a system file, not a calendar feed"
    state_dir = resolve_state_dir(config, environ).resolve()
    if target.parent == state_dir:
        return (f"{target} is in the state directory {state_dir}, beside syncd's database "
                "and Google token; keep the feed in a folder of its own")
    if target in _secret_files(config):
        return f"{target} is a secret file named elsewhere in the config, not a calendar feed"
    try:
        mode = target.stat().st_mode
    except OSError:
        return None  # a missing feed is a read failure at run time, like an unreachable URL
    if not stat.S_ISREG(mode):
        return f"{target} is not a regular file (a folder, FIFO, socket or device)"
    return None


def _secret_files(config: Config) -> set[Path]:
    mail = config.report.email if config.report is not None else None
    named = (config.google.service_account_file, config.google.client_secrets,
             mail.password_file if mail is not None else None)
    return {path.resolve() for path in named if path is not None}


def exposed(path: Path, what: str, remedy: str) -> str | None:
    """Why the secret file `path` must not be used when others than its owner may read or
    write it (someone may have copied it, and a chmod cannot undo that); None when private.

    Raises OSError when the file cannot be looked at.
    """
    mode = path.stat().st_mode
    if not mode & (stat.S_IRWXG | stat.S_IRWXO):
        return None
    return (f"{path}: the {what} is readable by others (mode {stat.S_IMODE(mode):04o}); run "
            f"`chmod 600 {path}` and, if others could have read it, {remedy}")


def tighten(config: Config, environ: Mapping[str, str]) -> None:
    """Take back from others syncd's private files, logging a warning for each change: the
    state directory and its reports folder (0700), saved reports and the roster's Markdown
    notes files (0600). For writing commands: read-only ones never change a file.

    Raises PreflightError when one of them cannot be changed (it belongs to someone else).
    """
    state_dir = resolve_state_dir(config, environ)
    _restrict(state_dir, 0o700, "state directory")
    reports = state_dir / REPORTS
    _restrict(reports, 0o700, "reports folder")
    if reports.is_dir() and not reports.is_symlink():
        for saved in sorted(reports.iterdir()):
            _restrict(saved, 0o600, "saved report")
    if isinstance(config.notes, MarkdownNotesConfig):
        for person in config.roster.people:
            _restrict(config.notes.path / f"{person.email}.md", 0o600,
                      f"notes file of {person.email}")


def _restrict(path: Path, mode: int, what: str) -> None:
    """Set `path` to `mode` if it allows more; a missing path or a symlink is left alone
    (chmod would follow the link to a file syncd does not manage)."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise PreflightError(f"cannot look at the {what} {path}: {exc.strerror}") from None
    if stat.S_ISLNK(info.st_mode) or not stat.S_IMODE(info.st_mode) & ~mode:
        return
    try:
        os.chmod(path, mode)
    except OSError as exc:
        raise PreflightError(f"the {what} {path} is open to others (mode "
                             f"{stat.S_IMODE(info.st_mode):04o}) and cannot be made "
                             f"{mode:04o}: {exc.strerror}") from None
    log.warning("%s %s was open to others (mode %04o); now %04o", what, path,
                stat.S_IMODE(info.st_mode), mode)
