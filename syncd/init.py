"""`syncd init`: read a calendar with reconcile's own readers, find the owner's 1:1s
(`core/discover.py`) and write them as a complete, commented config.

The config's words are the roster's own (docs/configuration.md): the cadences
`parse_cadence` reads, `slot: {day, time, week}`, durations like `45m`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from syncd.backends import connect_google, open_calendar
from syncd.config import (
    CalendarConfig,
    Config,
    FeedCalendarConfig,
    GoogleCalendarConfig,
    GoogleDocsNotesConfig,
    LocalCalendarConfig,
    resolve_state_dir,
)
from syncd.config.fields import DEFAULT_FEED_MAX_BYTES, DEFAULT_FEED_TIMEOUT, Email, Zone
from syncd.core import discover, planner
from syncd.core.model import MAX_CHANGES, WORK_END, WORK_START, Owner, Roster, Series
from syncd.core.oneline import one_line
from syncd.redact import redact_url

# How far back one-off and ended meetings are looked for (a year of history).
LOOKBACK = dt.timedelta(days=366)
NOTES_DIR = "~/.local/share/syncd/notes"
STATE_DIR = "~/.local/state/syncd"
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class InitError(Exception):
    """init cannot go on: the message is one line for the person (a usage problem, exit 2)."""


@dataclass(frozen=True)
class Source:
    """Where init reads from: the calendar config it stands for, and how to say it."""

    calendar: CalendarConfig
    label: str  # for the config's first comment; a feed URL shows only its host
    google: Config | None = None  # the signed-in config, for `google`


def checked(value: str, kind: type[Email] | type[Zone], option: str) -> str:
    """`--owner` or `--timezone` as the config would read it; InitError with its message."""
    try:
        return str(TypeAdapter(kind).validate_python(value))
    except ValidationError as exc:
        reason = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        raise InitError(f"{option} {value}: {reason}") from None


def source_of(text: str, google: Config | None = None) -> Source:
    """The calendar `--from` names: a folder, an .ics file, an http(s)/webcal feed, or
    `google` (with the config `syncd auth login` signed in with). Raises InitError."""
    value = text.strip()
    if value.lower() == "google":
        if google is None or not isinstance(google.calendar, GoogleCalendarConfig):
            raise InitError("--from google needs --config naming the config you ran "
                            "`syncd auth login` with, its calendar of kind google "
                            "(docs/google-setup.md)")
        return Source(google.calendar, f"Google calendar {google.calendar.calendar_id}",
                      google)
    if value.lower().startswith(("http://", "https://", "webcal://")):
        feed = FeedCalendarConfig.model_construct(
            kind="ics", url=value, path=None, timeout=DEFAULT_FEED_TIMEOUT,
            max_bytes=DEFAULT_FEED_MAX_BYTES)
        return Source(feed, f"the feed {redact_url(value)}")
    path = Path(value).expanduser()
    if path.is_dir():
        return Source(LocalCalendarConfig.model_construct(kind="local", path=path.resolve()),
                      f"the calendar folder {path.resolve()}")
    if path.is_file():
        feed = FeedCalendarConfig.model_construct(
            kind="ics", url=None, path=path.resolve(), timeout=DEFAULT_FEED_TIMEOUT,
            max_bytes=DEFAULT_FEED_MAX_BYTES)
        return Source(feed, f"the calendar file {path.resolve()}")
    raise InitError(f"--from {value}: no such folder or file (give a calendar folder, an "
                    ".ics file, an https:// or webcal:// feed, or google)")


def read(source: Source, owner: str, timezone: str, now: dt.datetime) -> tuple[Series, ...]:
    """Every event of the calendar naming someone besides the owner, a year back and the
    planner's horizon ahead. Raises CalendarError (or AuthError for Google)."""
    roster = Roster(Owner("", owner), timezone, ())
    api = connect_google(source.google) if source.google is not None else None
    calendar = open_calendar(source.calendar, roster, None, api, everyone=True)
    _, end = planner.read_window(now)
    return calendar.read(now - LOOKBACK, end)


def config_text(found: discover.Discovery, source: Source, owner: str, now: dt.datetime,
                environ: Mapping[str, str]) -> str:
    """The whole config file, with a comment on every line a person should check."""
    lines = [
        f"# syncd configuration written by `syncd init` on {now.date().isoformat()} from "
        f"{source.label}.",
        *_summary(found),
        "# A line ending in `# check: …` is a guess: read it, change it if it is wrong.",
        "# Then: `syncd validate`, `syncd doctor`, `syncd reconcile --dry-run` (shows what",
        "# syncd would do, writes nothing), `syncd reconcile`. Every key: docs/configuration.md",
        "",
        "# You: the person whose calendar syncd manages (your name goes in new 1:1 titles).",
        _line(f"owner: {{name: {_q(found.owner_name or _default_name(owner))}, "
              f"email: {_q(owner)}}}",
              "" if found.owner_name else "your name as guests should read it"),
        "",
        "# The zone your 1:1 slots are in; they keep their local time across DST.",
        _line(f"timezone: {_q(found.timezone)}", found.timezone_check),
    ]
    if (found.work_start, found.work_end) != (WORK_START, WORK_END):
        lines += ["", "# Widened from 08:00-18:00 so that every 1:1 below fits.",
                  f"working_hours: {{start: {_q(_hm(found.work_start))}, "
                  f"end: {_q(_hm(found.work_end))}}}"]
    # The first run adopts each 1:1 and links its notes: two calendar writes a person.
    first_run = 2 * len(found.people)
    if first_run > MAX_CHANGES:
        lines += ["", f"# The first run adopts {len(found.people)} 1:1s and links their notes "
                  f"({first_run} writes); the default",
                  f"# safety limit ({MAX_CHANGES}) would refuse it. Lower this again once it "
                  "has run.",
                  f"max_changes: {first_run}"]
    lines += ["", *_backends(source, environ), "", *_people(found)]
    return "\n".join(lines) + "\n"


def _summary(found: discover.Discovery) -> list[str]:
    out = [f"# Found {_count(len(found.people), 'recurring 1:1')} with you and one other "
           "person" + (f", and {_count(len(found.ended), 'ended one')} (commented out)"
                       if found.ended else "") + "."]
    if found.likely_owner:
        out.append(f"# check: no event names you; most name {found.likely_owner}: is that "
                   "your address? (run init again with --owner)")
    out.append(f"# Left out: {_count(found.one_offs, 'one-off two-person meeting')}, "
               f"{_count(found.groups, 'group meeting')}"
               + (f", {_count(found.unreadable, 'event')} whose dates could not be read"
                  if found.unreadable else "") + ".")
    return out


def _backends(source: Source, environ: Mapping[str, str]) -> list[str]:
    calendar = source.calendar
    signed_in = source.google
    if isinstance(calendar, GoogleCalendarConfig) and signed_in is not None:
        endpoint = f", api_endpoint: {_q(calendar.api_endpoint)}" if calendar.api_endpoint \
            else ""
        lines = ["# Your Google calendar: syncd adopts the 1:1s below and writes only those.",
                 f"calendar: {{kind: google, calendar_id: {_q(calendar.calendar_id)}{endpoint}}}",
                 ""]
        if isinstance(signed_in.notes, GoogleDocsNotesConfig):
            notes = signed_in.notes
            extra = "".join([
                f", folder_id: {_q(notes.folder_id)}" if notes.folder_id else "",
                "" if notes.attach else ", attach: false",
                f", api_endpoint: {_q(notes.api_endpoint)}" if notes.api_endpoint else ""])
            lines += ["# Private notes: one Google Doc per person, shared with nobody.",
                      f"notes: {{kind: google-docs{extra}}}"]
        else:
            lines += _markdown_notes()
        settings = signed_in.google
        parts = [f"credentials: {settings.credentials}"]
        for key in ("client_secrets", "service_account_file", "subject", "token_uri"):
            value = getattr(settings, key)
            if value is not None:
                parts.append(f"{key}: {_q(str(value))}")
        lines += ["", "# How syncd signs in (the token `syncd auth login` stored is in state_dir).",
                  f"google: {{{', '.join(parts)}}}",
                  "", "# What syncd remembers between runs, and your Google token.",
                  f"state_dir: {_q(str(resolve_state_dir(signed_in, environ)))}"]
        return lines
    if isinstance(calendar, FeedCalendarConfig) and calendar.url:
        lines = ["# Your calendar's feed (read-only: syncd creates nothing in it; see",
                 "# `syncd export`). Its address is a password: keep this file private.",
                 f"calendar: {{kind: ics, url: {_q(calendar.url)}}}"]
    elif isinstance(calendar, FeedCalendarConfig):
        lines = ["# Your calendar as an .ics file (read-only: syncd creates nothing in it).",
                 f"calendar: {{kind: ics, path: {_q(str(calendar.path))}}}"]
    else:
        assert isinstance(calendar, LocalCalendarConfig)
        lines = ["# Your calendar folder (.ics files): syncd adopts the 1:1s below and writes",
                 "# only those, and the series it creates.",
                 f"calendar: {{kind: local, path: {_q(str(calendar.path))}}}"]
    return [*lines, "", *_markdown_notes(), "",
            "# What syncd remembers between runs (which series it owns, which notes it wrote).",
            f"state_dir: {_q(STATE_DIR)}"]


def _markdown_notes() -> list[str]:
    return ["# Private notes: one Markdown file per person (mode 0600), in this folder.",
            f"notes: {{kind: markdown, path: {_q(NOTES_DIR)}}}"]


def _people(found: discover.Discovery) -> list[str]:
    if not found.people and not found.ended:
        return ["# No recurring 1:1 found: add one entry per person (docs/configuration.md).",
                "people: []"]
    lines = ["# One entry per 1:1, as the calendar holds it today.",
             "people:" if found.people else "people: []"]
    for entry in found.people:
        lines += _entry(entry, comment=bool(entry.refused))
    for entry in found.ended:
        lines += _entry(entry, comment=True)
    return lines


def _entry(entry: discover.Entry, *, comment: bool) -> list[str]:
    checks = dict(entry.checks)
    why = entry.refused or (
        f"series ended on {entry.ended.isoformat()}, last held "
        f"{entry.last_held.isoformat() if entry.last_held else 'never'}"
        if entry.ended is not None else "")
    slot = f"{{day: {_DAYS[entry.slot.day]}, time: {_q(_hm(entry.slot.time))}"
    if entry.slot.week is not None:
        slot += f", week: {'last' if entry.slot.week == -1 else entry.slot.week}"
    slot += "}"
    body = [
        _line(f"- name: {_q(entry.name)}", checks.pop("name", "")),
        f"  email: {_q(entry.email)}",
        _line(f"  cadence: {_q(entry.cadence)}", checks.pop("cadence", "")),
        _line(f"  slot: {slot}", checks.pop("slot", "")),
        _line(f"  duration: {_duration(entry.duration)}", checks.pop("duration", "")),
        _line(f"  start: {entry.start.isoformat()}", checks.pop("start", "")),
    ]
    if entry.role != "report" or "role" in checks:
        body.append(_line(f"  role: {entry.role}", checks.pop("role", "")))
    # Titles are the calendar's text: on one line, no control or bidi characters.
    head = [f"  # from {_q(one_line(entry.summary))}"]
    head += [f"  # check: {one_line(text)}" for text in checks.values()]
    if comment:
        return [f"  # {why}:", *[f"  # {line}" for line in body]]
    return [*head, *[f"  {line}" for line in body]]


def _line(text: str, check: str) -> str:
    return f"{text}  # check: {one_line(check)}" if check else text


def _q(text: str) -> str:
    """A YAML double-quoted scalar (a JSON string is one)."""
    return json.dumps(text, ensure_ascii=False)


def _hm(time: dt.time) -> str:
    return time.strftime("%H:%M")


def _duration(length: dt.timedelta) -> str:
    minutes = int(length.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours}h{rest}m"
    return f"{hours}h" if hours else f"{rest}m"


def _count(number: int, what: str) -> str:
    return f"{number} {what}{'' if number == 1 else 's'}"


def _default_name(email: str) -> str:
    local = email.split("@")[0]
    return " ".join(w.capitalize() for w in local.replace("_", ".").split(".") if w) or email


def write_new(path: Path, text: str) -> None:
    """Write `text` to `path`, which must not exist (not even as a dangling link), mode 0600:
    it may hold a private feed address. Raises FileExistsError, OSError."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())

