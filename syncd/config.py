"""Read and check the YAML config: owner, zone, backends and the roster of 1:1s.

`load_config` only reads. Every problem it finds is reported at once, each
naming the file, the line and the field, so a person can fix the whole file in
one pass instead of one error per run.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from syncd.core.cadence import parse_cadence
from syncd.core.model import Cadence, Owner, Pause, Person, Preferences, Role, Roster, Slot
from syncd.notes import templates as note_templates
from syncd.redact import redact_url

__all__ = [
    "BackendConfig", "Config", "ConfigError", "EmailConfig", "ReportConfig", "load_config",
    "resolve_state_dir",
]

Key = str | int
NodePath = tuple[Key, ...]

_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_DURATION = re.compile(r"(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?", re.IGNORECASE)
_MAX_DURATION = dt.timedelta(hours=8)
_WEEK_CADENCES = ("monthly", "quarterly")
# A config has a few hundred nodes; far more means an alias bomb, not a roster.
_MAX_NODES = 100_000
# A roster of a thousand people is about 100 kB. Pure-Python YAML needs seconds and
# ~90 bytes of memory per byte of input, so a larger file is refused unread rather
# than parsed for a minute into a gigabyte.
_MAX_FILE_BYTES = 1_000_000
_FEED_SCHEMES = ("http", "https", "webcal")
_DEFAULT_TIMEOUT = 30.0
_DEFAULT_MAX_BYTES = 20_000_000


class ConfigError(Exception):
    """The config cannot be used; `problems` holds one "FILE:LINE: FIELD: message" each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class BackendConfig:
    """Which calendar or notes backend to use and where it keeps its data."""

    kind: str  # "local", "ics" or "google" for calendars, "markdown" or "google-docs" for notes
    path: Path | None  # absolute; relative paths in the file are taken from its folder
    # kind "ics": the feed. A secret: kept out of repr, shown only through redact_url.
    url: str | None = field(default=None, repr=False)
    timeout: float = _DEFAULT_TIMEOUT  # kind "ics": seconds to connect, and between bytes
    max_bytes: int = _DEFAULT_MAX_BYTES  # kind "ics": a larger feed is refused
    calendar_id: str = "primary"  # kind "google"
    api_endpoint: str | None = None  # google kinds: another server (an emulator) than Google's
    folder_id: str | None = None  # kind "google-docs": the Drive folder for the Docs
    attach: bool = True  # kind "google-docs": attach the Doc to the events (guests see its title)
    # notes: the lead's own agenda templates, role (or new-hire) → template text
    templates: Mapping[str, str] = field(default_factory=dict)


GoogleCredentials = Literal["oauth", "service-account", "anonymous"]


@dataclass(frozen=True)
class GoogleConfig:
    """How syncd signs in to Google (the `google:` section)."""

    credentials: GoogleCredentials = "oauth"
    client_secrets: Path | None = None  # the OAuth client JSON, for `syncd auth login`
    service_account_file: Path | None = None
    subject: str | None = None  # a user to act for, with domain-wide delegation
    token_uri: str | None = None  # where OAuth tokens are refreshed, when not Google's


Security = Literal["starttls", "ssl", "none"]
_DEFAULT_PORTS: dict[str, int] = {"starttls": 587, "ssl": 465, "none": 25}


@dataclass(frozen=True)
class EmailConfig:
    """Where `syncd report --email` sends the report. The password itself is never here:
    only the file or environment variable that holds it."""

    to: tuple[str, ...]
    sender: str  # the From address
    host: str
    port: int
    security: Security
    user: str | None = None
    password_file: Path | None = None  # absolute
    password_env: str | None = None
    ca_file: Path | None = None  # absolute; a CA to trust besides the system's


@dataclass(frozen=True)
class ReportConfig:
    """The `report:` section."""

    email: EmailConfig | None = None


@dataclass(frozen=True)
class TimeOffConfig:
    """Which public holidays pause the 1:1s (out-of-office events are the roster's)."""

    country: str | None = None  # ISO 3166 code for the `holidays` package
    subdivision: str | None = None  # a state or province of it


@dataclass(frozen=True)
class Config:
    """A checked config file."""

    source: Path  # the config file, as given to load_config
    roster: Roster
    calendar: BackendConfig
    notes: BackendConfig
    state_dir: Path | None  # absolute; None when the file does not set it
    report: ReportConfig | None = None  # the `report:` section, when the file has one
    google: GoogleConfig = GoogleConfig()
    time_off: TimeOffConfig = TimeOffConfig()
    # Where each key sits in the file, for messages about what the config points at.
    lines: Lines = field(default_factory=lambda: Lines({}, {}), compare=False, repr=False)


# --- field parsers: each raises ValueError with the message a person sees ----


def _text(value: object) -> str:
    if value is None:
        raise ValueError("must not be empty")
    if not isinstance(value, str):
        raise ValueError(f"must be text, not {_kind_of(value)}")
    return value


def _non_empty(value: object) -> str:
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


def _seconds(value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    raise ValueError(f"must be a number of seconds more than 0, not {_kind_of(value)}")


def _byte_count(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    raise ValueError(f"must be a whole number of bytes more than 0, not {_kind_of(value)}")


def _feed_url(value: object) -> str:
    text = _non_empty(value)
    scheme, sep, rest = text.partition("://")
    if not sep or scheme.lower() not in _FEED_SCHEMES:
        raise ValueError("only http(s) and webcal URLs are accepted; use path: for a local file")
    if not rest or rest.startswith(("/", "?", "#")):
        raise ValueError(f"URL has no host: {redact_url(text)}")
    return text


def _endpoint(value: object) -> str:
    text = _non_empty(value)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {text!r}")
    if parts.scheme == "http" and not is_loopback(text):
        raise ValueError("plain http is only accepted on 127.0.0.1, ::1 or localhost")
    return text.rstrip("/")


def is_loopback(url: str) -> bool:
    """True for an address on this machine (an emulator, never Google)."""
    host = urlsplit(url).hostname or ""
    return host in ("127.0.0.1", "::1", "localhost")


def _pattern(value: object) -> str:
    text = _non_empty(value)
    try:
        re.compile(text, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    return text


def _port(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535:
        return value
    raise ValueError(f"must be a port number from 1 to 65535, not {_kind_of(value)}")


def _env_name(value: object) -> str:
    text = _non_empty(value)
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text) is None:
        raise ValueError(f"not an environment variable name: {text!r}")
    return text


def _no_password(value: object) -> object:
    # A password in the YAML ends up in backups, diffs and screen shares.
    raise ValueError("do not put the password in the config: use password_file (a file "
                     "only you can read) or password_env (an environment variable)")


def _kind_of(value: object) -> str:
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


Text = Annotated[str, PlainValidator(_non_empty)]
Email = Annotated[str, PlainValidator(_email)]
TimeOfDay = Annotated[dt.time, PlainValidator(_time)]
Day = Annotated[int, PlainValidator(_day)]
Week = Annotated[int, PlainValidator(_week)]
Duration = Annotated[dt.timedelta, PlainValidator(_duration)]
Date = Annotated[dt.date, PlainValidator(_date)]
CadenceSpec = Annotated[Cadence, PlainValidator(_cadence)]
Zone = Annotated[str, PlainValidator(_timezone)]
Seconds = Annotated[float, PlainValidator(_seconds)]
ByteCount = Annotated[int, PlainValidator(_byte_count)]
FeedURL = Annotated[str, PlainValidator(_feed_url)]
Pattern = Annotated[str, PlainValidator(_pattern)]
Endpoint = Annotated[str, PlainValidator(_endpoint)]
Port = Annotated[int, PlainValidator(_port)]
EnvName = Annotated[str, PlainValidator(_env_name)]
Refused = Annotated[object, PlainValidator(_no_password)]


# --- the file's shape -------------------------------------------------------


class _Model(BaseModel):
    # strict: "20" is not a number and 1 is not true in a config someone reads.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _OwnerModel(_Model):
    name: Text
    email: Email


class _HoursModel(_Model):
    start: TimeOfDay = dt.time(8, 0)
    end: TimeOfDay = dt.time(18, 0)

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: dt.time, info: ValidationInfo) -> dt.time:
        start = info.data.get("start")
        if start is not None and end <= start:
            raise ValueError(f"working hours must end after they start ({start:%H:%M})")
        return end


class _BackendModel(_Model):
    kinds: ClassVar[tuple[str, ...]] = ()
    path_optional: ClassVar[tuple[str, ...]] = ()  # kinds that may use something else
    only_for: ClassVar[dict[str, str]] = {}  # field → the one kind it applies to

    kind: Text
    # Validated even when absent so a missing path is reported for known kinds.
    path: Text | None = Field(default=None, validate_default=True)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        if kind not in cls.kinds:
            raise ValueError(f"unsupported kind {kind!r} (expected: {', '.join(cls.kinds)})")
        return kind

    @field_validator("*")
    @classmethod
    def _for_its_kind(cls, value: object, info: ValidationInfo) -> object:
        wanted = cls.only_for.get(info.field_name or "")
        kind = info.data.get("kind")
        if wanted and value is not None and kind is not None and kind != wanted:
            raise ValueError(f"only for kind {wanted!r}, not {kind!r}")
        return value

    @field_validator("path")
    @classmethod
    def _path_given(cls, path: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("kind")
        if path is None and kind is not None and kind not in cls.path_optional:
            raise ValueError(f"required for kind {kind!r}")
        return path


class _CalendarModel(_BackendModel):
    kinds = ("local", "ics", "google")
    path_optional = ("ics", "google")
    only_for = {"timeout": "ics", "max_bytes": "ics", "calendar_id": "google",
                "api_endpoint": "google"}

    url: FeedURL | None = Field(default=None, validate_default=True)
    timeout: Seconds | None = None
    max_bytes: ByteCount | None = None
    calendar_id: Text | None = None
    api_endpoint: Endpoint | None = None

    @field_validator("url")
    @classmethod
    def _one_source(cls, url: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("kind")
        if kind == "ics" and "path" in info.data:
            path = info.data["path"]
            if url is None and path is None:
                raise ValueError("required for kind 'ics' (or set path)")
            if url is not None and path is not None:
                raise ValueError("give url or path, not both")
        elif kind is not None and kind != "ics" and url is not None:
            raise ValueError(f"only for kind 'ics', not {kind!r}")
        return url



class _NotesModel(_BackendModel):
    kinds = ("markdown", "google-docs")
    path_optional = ("google-docs",)

    only_for = {"folder_id": "google-docs", "attach": "google-docs",
                "api_endpoint": "google-docs"}

    folder_id: Text | None = None
    attach: bool | None = None
    api_endpoint: Endpoint | None = None
    templates: dict[str, Text] | None = None

    @field_validator("templates")
    @classmethod
    def _known_roles(cls, templates: dict[str, str] | None) -> dict[str, str] | None:
        unknown = sorted(set(templates or {}) - set(note_templates.names()))
        if unknown:
            raise ValueError(f"no template called {unknown[0]!r} (expected: "
                             f"{', '.join(note_templates.names())})")
        return templates


class _GoogleModel(_Model):
    credentials: Literal["oauth", "service-account", "anonymous"] = "oauth"
    client_secrets: Text | None = None
    service_account_file: Text | None = None
    subject: Email | None = None
    token_uri: Endpoint | None = None

    @field_validator("subject")
    @classmethod
    def _with_service_account(cls, subject: str | None, info: ValidationInfo) -> str | None:
        if subject is not None and info.data.get("credentials") != "service-account":
            raise ValueError("only with credentials: service-account")
        return subject


class _SlotModel(_Model):
    day: Day
    time: TimeOfDay
    week: Week | None = None


class _PauseModel(_Model):
    start: Date = Field(alias="from")
    end: Date = Field(alias="to")
    reason: str | None = None

    @field_validator("end")
    @classmethod
    def _not_before_start(cls, end: dt.date, info: ValidationInfo) -> dt.date:
        start = info.data.get("start")
        if start is not None and end < start:
            raise ValueError(f"pause ends before it starts ({start.isoformat()})")
        return end


class _DefaultsModel(_Model):
    cadence: CadenceSpec = Field(default_factory=lambda: parse_cadence("monthly"))
    duration: Duration = dt.timedelta(minutes=45)
    slot: _SlotModel | None = None


class _MatchModel(_Model):
    emails: list[Email] | None = None
    title: Pattern | None = None


class _PreferencesModel(_Model):
    days: list[Day] | None = None
    earliest: TimeOfDay | None = None
    latest: TimeOfDay | None = None
    buffer: Duration | None = None

    @field_validator("days")
    @classmethod
    def _some_day(cls, days: list[int] | None) -> list[int] | None:
        if days is not None and not days:
            raise ValueError("must list at least one day")
        return days

    @field_validator("latest")
    @classmethod
    def _after_earliest(cls, latest: dt.time | None, info: ValidationInfo) -> dt.time | None:
        earliest = info.data.get("earliest")
        if latest is not None and earliest is not None and latest <= earliest:
            raise ValueError(f"must be after earliest ({earliest:%H:%M})")
        return latest


class _PersonModel(_Model):
    name: Text
    email: Email
    match: _MatchModel | None = None
    cadence: CadenceSpec | None = None
    slot: _SlotModel | None = None
    duration: Duration | None = None
    role: Role = "report"
    start: Date | None = None
    pauses: list[_PauseModel] | None = None
    active: bool = True
    onboarding_until: Date | None = None
    preferences: _PreferencesModel | None = None


class _EmailModel(_Model):
    to: list[Email]
    sender: Email = Field(alias="from")
    host: Text
    port: Port | None = None
    security: Security = "starttls"
    password: Refused = None
    password_file: Text | None = None
    password_env: EnvName | None = None
    # Validated even when absent: a password source without a user is reported here.
    user: Text | None = Field(default=None, validate_default=True)
    ca_file: Text | None = None

    @field_validator("to")
    @classmethod
    def _someone(cls, to: list[str]) -> list[str]:
        if not to:
            raise ValueError("must list at least one address")
        return to

    @field_validator("password_env")
    @classmethod
    def _one_password(cls, env: str | None, info: ValidationInfo) -> str | None:
        if env is not None and info.data.get("password_file") is not None:
            raise ValueError("give password_file or password_env, not both")
        return env

    @field_validator("user")
    @classmethod
    def _login(cls, user: str | None, info: ValidationInfo) -> str | None:
        given = info.data.get("password_file") is not None or \
            info.data.get("password_env") is not None
        if user is None and given:
            raise ValueError("required when password_file or password_env is set")
        # Only when both sources checked out: a typo there is reported on its own line.
        if user is not None and not given and {"password_file", "password_env"} <= set(
                info.data):
            raise ValueError("needs password_file or password_env")
        if user is not None and info.data.get("security") == "none":
            raise ValueError("security 'none' would send the password in clear; "
                             "use starttls or ssl")
        return user


def _holiday_places() -> dict[str, list[str]]:
    # Imported only for a config that asks for holidays: it costs start-up time.
    import holidays

    places: dict[str, list[str]] = holidays.list_supported_countries()
    return places


class _HolidaysModel(_Model):
    country: Text
    subdivision: Text | None = None

    @field_validator("country")
    @classmethod
    def _known_country(cls, country: str) -> str:
        if country not in _holiday_places():
            raise ValueError(f"no public holidays known for country {country!r} "
                             "(an ISO 3166 code such as DE, GB or US)")
        return country

    @field_validator("subdivision")
    @classmethod
    def _known_subdivision(cls, subdivision: str | None, info: ValidationInfo) -> str | None:
        known = _holiday_places().get(info.data.get("country") or "")
        if subdivision is not None and known is not None and subdivision not in known:
            raise ValueError(f"{info.data['country']} has no subdivision {subdivision!r} "
                             f"(known: {', '.join(known)})")
        return subdivision


class _OutOfOfficeModel(_Model):
    title: Pattern


class _ReportModel(_Model):
    email: _EmailModel | None = None


class _ConfigModel(_Model):
    owner: _OwnerModel
    timezone: Zone
    working_hours: _HoursModel | None = None
    calendar: _CalendarModel
    notes: _NotesModel
    state_dir: Text | None = None
    max_changes: int = Field(default=20, ge=1)
    defaults: _DefaultsModel | None = None
    people: list[_PersonModel] | None
    report: _ReportModel | None = None
    google: _GoogleModel | None = None
    holidays: _HolidaysModel | None = None
    out_of_office: _OutOfOfficeModel | None = None
    preferences: _PreferencesModel | None = None


# --- reading the file -------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """Safe YAML that turns an impossible date into text for the checks to report."""


def _timestamp(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)  # type: ignore[arg-type]
    except ValueError:
        return loader.construct_scalar(node)  # type: ignore[arg-type]


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


@dataclass
class _Problem:
    line: int | None
    where: str  # field name, or "" for problems with the whole file
    message: str


class _Abort(Exception):
    """The file cannot be checked further; carries the one problem that says why."""

    def __init__(self, problem: _Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


@dataclass
class Lines:
    """Where each part of the document starts (1-based), by path from the root."""

    nodes: dict[NodePath, int]
    keys: dict[NodePath, int]  # the key's own line for mapping entries

    def of(self, path: NodePath) -> int:
        """Line of the deepest part of `path` that exists in the file."""
        for depth in range(len(path), -1, -1):
            prefix = path[:depth]
            line = self.keys.get(prefix) or self.nodes.get(prefix)
            if line is not None:
                return line
        return 1


def _read(path: Path) -> str:
    try:
        with path.open("rb") as stream:
            data = stream.read(_MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise _Abort(_Problem(None, "", "file not found")) from None
    except IsADirectoryError:
        raise _Abort(_Problem(None, "", "is a folder, not a file")) from None
    except PermissionError:
        raise _Abort(_Problem(None, "", "cannot read file: permission denied")) from None
    except OSError as exc:
        raise _Abort(_Problem(None, "", f"cannot read file: {exc.strerror}")) from None
    if len(data) > _MAX_FILE_BYTES:
        message = f"larger than {_MAX_FILE_BYTES} bytes: not a roster syncd will read"
        raise _Abort(_Problem(None, "", message))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.start + 1].hex()
        raise _Abort(_Problem(line, "", f"not valid UTF-8 (byte 0x{bad})")) from None


def _parse(text: str) -> tuple[object, Lines, list[_Problem]]:
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:
        raise _Abort(_reader_problem(text, exc)) from None
    try:
        root = loader.get_single_node()
        if root is None:
            raise _Abort(_Problem(1, "", "file is empty (expected owner, timezone, people, ...)"))
        if not isinstance(root, yaml.MappingNode):
            found = "a list" if isinstance(root, yaml.SequenceNode) else "a single value"
            line = root.start_mark.line + 1
            raise _Abort(_Problem(line, "", f"top level must be a mapping of keys, not {found}"))
        problems = _check_nodes(root)
        data = loader.construct_document(root)
        lines = Lines({}, {})
        _map_lines(loader, root, (), lines)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = exc.problem or exc.context or "not valid YAML"
        if exc.problem and exc.context:
            what = f"{exc.problem} ({exc.context})"
        raise _Abort(_Problem(line, "", f"YAML syntax error: {what}")) from None
    except yaml.reader.ReaderError as exc:
        raise _Abort(_reader_problem(text, exc)) from None
    except yaml.YAMLError as exc:
        raise _Abort(_Problem(None, "", f"YAML syntax error: {exc}")) from None
    except RecursionError:
        raise _Abort(_Problem(None, "", "nested too deeply")) from None
    finally:
        loader.dispose()
    return data, lines, problems


def _reader_problem(text: str, exc: yaml.reader.ReaderError) -> _Problem:
    line = text.count("\n", 0, exc.position) + 1
    what = f"character #x{exc.character:04x} is not allowed" if isinstance(
        exc.character, int) else str(exc.reason)
    return _Problem(line, "", f"YAML syntax error: {what}")


def _check_nodes(root: yaml.Node) -> list[_Problem]:
    """Duplicate keys (YAML keeps the last silently), and aliases that loop or explode."""
    problems: list[_Problem] = []
    count = 0

    def visit(node: yaml.Node, path: NodePath, above: frozenset[int]) -> None:
        nonlocal count
        count += 1
        if count > _MAX_NODES:
            message = f"more than {_MAX_NODES} values once aliases are expanded"
            raise _Abort(_Problem(node.start_mark.line + 1, "", message))
        if id(node) in above:
            where = _field_name(path)
            raise _Abort(_Problem(node.start_mark.line + 1, where, "alias refers to itself"))
        above = above | {id(node)}
        if isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                visit(item, (*path, index), above)
        elif isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, value in node.value:
                name = key.value if isinstance(key, yaml.ScalarNode) else ""
                line = key.start_mark.line + 1
                if key.tag != "tag:yaml.org,2002:merge" and name:
                    if name in seen:
                        problems.append(_Problem(
                            line, _field_name((*path, name)),
                            f"duplicate key (first at line {seen[name]})",
                        ))
                    seen.setdefault(name, line)
                visit(value, (*path, name), above)

    visit(root, (), frozenset())
    return problems


def _map_lines(loader: _Loader, node: yaml.Node, path: NodePath, lines: Lines) -> None:
    lines.nodes[path] = node.start_mark.line + 1
    if isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _map_lines(loader, item, (*path, index), lines)
    elif isinstance(node, yaml.MappingNode):
        # After construction merge keys are flattened in, explicit keys last: later wins.
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key = loader.construct_object(key_node)
            if not isinstance(key, str | int):
                continue
            lines.keys[(*path, key)] = key_node.start_mark.line + 1
            _map_lines(loader, value_node, (*path, key), lines)


def _field_name(path: NodePath) -> str:
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
    "greater_than_equal": "must be at least {ge}",
}


def _from_validation(exc: ValidationError, lines: Lines) -> list[_Problem]:
    problems = []
    for error in exc.errors(include_url=False):
        path: NodePath = tuple(error["loc"])
        kind = error["type"]
        ctx = error.get("ctx") or {}
        if kind == "invalid_key":
            message = f"key {error['input']!r} must be text"
            where = _field_name(path[:-1]) or "(top level)"
        else:
            where = _field_name(path)
            if kind in ("value_error", "assertion_error"):
                message = str(ctx.get("error", error["msg"]))
            elif kind == "literal_error":
                message = f"must be one of: {ctx.get('expected', '')}".replace("'", "")
            elif error["input"] is None and kind != "missing":
                message = "must not be empty"
            elif kind in _MESSAGES:
                message = _MESSAGES[kind].format(**ctx)
                if kind.endswith("_type") and kind not in ("model_type", "dict_type"):
                    message += f", not {_kind_of(error['input'])}"
            else:
                message = error["msg"][:1].lower() + error["msg"][1:]
        problems.append(_Problem(lines.of(path), where, message))
    return problems


# --- checks across fields ---------------------------------------------------

_M = TypeVar("_M")


def _try(adapter: TypeAdapter[_M], value: object) -> _M | None:
    try:
        return adapter.validate_python(value)
    except ValidationError:
        return None


_CADENCE: TypeAdapter[Cadence] = TypeAdapter(CadenceSpec)
_DURATION_OF: TypeAdapter[dt.timedelta] = TypeAdapter(Duration)
_EMAIL: TypeAdapter[str] = TypeAdapter(Email)
_SLOT: TypeAdapter[_SlotModel] = TypeAdapter(_SlotModel)
_HOURS: TypeAdapter[_HoursModel] = TypeAdapter(_HoursModel)


def _cross_checks(data: Mapping[Any, Any], lines: Lines) -> list[_Problem]:
    """Rules that span fields. Each uses only the values it needs, checked on their own,
    so a typo elsewhere in the same entry does not hide these problems."""
    problems: list[_Problem] = []

    def report(path: NodePath, message: str) -> None:
        problems.append(_Problem(lines.of(path), _field_name(path), message))

    raw_hours = data.get("working_hours")
    hours = _try(_HOURS, {} if raw_hours is None else raw_hours)
    owner = data.get("owner")
    owner_email = _try(_EMAIL, owner.get("email")) if isinstance(owner, dict) else None

    raw_defaults = data.get("defaults")
    defaults = raw_defaults if isinstance(raw_defaults, dict) else {}
    d_cadence = _value(_CADENCE, defaults, "cadence", parse_cadence("monthly"))
    d_duration = _value(_DURATION_OF, defaults, "duration", dt.timedelta(minutes=45))
    d_slot = _try(_SLOT, defaults["slot"]) if defaults.get("slot") is not None else None
    if d_slot is not None:
        _check_slot(report, ("defaults", "slot"), d_cadence, d_slot, d_duration, hours)

    people = data.get("people")
    emails: dict[str, NodePath] = {}
    for index, raw in enumerate(people if isinstance(people, list) else []):
        if not isinstance(raw, dict):
            continue
        here: NodePath = ("people", index)
        email = _try(_EMAIL, raw.get("email"))
        if email is not None and email == owner_email:
            report((*here, "email"), "this is the owner's email (a 1:1 needs two people)")
        elif email is not None and email in emails:
            first = emails[email]
            report(
                (*here, "email"),
                f"duplicate person: same email as {_field_name(first[:2])} "
                f"(line {lines.of(first)})",
            )
        elif email is not None:
            emails[email] = (*here, "email")
        match = raw.get("match")
        aliases = match.get("emails") if isinstance(match, dict) else None
        for number, alias in enumerate(aliases if isinstance(aliases, list) else []):
            if owner_email is not None and _try(_EMAIL, alias) == owner_email:
                report((*here, "match", "emails", number),
                       "this is the owner's email (it would match every event)")

        cadence = _value(_CADENCE, raw, "cadence", d_cadence)
        duration = _value(_DURATION_OF, raw, "duration", d_duration)
        if raw.get("slot") is not None:
            slot = _try(_SLOT, raw["slot"])
            if slot is not None:
                _check_slot(report, (*here, "slot"), cadence, slot, duration, hours)
        elif defaults.get("slot") is not None:
            # The inherited slot was checked against the defaults; report only what
            # this person's own cadence or duration breaks, on that line.
            if d_slot is not None and "cadence" in raw:
                note = " (defaults.slot sets a week)"
                _check_week(report, (*here, "cadence"), cadence, d_slot, note)
            if d_slot is not None and "duration" in raw:
                _check_hours(report, (*here, "duration"), d_slot, duration, hours)
        else:
            report((*here, "slot"), "required (or set defaults.slot)")
    _check_google(report, data)
    return problems


def _check_google(report: _Report, data: Mapping[Any, Any]) -> None:
    """Anonymous access only to an emulator on this machine; each way to sign in needs
    its file."""
    google = data.get("google")
    google = google if isinstance(google, dict) else {}
    credentials = google.get("credentials", "oauth")
    used = [(section, block) for section, kind in (("calendar", "google"),
                                                   ("notes", "google-docs"))
            if isinstance(block := data.get(section), dict) and block.get("kind") == kind]
    if credentials == "anonymous":
        for section, block in used:
            endpoint = block.get("api_endpoint")
            if not isinstance(endpoint, str) or not is_loopback(endpoint):
                report((section, "api_endpoint"), "credentials: anonymous needs an "
                       "api_endpoint on 127.0.0.1, ::1 or localhost (an emulator)")
    elif credentials == "service-account" and used and not google.get("service_account_file"):
        report(("google", "service_account_file"), "required for credentials: service-account")


def _value(
    adapter: TypeAdapter[_M], raw: Mapping[Any, Any], key: str, default: _M | None
) -> _M | None:
    """The checked value of raw[key], `default` when absent, None when invalid (that
    problem is reported by the model; checks that need the value are skipped)."""
    value = raw.get(key)
    if value is None:
        return default
    return _try(adapter, value)


_Report = Callable[[NodePath, str], None]


def _check_slot(
    report: _Report, at: NodePath, cadence: Cadence | None, slot: _SlotModel,
    duration: dt.timedelta | None, hours: _HoursModel | None,
) -> None:
    _check_week(report, (*at, "week"), cadence, slot, "")
    _check_hours(report, (*at, "time"), slot, duration, hours)


def _check_week(
    report: _Report, at: NodePath, cadence: Cadence | None, slot: _SlotModel, note: str
) -> None:
    if cadence is not None and slot.week is not None and cadence.kind not in _WEEK_CADENCES:
        report(at, f"week only applies to monthly and quarterly cadences{note}")


def _check_hours(
    report: _Report, at: NodePath, slot: _SlotModel, duration: dt.timedelta | None,
    hours: _HoursModel | None,
) -> None:
    if hours is None or duration is None:
        return
    start = _minutes(slot.time)
    end = start + duration // dt.timedelta(minutes=1)
    if start < _minutes(hours.start):
        report(at, f"slot {slot.time:%H:%M} starts before working hours start "
                   f"{hours.start:%H:%M}")
    elif end > _minutes(hours.end):
        report(at, f"slot {slot.time:%H:%M} + {_show(duration)} ends after working hours end "
                   f"{hours.end:%H:%M}")


def _minutes(when: dt.time) -> int:
    return when.hour * 60 + when.minute


def _show(duration: dt.timedelta) -> str:
    hours, minutes = divmod(duration // dt.timedelta(minutes=1), 60)
    return (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes or not hours else "")


# --- building the result ----------------------------------------------------


def _resolve(base: Path, text: str) -> Path:
    return (base / Path(text).expanduser()).resolve()


def _templates(base: Path, model: _NotesModel, lines: Lines) -> tuple[
        dict[str, str], list[_Problem]]:
    """The lead's agenda templates, read and checked (a problem per unusable one)."""
    texts: dict[str, str] = {}
    problems: list[_Problem] = []
    for role, path in (model.templates or {}).items():
        try:
            texts[role] = note_templates.load(_resolve(base, path))
        except note_templates.TemplateError as exc:
            where: NodePath = ("notes", "templates", role)
            problems.append(_Problem(lines.of(where), _field_name(where), str(exc)))
    return texts, problems


def _build(source: Path, model: _ConfigModel, lines: Lines,
           templates: Mapping[str, str]) -> Config:
    base = source.parent
    hours = model.working_hours or _HoursModel()
    defaults = model.defaults or _DefaultsModel()
    people = []
    for entry in model.people or []:
        raw_slot = entry.slot or defaults.slot
        assert raw_slot is not None  # checked: a person without slot needs defaults.slot
        people.append(Person(
            name=entry.name,
            email=entry.email,
            cadence=entry.cadence or defaults.cadence,
            slot=Slot(raw_slot.day, raw_slot.time, raw_slot.week),
            duration=entry.duration or defaults.duration,
            role=entry.role,
            start=entry.start,
            pauses=tuple(Pause(p.start, p.end, p.reason or "") for p in entry.pauses or []),
            active=entry.active,
            aliases=tuple(dict.fromkeys(entry.match.emails or [])) if entry.match else (),
            title_pattern=(entry.match.title or "") if entry.match else "",
            onboarding_until=entry.onboarding_until,
            preferences=_preferences(model.preferences, entry.preferences),
        ))
    roster = Roster(
        owner=Owner(model.owner.name, model.owner.email),
        timezone=model.timezone,
        people=tuple(people),
        work_start=hours.start,
        work_end=hours.end,
        max_changes=model.max_changes,
        away_title=model.out_of_office.title if model.out_of_office else "",
    )

    feed = model.calendar
    calendar = BackendConfig(
        feed.kind,
        _resolve(base, feed.path) if feed.path else None,
        url=feed.url,
        timeout=feed.timeout or _DEFAULT_TIMEOUT,
        max_bytes=feed.max_bytes or _DEFAULT_MAX_BYTES,
        calendar_id=feed.calendar_id or "primary",
        api_endpoint=feed.api_endpoint,
    )
    docs = model.notes
    notes = BackendConfig(
        docs.kind, _resolve(base, docs.path) if docs.path else None,
        folder_id=docs.folder_id, attach=docs.attach is not False,
        api_endpoint=docs.api_endpoint, templates=templates,
    )
    return Config(
        source=source,
        roster=roster,
        calendar=calendar,
        notes=notes,
        state_dir=_resolve(base, model.state_dir) if model.state_dir else None,
        report=_report(base, model.report),
        google=_google(base, model.google),
        time_off=TimeOffConfig(
            country=model.holidays.country if model.holidays else None,
            subdivision=model.holidays.subdivision if model.holidays else None),
        lines=lines,
    )


def _preferences(*layers: _PreferencesModel | None) -> Preferences:
    """The roster's preferences with a person's own on top, field by field."""
    out = Preferences()
    for layer in layers:
        if layer is None:
            continue
        out = dataclasses.replace(
            out, days=frozenset(layer.days) if layer.days is not None else out.days,
            earliest=layer.earliest or out.earliest, latest=layer.latest or out.latest,
            buffer=layer.buffer if layer.buffer is not None else out.buffer)
    return out


def _google(base: Path, model: _GoogleModel | None) -> GoogleConfig:
    if model is None:
        return GoogleConfig()
    return GoogleConfig(
        credentials=model.credentials,
        client_secrets=_resolve(base, model.client_secrets) if model.client_secrets else None,
        service_account_file=_resolve(base, model.service_account_file)
        if model.service_account_file else None,
        subject=model.subject,
        token_uri=model.token_uri,
    )


def _report(base: Path, model: _ReportModel | None) -> ReportConfig | None:
    if model is None:
        return None
    mail = model.email
    return ReportConfig(email=None if mail is None else EmailConfig(
        to=tuple(dict.fromkeys(mail.to)),
        sender=mail.sender,
        host=mail.host,
        port=mail.port or _DEFAULT_PORTS[mail.security],
        security=mail.security,
        user=mail.user,
        password_file=_resolve(base, mail.password_file) if mail.password_file else None,
        password_env=mail.password_env,
        ca_file=_resolve(base, mail.ca_file) if mail.ca_file else None,
    ))


def load_config(path: Path) -> Config:
    """Read and check the config at `path`; never writes anything.

    Raises ConfigError listing every problem found, sorted by line, each as
    "FILE:LINE: FIELD: message" with FILE the path as given.
    """
    try:
        data, lines, problems = _parse(_read(path))
    except _Abort as abort:
        raise ConfigError([_format(path, abort.problem)]) from None
    assert isinstance(data, dict)
    model = None
    try:
        model = _ConfigModel.model_validate(data)
    except ValidationError as exc:
        problems += _from_validation(exc, lines)
    problems += _cross_checks(data, lines)
    templates: dict[str, str] = {}
    if model is not None:
        templates, bad = _templates(path.parent, model.notes, lines)
        problems += bad
    if problems or model is None:
        ordered = sorted(problems, key=lambda p: p.line or 0)
        raise ConfigError([_format(path, p) for p in ordered])
    return _build(path, model, lines, templates)


def _format(path: Path, problem: _Problem) -> str:
    parts = [str(path)]
    if problem.line is not None:
        parts.append(str(problem.line))
    if problem.where:
        parts.append(f" {problem.where}")
    return ":".join(parts) + f": {problem.message}"


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
