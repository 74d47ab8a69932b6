"""The config's field types: each parser raises ValueError with the message a person sees,
and every default a config field has.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import PlainValidator, ValidationInfo

from syncd.calendars.base import FEED_MAX_BYTES, FEED_TIMEOUT
from syncd.core.cadence import parse_cadence
from syncd.core.model import MAX_CHANGES, WORK_END, WORK_START, Cadence
from syncd.redact import redact_url

# --- defaults: every value a config field has when the file does not set it --------

DEFAULT_CADENCE = "monthly"
DEFAULT_DURATION = dt.timedelta(minutes=45)
DEFAULT_WORK_START = WORK_START  # the roster's own defaults (core/model.py)
DEFAULT_WORK_END = WORK_END
DEFAULT_MAX_CHANGES = MAX_CHANGES
DEFAULT_FEED_TIMEOUT = FEED_TIMEOUT  # the feed reader's own defaults (calendars/base.py)
DEFAULT_FEED_MAX_BYTES = FEED_MAX_BYTES
DEFAULT_CALENDAR_ID = "primary"
DEFAULT_PORTS: dict[str, int] = {"starttls": 587, "ssl": 465, "none": 25}
DEFAULT_MAKEUP_WITHIN = dt.timedelta(days=5)  # makeups.within

_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_DURATION = re.compile(r"(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?", re.IGNORECASE)
_MAX_DURATION = dt.timedelta(hours=8)
_SPAN = re.compile(r"(\d+)\s*([hdw])", re.IGNORECASE)
_SPAN_UNITS = {"h": dt.timedelta(hours=1), "d": dt.timedelta(days=1), "w": dt.timedelta(weeks=1)}
_MAX_SPAN = dt.timedelta(weeks=8)
_FEED_SCHEMES = ("http", "https", "webcal")

GoogleCredentials = Literal["oauth", "service-account", "anonymous"]
Security = Literal["starttls", "ssl", "none"]
DEFAULT_CREDENTIALS: GoogleCredentials = "oauth"
DEFAULT_SECURITY: Security = "starttls"


def _text(value: object) -> str:
    if value is None:
        raise ValueError("must not be empty")
    if not isinstance(value, str):
        raise ValueError(f"must be text, not {kind_of(value)}")
    return value


def non_empty(value: object) -> str:
    """`value` as text without surrounding blanks; raises ValueError when there is none."""
    text = _text(value).strip()
    if not text:
        raise ValueError("must not be empty")
    return text


def _email(value: object) -> str:
    text = _text(value).strip()
    if text.lower().startswith("mailto:"):
        raise ValueError("not a valid email address (drop the 'mailto:' prefix)")
    local, at, domain = text.partition("@")
    labels = domain.split(".")
    if (
        not at
        or not local
        or "@" in domain
        or any(c.isspace() for c in text)
        or len(labels) < 2
        or not all(labels)
    ):
        raise ValueError("not a valid email address")
    return text.lower()


def _timezone(value: object) -> str:
    name = _text(value)
    try:
        ZoneInfo(name)
    # OSError: a folder of the zone database ("Europe") is not a zone.
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown timezone {name!r}") from None
    return name


def _time(value: object) -> dt.time:
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 10:00 as base-60 number 600.
        hint = f" (unquoted {value // 60}:{value % 60:02d} reads as the number {value})"
        raise ValueError('time must be quoted "HH:MM"' + hint)
    text = _text(value).strip()
    match = _TIME.fullmatch(text)
    if match is None:
        raise ValueError(f"not a valid time {text!r} (use HH:MM, 00:00 to 23:59)")
    return dt.time(int(match.group(1)), int(match.group(2)))


def _day(value: object) -> int:
    word = value.strip().lower() if isinstance(value, str) else ""
    for index, name in enumerate(_DAY_NAMES):
        if word in (name, name[:3]):
            return index
    raise ValueError(f"unknown day {value!r} (mon, tue, wed, thu, fri, sat, sun)")


def _week(value: object) -> int:
    if isinstance(value, str) and value.strip().lower() == "last":
        return -1
    if value == 5 and not isinstance(value, bool):
        raise ValueError("use 'last' (a 5th weekday does not occur every month)")
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 4:
        return value
    raise ValueError(f"week must be 1, 2, 3, 4 or 'last', not {value!r}")


def _duration(value: object) -> dt.timedelta:
    if isinstance(value, int) and not isinstance(value, bool):
        minutes = value
    else:
        text = _text(value).strip()
        match = _DURATION.fullmatch(text)
        if text.isdigit():
            minutes = int(text)
        elif match is None or not any(match.groups()):
            raise ValueError(f"not a valid duration {text!r} (use e.g. 45m, 1h, 1h30m)")
        else:
            minutes = int(match.group(1) or 0) * 60 + int(match.group(2) or 0)
    length = dt.timedelta(minutes=minutes)
    if not dt.timedelta(0) < length <= _MAX_DURATION:
        raise ValueError("duration must be more than 0 and at most 8h")
    return length


def _span(value: object) -> dt.timedelta:
    text = _text(value).strip()
    match = _SPAN.fullmatch(text)
    if match is None:
        raise ValueError(f"not a valid span {text!r} (use e.g. 36h, 5d, 2w)")
    length = int(match.group(1)) * _SPAN_UNITS[match.group(2).lower()]
    if not dt.timedelta(0) < length <= _MAX_SPAN:
        raise ValueError("span must be more than 0 and at most 8w")
    return length


_PHASE_SPAN = re.compile(r"(\d+)\s*(w|weeks?|d|days?)", re.IGNORECASE)


def _phase_span(value: object) -> dt.timedelta:
    """How long a cadence phase lasts, in days or weeks: 8w, 56d."""
    text = _text(value).strip()
    match = _PHASE_SPAN.fullmatch(text)
    if match is None:
        raise ValueError(f"not a valid span {text!r} (use e.g. 8w or 60d)")
    count = int(match.group(1))
    span = dt.timedelta(weeks=count) if match.group(2).lower().startswith("w") \
        else dt.timedelta(days=count)
    if not dt.timedelta(0) < span <= dt.timedelta(weeks=520):
        raise ValueError("must be more than 0 and at most 520w")
    return span


def _date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        raise ValueError("must be a date (YYYY-MM-DD), without a time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"not a valid date {value!r} (use YYYY-MM-DD)")


def _cadence(value: object) -> Cadence:
    return parse_cadence(_text(value))


DEFAULT_CADENCE_RULE = parse_cadence(DEFAULT_CADENCE)


def _seconds(value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    raise ValueError(f"must be a number of seconds more than 0, not {kind_of(value)}")


def _byte_count(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    raise ValueError(f"must be a whole number of bytes more than 0, not {kind_of(value)}")


def _feed_url(value: object) -> str:
    text = non_empty(value)
    scheme, sep, rest = text.partition("://")
    if not sep or scheme.lower() not in _FEED_SCHEMES:
        raise ValueError("only http(s) and webcal URLs are accepted; use path: for a local file")
    if not rest or rest.startswith(("/", "?", "#")):
        raise ValueError(f"URL has no host: {redact_url(text)}")
    return text


def _endpoint(value: object) -> str:
    text = non_empty(value)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {text!r}")
    if parts.scheme == "http" and not is_loopback(text):
        raise ValueError("plain http is only accepted on 127.0.0.1, ::1 or localhost")
    return text.rstrip("/")


def _caldav_url(value: object) -> str:
    text = non_empty(value)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("a CalDAV server is reached over https")
    if parts.scheme == "http" and not is_loopback(text):
        raise ValueError("plain http would send the password in clear; use https "
                         "(plain http is only accepted on 127.0.0.1, ::1 or localhost)")
    return text


def is_loopback(url: str) -> bool:
    """True for an address on this machine (an emulator, never Google)."""
    host = urlsplit(url).hostname or ""
    return host in ("127.0.0.1", "::1", "localhost")


def _pattern(value: object) -> str:
    text = non_empty(value)
    try:
        re.compile(text, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    return text


def _port(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535:
        return value
    raise ValueError(f"must be a port number from 1 to 65535, not {kind_of(value)}")


def _env_name(value: object) -> str:
    text = non_empty(value)
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text) is None:
        raise ValueError(f"not an environment variable name: {text!r}")
    return text


def _no_password(value: object) -> object:
    # A password in the YAML ends up in backups, diffs and screen shares.
    raise ValueError("do not put the password in the config: use password_file (a file "
                     "only you can read) or password_env (an environment variable)")


def kind_of(value: object) -> str:
    """How a wrong value is named in a message: the value itself when short, else its kind."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _path(value: object, info: ValidationInfo) -> Path:
    # Relative paths are taken from the config file's folder (the validation context).
    if isinstance(value, Path):  # from code, not from YAML
        return value
    base = info.context.get("base") if isinstance(info.context, dict) else None
    return (Path(base or ".") / Path(non_empty(value)).expanduser()).resolve()


Text = Annotated[str, PlainValidator(non_empty)]
FilePath = Annotated[Path, PlainValidator(_path)]
Email = Annotated[str, PlainValidator(_email)]
TimeOfDay = Annotated[dt.time, PlainValidator(_time)]
Day = Annotated[int, PlainValidator(_day)]
Week = Annotated[int, PlainValidator(_week)]
Duration = Annotated[dt.timedelta, PlainValidator(_duration)]
Span = Annotated[dt.timedelta, PlainValidator(_span)]  # hours, days or weeks: 36h, 5d, 2w
Date = Annotated[dt.date, PlainValidator(_date)]
PhaseSpan = Annotated[dt.timedelta, PlainValidator(_phase_span)]
CadenceSpec = Annotated[Cadence, PlainValidator(_cadence)]
Zone = Annotated[str, PlainValidator(_timezone)]
Seconds = Annotated[float, PlainValidator(_seconds)]
ByteCount = Annotated[int, PlainValidator(_byte_count)]
FeedURL = Annotated[str, PlainValidator(_feed_url)]
Pattern = Annotated[str, PlainValidator(_pattern)]
Endpoint = Annotated[str, PlainValidator(_endpoint)]
CalDAVURL = Annotated[str, PlainValidator(_caldav_url)]
Port = Annotated[int, PlainValidator(_port)]
EnvName = Annotated[str, PlainValidator(_env_name)]
Refused = Annotated[object, PlainValidator(_no_password)]


