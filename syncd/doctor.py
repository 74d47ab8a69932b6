"""`syncd doctor`: a setup checked end to end, one line per check with a fix for each failure.

Nothing is written: the state is opened read-only, the notes folder is looked at, the
calendar read, the SMTP server logged in to and left without a message.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import stat
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from syncd.config import (
    CalDAVCalendarConfig,
    Config,
    ConfigError,
    FeedCalendarConfig,
    GoogleCalendarConfig,
    LocalCalendarConfig,
    MarkdownNotesConfig,
    resolve_state_dir,
)
from syncd.core.matching import participants
from syncd.core.model import Series
from syncd.core.oneline import one_line

Status = Literal["ok", "failed", "n/a"]
MARKS = {"ok": "✓", "failed": "✗", "n/a": "-"}
UNIT = "syncd.service"


@dataclass(frozen=True)
class Check:
    """One line of the doctor's answer: what was checked, how it went, how to fix it."""

    name: str
    status: Status
    detail: str
    fix: str = ""


def ok(name: str, detail: str) -> Check:
    return Check(name, "ok", detail)


def failed(name: str, detail: str, fix: str) -> Check:
    return Check(name, "failed", one_line(detail), fix)


def not_applicable(name: str, detail: str) -> Check:
    return Check(name, "n/a", detail)


def run(path: Path, environ: Mapping[str, str], now: dt.datetime | None = None) -> list[Check]:
    """Every check for the config at `path`; after an invalid config, only that one."""
    from syncd import preflight

    try:
        config = preflight.load_checked(path, environ)
    except ConfigError as exc:
        more = f" (+{len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
        return [failed("config", f"{exc.problems[0]}{more}",
                       f"run `syncd validate --config {path}` and fix each line it names")]
    moment = now or dt.datetime.now(dt.UTC)
    checks = [ok("config", f"{path} is valid ({len(config.roster.people)} people)"),
              files(path, config, environ)]
    calendar_check, read = calendar(config, environ, moment)
    checks += [calendar_check, owner(config, read), notes(config),
               state(config, environ), google_token(config, environ), smtp(config, environ),
               systemd()]
    return checks


def lines(checks: list[Check]) -> list[str]:
    """One line per check: mark, name, what was found, and the fix for a failure."""
    out = []
    for check in checks:
        fix = f" — fix: {check.fix}" if check.fix else ""
        out.append(f"{MARKS[check.status]} {check.name}: {check.detail}{fix}")
    return out


def as_json(checks: list[Check]) -> str:
    """The checks as data: {"ok": bool, "checks": [{name, status, detail, fix}]}."""
    return json.dumps({"ok": all(c.status != "failed" for c in checks),
                       "checks": [asdict(c) for c in checks]}, indent=2, ensure_ascii=False)


# --- files and folders -----------------------------------------------------------------------


def files(path: Path, config: Config, environ: Mapping[str, str]) -> Check:
    """The config, calendar, notes, state and secret files: there, no symlinks, private."""
    problems: list[tuple[str, str]] = []
    secret = isinstance(config.calendar, FeedCalendarConfig) and bool(config.calendar.url)
    _look(problems, path, "config file", "file", private=secret, must_exist=True)
    if isinstance(config.calendar, LocalCalendarConfig):
        _look(problems, config.calendar.path, "calendar folder", "dir", must_exist=True)
    elif isinstance(config.calendar, FeedCalendarConfig) and config.calendar.path is not None:
        _look(problems, config.calendar.path, "calendar file", "file", must_exist=True)
    if isinstance(config.notes, MarkdownNotesConfig):
        _look(problems, config.notes.path, "notes folder", "dir", shared=False)
        # The config's paths are resolved when it loads; the files syncd writes inside its
        # folders are where a planted link would send a write elsewhere.
        for person in config.roster.people:
            _look(problems, config.notes.path / f"{person.email}.md",
                  f"notes file of {person.email}", "file", private=True)
    state_dir = resolve_state_dir(config, environ)
    _look(problems, state_dir, "state directory", "dir", private=True)
    from syncd.google.auth import TOKEN_FILE
    from syncd.state import DB_NAME

    _look(problems, state_dir / DB_NAME, "state database", "file", private=True)
    _look(problems, state_dir / TOKEN_FILE, "Google token", "file", private=True)
    mail = config.report.email if config.report is not None else None
    caldav = config.calendar if isinstance(config.calendar, CalDAVCalendarConfig) else None
    for secret_file, what in ((config.google.client_secrets, "OAuth client file"),
                              (config.google.service_account_file, "service account key"),
                              (caldav.password_file if caldav else None, "CalDAV password file"),
                              (mail.password_file if mail else None, "SMTP password file")):
        if secret_file is not None:
            _look(problems, secret_file, what, "file", private=True, must_exist=True)
    if problems:
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        return failed("files", problems[0][0] + more, problems[0][1])
    return ok("files", "every file and folder the config names is in place and private")


def _look(problems: list[tuple[str, str]], path: Path, what: str, kind: str, *,
          private: bool = False, shared: bool = True, must_exist: bool = False) -> None:
    try:
        info = path.lstat()
    except FileNotFoundError:
        if must_exist:
            problems.append((f"the {what} {path} does not exist",
                             "create it, or correct its path in the config"))
        return
    except OSError as exc:
        problems.append((f"cannot look at the {what} {path}: {exc.strerror}",
                         f"give yourself access to {path.parent}"))
        return
    mode = stat.S_IMODE(info.st_mode)
    if stat.S_ISLNK(info.st_mode):
        problems.append((f"the {what} {path} is a symbolic link",
                         f"replace the link with the file itself: syncd never writes "
                         f"through a link (it points at {path.resolve()})"))
    elif kind == "dir" and not stat.S_ISDIR(info.st_mode):
        problems.append((f"the {what} {path} is not a folder", "point the config at a folder"))
    elif kind == "file" and not stat.S_ISREG(info.st_mode):
        problems.append((f"the {what} {path} is not a regular file",
                         "point the config at a file"))
    elif private and mode & 0o077:
        problems.append((f"the {what} {path} is open to others (mode {mode:04o})",
                         f"chmod {'700' if kind == 'dir' else '600'} {path}"))
    elif not shared and mode & 0o022:
        problems.append((f"others may write in the {what} {path} (mode {mode:04o})",
                         f"chmod go-w {path}"))


# --- calendar and owner ----------------------------------------------------------------------


@dataclass(frozen=True)
class Read:
    """What the calendar check read: the events, and whose calendar it says it is."""

    observed: tuple[Series, ...]
    owner: str | None


def calendar(config: Config, environ: Mapping[str, str],
             now: dt.datetime) -> tuple[Check, Read | None]:
    """Read the calendar as reconcile does: events counted, time taken."""
    from syncd.backends import connect_google, open_calendar
    from syncd.calendars.base import CalendarError
    from syncd.core import planner
    from syncd.google.errors import AuthError
    from syncd.state import State, StateError

    fix = {LocalCalendarConfig: "check calendar.path and its permissions",
           FeedCalendarConfig: "check the feed's address (open it in a browser) or file",
           GoogleCalendarConfig: "run `syncd auth login`, check calendar.calendar_id",
           CalDAVCalendarConfig: "check calendar.url, username and the password"}
    hint = next((v for k, v in fix.items() if isinstance(config.calendar, k)), "")
    began = time.monotonic()
    try:
        kept = State.open_readonly(resolve_state_dir(config, environ))
        try:
            source = open_calendar(config.calendar, config.roster, kept,
                                   connect_google(config))
            observed = source.read(*planner.read_window(now))
        finally:
            kept.close()
    except (CalendarError, AuthError, StateError, OSError) as exc:
        return failed("calendar", f"not readable: {exc}", hint), None
    spent = time.monotonic() - began
    said = None
    if isinstance(config.calendar, GoogleCalendarConfig):
        from syncd.calendars.google import GoogleCalendar

        said = source.owner() if isinstance(source, GoogleCalendar) else None
    name = getattr(source, "name", "the calendar")
    return (ok("calendar", f"{name}: {len(observed)} events read in {spent:.2f} s"),
            Read(observed, said))


def owner(config: Config, read: Read | None) -> Check:
    """Whose calendar it is, as its events say, against the roster's owner."""
    want = config.roster.owner.email
    if read is None:
        return not_applicable("owner", "the calendar could not be read")
    whose = read.owner
    if whose is None:
        counts: Counter[str] = Counter()
        for series in read.observed:
            counts.update(participants(series))
        if not counts:
            return not_applicable("owner", "no event names anyone: nothing to compare")
        whose = want if want in counts else counts.most_common(1)[0][0]
    if whose != want:
        return failed("owner", f"the calendar's events are {whose}'s, the roster's owner is "
                      f"{want}", f"set owner.email to {whose}, or use {want}'s calendar")
    return ok("owner", f"the calendar is {want}'s")


# --- notes and state -------------------------------------------------------------------------


def notes(config: Config) -> Check:
    """Whether the notes store can take a new note, without writing one."""
    if not isinstance(config.notes, MarkdownNotesConfig):
        return not_applicable("notes", "Google Docs: access comes with the Google token")
    folder = config.notes.path
    target = folder
    while not target.exists() and target != target.parent:
        target = target.parent
    if not os.access(target, os.W_OK | os.X_OK, effective_ids=True):
        return failed("notes", f"cannot write in {target}",
                      f"make {folder} yours: mkdir -p {folder} && chmod 700 {folder}")
    detail = f"{folder} is writable" if target == folder else \
        f"{folder} will be created in {target}"
    return ok("notes", detail)


def state(config: Config, environ: Mapping[str, str]) -> Check:
    """The state database opens (read-only) with a schema this syncd knows."""
    from syncd.state import DB_NAME, MIGRATIONS, State, StateError

    directory = resolve_state_dir(config, environ)
    if not (directory / DB_NAME).exists():
        return ok("state", f"no database in {directory} yet: the first run creates it")
    try:
        State.open_readonly(directory).close()
    except StateError as exc:
        return failed("state", str(exc), "upgrade syncd, or move the database aside and run "
                      "`syncd reconcile` (syncd rebuilds ownership from its markers)")
    return ok("state", f"{directory / DB_NAME} opens, schema version {len(MIGRATIONS)}")


# --- Google, SMTP, systemd -------------------------------------------------------------------


def google_token(config: Config, environ: Mapping[str, str]) -> Check:
    """The OAuth token: there, refreshable, with exactly the scopes the config needs."""
    if not config.uses_google:
        return not_applicable("google", "neither the calendar nor the notes use Google")
    if config.google.credentials != "oauth":
        return not_applicable("google", f"credentials: {config.google.credentials}")
    from syncd.google import auth

    directory = resolve_state_dir(config, environ)
    path = auth.token_path(directory)
    try:
        auth.credentials(config, directory)
    except auth.AuthError as exc:
        return failed("google", str(exc), "run `syncd auth login`")
    granted = json.loads(path.read_text()).get("scopes") or []
    granted = granted.split() if isinstance(granted, str) else list(granted)
    extra = sorted(set(granted) - set(auth.login_scopes(config)))
    if extra:
        return failed("google", f"the token grants more than syncd needs: {', '.join(extra)}",
                      "revoke it (docs/google-setup.md#revoking) and run `syncd auth login`")
    return ok("google", f"token {path} refreshes, scopes: {', '.join(sorted(granted))}")


def smtp(config: Config, environ: Mapping[str, str]) -> Check:
    """The report's SMTP server takes the connection and the login (nothing sent)."""
    mail = config.report.email if config.report is not None else None
    if mail is None:
        return not_applicable("smtp", "no report.email in the config")
    from syncd.report.mail import MailError, check_login

    try:
        check_login(mail, environ, timeout=10)
    except MailError as exc:
        return failed("smtp", str(exc), "check report.email host, port, security, user and "
                      "its password (docs/report.md#email)")
    who = f" as {mail.user}" if mail.user else ""
    return ok("smtp", f"{mail.host}:{mail.server_port} accepts the connection{who}")


Runner = Callable[[list[str]], "subprocess.CompletedProcess[str]"]


def systemd(which: Callable[[str], str | None] = shutil.which,
            runner: Runner | None = None) -> Check:
    """The service unit: installed, enabled, active, and its last cycle's STATUS."""
    systemctl = which("systemctl")
    if systemctl is None:
        return not_applicable("systemd", "no systemctl on this machine")
    scope = [] if os.geteuid() == 0 else ["--user"]
    run_ = runner or (lambda args: subprocess.run(args, capture_output=True, text=True,
                                                  timeout=10, check=False))
    answer = run_([systemctl, *scope, "show", UNIT, "--property",
                   "LoadState,UnitFileState,ActiveState,StatusText"])
    if answer.returncode != 0:
        why = one_line(answer.stderr.strip() or f"exit {answer.returncode}")
        return not_applicable("systemd", f"systemd cannot be asked here ({why})")
    return unit_check(answer.stdout, " ".join(["systemctl", *scope]))


def unit_check(shown: str, systemctl: str) -> Check:
    """The systemd check from `systemctl show`'s KEY=VALUE lines."""
    props = dict(line.partition("=")[::2] for line in shown.splitlines() if "=" in line)
    if props.get("LoadState") != "loaded":
        return failed("systemd", f"{UNIT} is not installed",
                      "copy systemd/user/syncd.service to ~/.config/systemd/user/ and run "
                      f"`{systemctl} daemon-reload` (docs/operations.md)")
    if props.get("UnitFileState") != "enabled":
        return failed("systemd", f"{UNIT} is not enabled",
                      f"{systemctl} enable --now {UNIT}")
    if props.get("ActiveState") != "active":
        return failed("systemd", f"{UNIT} is {props.get('ActiveState', 'not running')}",
                      f"{systemctl} start {UNIT}; see `journalctl -u {UNIT}`")
    status = props.get("StatusText") or "no status yet"
    return ok("systemd", f"{UNIT} enabled and active; last cycle: {one_line(status)}")
