"""The file's shape: one pydantic model per section, each field declared once with its
type and default. The validated models are what the rest of syncd receives.

Calendar and notes backends are unions discriminated on `kind`: each kind is its own
model with only its own fields, so code asks `isinstance(config.calendar,
FeedCalendarConfig)` and mypy knows which fields exist. A kind string is compared
nowhere else.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    PrivateAttr,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticUseDefault

from syncd.config.fields import (
    DEFAULT_CADENCE_RULE,
    DEFAULT_CALENDAR_ID,
    DEFAULT_CREDENTIALS,
    DEFAULT_DURATION,
    DEFAULT_FEED_MAX_BYTES,
    DEFAULT_FEED_TIMEOUT,
    DEFAULT_MAKEUP_WITHIN,
    DEFAULT_MAX_CHANGES,
    DEFAULT_PORTS,
    DEFAULT_SECURITY,
    DEFAULT_WORK_END,
    DEFAULT_WORK_START,
    ByteCount,
    CadenceSpec,
    CalDAVURL,
    Date,
    Day,
    Duration,
    Email,
    Endpoint,
    EnvName,
    FeedURL,
    FilePath,
    GoogleCredentials,
    Pattern,
    PhaseSpan,
    Port,
    Refused,
    Seconds,
    Security,
    Span,
    Text,
    TimeOfDay,
    Week,
    Zone,
    non_empty,
)
from syncd.core.model import (
    Cadence,
    Owner,
    Pause,
    Person,
    Phase,
    Preferences,
    Role,
    Roster,
    Slot,
)
from syncd.notes import templates as note_templates

if TYPE_CHECKING:
    from syncd.config.lines import Lines


def _null_is_default(value: object) -> object:
    # `key:` with nothing after it means the same as leaving the key out.
    if value is None:
        raise PydanticUseDefault()
    return value


NullIsDefault = BeforeValidator(_null_is_default)


class Section(BaseModel):
    """A mapping in the config file."""

    # strict: "20" is not a number and 1 is not true in a config someone reads.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class OwnerSection(Section):
    """The lead whose calendar syncd manages (`owner:`)."""

    name: Text
    email: Email


class WorkingHours(Section):
    """`working_hours:`; every slot must fit inside them."""

    start: TimeOfDay = DEFAULT_WORK_START
    end: TimeOfDay = DEFAULT_WORK_END

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: dt.time, info: ValidationInfo) -> dt.time:
        start = info.data.get("start")
        if start is not None and end <= start:
            raise ValueError(f"working hours must end after they start ({start:%H:%M})")
        return end


# --- backends -------------------------------------------------------------------


class Backend(Section):
    """A calendar or notes backend; each kind is a subclass with only its own fields."""

    kind: str

    @classmethod
    def kind_name(cls) -> str:
        """The `kind:` value that selects this backend."""
        (name,) = get_args(cls.model_fields["kind"].annotation)
        return str(name)

    @model_validator(mode="before")
    @classmethod
    def _unset_keys_of_other_kinds(cls, data: object) -> object:
        # `attach:` with nothing after it under a markdown section sets nothing: it was
        # accepted before kinds had their own models, and still is.
        if not isinstance(data, dict):
            return data
        others = {key for section in KINDS.values() if cls in section
                  for model in section for key in model.model_fields}
        return {key: value for key, value in data.items()
                if value is not None or key in cls.model_fields or key not in others}

    @field_validator("path", mode="before", check_fields=False)
    @classmethod
    def _required_for_kind(cls, value: object, info: ValidationInfo) -> object:
        # `path:` with nothing after it is as missing as no `path:` at all (the other
        # required fields, kind aside, reject null with "must not be empty").
        field = cls.model_fields.get(info.field_name or "")
        if value is None and field is not None and field.is_required():
            raise ValueError(f"required for kind {cls.kind_name()!r}")
        return value


class GoogleBackend(Backend):
    """A backend at Google: signs in with the `google:` section."""

    # Accepted, and unused, as it always was: a config that named a folder for a Google
    # backend keeps loading.
    path: FilePath | None = None
    api_endpoint: Endpoint | None = None  # another server (an emulator) than Google's


class LocalCalendarConfig(Backend):
    """A folder of .ics files that syncd reads and writes."""

    kind: Literal["local"]
    path: FilePath


class FeedCalendarConfig(Backend):
    """A read-only iCalendar feed: a URL or a file."""

    kind: Literal["ics"]
    path: FilePath | None = None
    # A secret: kept out of repr, shown only through redact_url. Validated even when
    # absent, so a feed with neither url nor path is reported.
    url: FeedURL | None = Field(default=None, validate_default=True, repr=False)
    timeout: Annotated[Seconds, NullIsDefault] = DEFAULT_FEED_TIMEOUT  # connect, between bytes
    max_bytes: Annotated[ByteCount, NullIsDefault] = DEFAULT_FEED_MAX_BYTES

    @field_validator("url")
    @classmethod
    def _one_source(cls, url: str | None, info: ValidationInfo) -> str | None:
        if "path" in info.data:  # else path itself is wrong, and reported
            path = info.data["path"]
            if url is None and path is None:
                raise ValueError(f"required for kind {cls.kind_name()!r} (or set path)")
            if url is not None and path is not None:
                raise ValueError("give url or path, not both")
        return url


class GoogleCalendarConfig(GoogleBackend):
    """A Google calendar, read incrementally and written."""

    kind: Literal["google"]
    calendar_id: Annotated[Text, NullIsDefault] = DEFAULT_CALENDAR_ID


class CalDAVCalendarConfig(Backend):
    """A CalDAV calendar (Fastmail, Nextcloud, iCloud, Radicale …), read and written. The
    password itself is never here: only the file or environment variable that holds it."""

    kind: Literal["caldav"]
    url: CalDAVURL  # the server root, a principal, a calendar home or the calendar itself
    username: Text
    password: Refused = Field(default=None, repr=False)  # always refused
    password_file: FilePath | None = None
    # Validated even when absent: a CalDAV account needs one of the two.
    password_env: EnvName | None = Field(default=None, validate_default=True)
    calendar: Text | None = None  # display name, last path segment or URL; None: the only one

    @field_validator("password_env")
    @classmethod
    def _one_password(cls, env: str | None, info: ValidationInfo) -> str | None:
        if "password_file" not in info.data:  # else password_file itself is wrong
            return env
        if env is not None and info.data["password_file"] is not None:
            raise ValueError("give password_file or password_env, not both")
        if env is None and info.data["password_file"] is None:
            raise ValueError(f"required for kind {cls.kind_name()!r} (or set password_file)")
        return env


def _template_text(value: object, info: ValidationInfo) -> str:
    """`notes.templates.ROLE: FILE`: the file's text, read and checked at load (relative
    paths are taken from the config file's folder)."""
    base = info.context.get("base") if isinstance(info.context, dict) else None
    path = (Path(base or ".") / Path(non_empty(value)).expanduser()).resolve()
    try:
        return note_templates.load(path)
    except note_templates.TemplateError as exc:
        raise ValueError(str(exc)) from None


TemplateRole = Literal["report", "manager", "peer", "skip-level", "new-hire"]
TemplateText = Annotated[str, PlainValidator(_template_text)]


class MarkdownNotesConfig(Backend):
    """A folder of private Markdown files, one per person."""

    kind: Literal["markdown"]
    path: FilePath
    # The lead's own agenda templates: role (or new-hire) → the template's text.
    templates: dict[TemplateRole, TemplateText] | None = None


class GoogleDocsNotesConfig(GoogleBackend):
    """Private Google Docs, one per person."""

    kind: Literal["google-docs"]
    folder_id: Text | None = None  # the Drive folder for the Docs
    # Attach the Doc to the events (guests see its title).
    attach: Annotated[bool, NullIsDefault] = True
    templates: dict[TemplateRole, TemplateText] | None = None


def _strip_kind(value: object) -> object:
    if isinstance(value, dict) and isinstance(value.get("kind"), str):
        return {**value, "kind": value["kind"].strip()}
    return value


CalendarConfig = (LocalCalendarConfig | FeedCalendarConfig | GoogleCalendarConfig
                  | CalDAVCalendarConfig)
NotesConfig = MarkdownNotesConfig | GoogleDocsNotesConfig
# Each section's kinds, in the order messages list them.
KINDS: dict[str, tuple[type[Backend], ...]] = {
    "calendar": get_args(CalendarConfig),
    "notes": get_args(NotesConfig),
}


def kind_problem(section: str, raw: object) -> tuple[str, str]:
    """(field, message) for a backend section whose `kind` selects no backend."""
    if not isinstance(raw, dict) or "kind" not in raw:
        return "kind", "required"
    try:
        kind = non_empty(raw["kind"])
    except ValueError as exc:
        return "kind", str(exc)
    names = ", ".join(model.kind_name() for model in KINDS[section])
    return "kind", f"unsupported kind {kind!r} (expected: {names})"


def backend_of(section: str, kind: object) -> type[Backend] | None:
    """The backend model that `kind` selects in `section`, None when none does."""
    for model in KINDS[section]:
        if isinstance(kind, str) and model.kind_name() == kind.strip():
            return model
    return None


# --- sign-in and report -----------------------------------------------------------


class GoogleSettings(Section):
    """How syncd signs in to Google (`google:`)."""

    credentials: GoogleCredentials = DEFAULT_CREDENTIALS
    client_secrets: FilePath | None = None  # the OAuth client JSON, for `syncd auth login`
    service_account_file: FilePath | None = None
    subject: Email | None = None  # a user to act for, with domain-wide delegation
    token_uri: Endpoint | None = None  # where OAuth tokens are refreshed, when not Google's

    @field_validator("subject")
    @classmethod
    def _with_service_account(cls, subject: str | None, info: ValidationInfo) -> str | None:
        if subject is not None and info.data.get("credentials") != "service-account":
            raise ValueError("only with credentials: service-account")
        return subject


class EmailConfig(Section):
    """Where `syncd report --email` sends the report. The password itself is never here:
    only the file or environment variable that holds it."""

    to: list[Email]
    sender: Email = Field(alias="from")
    host: Text
    port: Port | None = None  # None: the usual port of `security`; see `server_port`
    security: Security = DEFAULT_SECURITY
    password: Refused = Field(default=None, repr=False)  # always refused
    password_file: FilePath | None = None
    password_env: EnvName | None = None
    # Validated even when absent: a password source without a user is reported here.
    user: Text | None = Field(default=None, validate_default=True)
    ca_file: FilePath | None = None  # a CA to trust besides the system's

    @property
    def server_port(self) -> int:
        """The SMTP port: the one given, else the usual one for `security`."""
        return self.port or DEFAULT_PORTS[self.security]

    @field_validator("to")
    @classmethod
    def _someone(cls, to: list[str]) -> list[str]:
        if not to:
            raise ValueError("must list at least one address")
        return list(dict.fromkeys(to))

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


class ReportConfig(Section):
    """The `report:` section."""

    email: EmailConfig | None = None


# --- time off and suggestions -----------------------------------------------------


def _holiday_places() -> dict[str, list[str]]:
    # Imported only for a config that asks for holidays: it costs start-up time.
    import holidays

    places: dict[str, list[str]] = holidays.list_supported_countries()
    return places


class HolidaysSection(Section):
    """`holidays:` — which public holidays pause the 1:1s."""

    country: Text  # ISO 3166 code for the `holidays` package
    subdivision: Text | None = None  # a state or province of it

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


class OutOfOfficeSection(Section):
    """`out_of_office:` — all-day events titled like this mean the lead is away."""

    title: Pattern


class MakeUpsSection(Section):
    """`makeups:` — whether reconcile and the service book make-ups for skipped 1:1s
    themselves (each sends the person an invitation)."""

    book: Literal["off", "auto"] = "off"
    within: Span = DEFAULT_MAKEUP_WITHIN  # how soon after the skipped slot it must be


class PreferencesEntry(Section):
    """`preferences:` — when `syncd suggest` may propose a 1:1 (the roster's, or a
    person's own on top of it)."""

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

    def over(self, below: Preferences) -> Preferences:
        """`below` with each key this entry sets replaced (the defaults are the core's)."""
        return dataclasses.replace(
            below, days=frozenset(self.days) if self.days is not None else below.days,
            earliest=self.earliest or below.earliest, latest=self.latest or below.latest,
            buffer=self.buffer if self.buffer is not None else below.buffer)


# --- the roster -------------------------------------------------------------------


class SlotEntry(Section):
    """`slot:` — when in the week (and which week of the month) a 1:1 happens."""

    day: Day
    time: TimeOfDay
    week: Week | None = None

    def slot(self) -> Slot:
        """The core's Slot."""
        return Slot(self.day, self.time, self.week)


def _auto_slot(value: object, handler: ValidatorFunctionWrapHandler) -> object:
    # `slot: auto` lets syncd choose; anything else is a slot (its errors stay a slot's).
    if isinstance(value, str) and value.strip().lower() == "auto":
        return "auto"
    return handler(value)


if TYPE_CHECKING:
    SlotOrAuto = SlotEntry | Literal["auto"] | None
else:
    SlotOrAuto = Annotated[SlotEntry | None, WrapValidator(_auto_slot)]


class ThenEntry(Section):
    """`then:` — the cadence a 1:1 switches to after its first phase."""

    after: PhaseSpan  # counted from the person's start (their `start:`, else their first 1:1)
    cadence: CadenceSpec

    def phase(self) -> Phase:
        """The core's Phase."""
        return Phase(self.after, self.cadence)


class RolloutSection(Section):
    """`rollout:` — how many new people's 1:1 series may start in one week."""

    max_new_per_week: int = Field(ge=1)


class PauseEntry(Section):
    """One of a person's `pauses:`."""

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


class Defaults(Section):
    """`defaults:` for every person who does not set their own."""

    cadence: CadenceSpec = DEFAULT_CADENCE_RULE
    duration: Duration = DEFAULT_DURATION
    slot: SlotOrAuto = None


class MatchEntry(Section):
    """`match:` for calendars without attendees."""

    emails: list[Email] | None = None
    title: Pattern | None = None


class PersonEntry(Section):
    """One entry of `people:`."""

    name: Text
    email: Email
    match: MatchEntry | None = None
    cadence: CadenceSpec | None = None
    slot: SlotOrAuto = None  # None: defaults.slot, else auto
    then: ThenEntry | None = None
    duration: Duration | None = None
    role: Role = "report"
    start: Date | None = None
    pauses: list[PauseEntry] | None = None
    active: bool = True
    preferences: PreferencesEntry | None = None
    onboarding_until: Date | None = None  # their 1:1s up to this day get the new-hire agenda

    def person(self, defaults: Defaults, preferences: Preferences) -> Person:
        """The core's Person, with what this entry leaves out taken from `defaults` and
        the roster's `preferences`."""
        slot = self.slot or defaults.slot
        cadence: Cadence = self.cadence or defaults.cadence
        return Person(
            name=self.name,
            email=self.email,
            cadence=cadence,
            slot=slot.slot() if isinstance(slot, SlotEntry) else None,
            auto_slot=not isinstance(slot, SlotEntry),
            then=self.then.phase() if self.then else None,
            duration=self.duration or defaults.duration,
            role=self.role,
            start=self.start,
            pauses=tuple(Pause(p.start, p.end, p.reason or "") for p in self.pauses or []),
            active=self.active,
            aliases=tuple(dict.fromkeys(self.match.emails or [])) if self.match else (),
            title_pattern=(self.match.title or "") if self.match else "",
            preferences=self.preferences.over(preferences) if self.preferences
            else preferences,
            onboarding_until=self.onboarding_until,
        )


class Config(Section):
    """A checked config file (from `load_config`)."""

    owner: OwnerSection
    timezone: Zone
    working_hours: Annotated[WorkingHours, NullIsDefault] = Field(default_factory=WorkingHours)
    calendar: Annotated[CalendarConfig, Field(discriminator="kind"),
                        BeforeValidator(_strip_kind)]
    notes: Annotated[NotesConfig, Field(discriminator="kind"), BeforeValidator(_strip_kind)]
    state_dir: FilePath | None = None  # None: see resolve_state_dir
    max_changes: int = Field(default=DEFAULT_MAX_CHANGES, ge=1)
    defaults: Annotated[Defaults, NullIsDefault] = Field(default_factory=Defaults)
    people: list[PersonEntry] | None
    report: ReportConfig | None = None  # the `report:` section, when the file has one
    google: Annotated[GoogleSettings, NullIsDefault] = Field(default_factory=GoogleSettings)
    holidays: HolidaysSection | None = None
    out_of_office: OutOfOfficeSection | None = None
    preferences: PreferencesEntry | None = None
    rollout: RolloutSection | None = None
    makeups: MakeUpsSection | None = None

    # Not in the file: where it was read from, and where each key sits in it.
    _source: Path = PrivateAttr(default=Path())
    _lines: Lines | None = PrivateAttr(default=None)

    def located(self, source: Path, lines: Lines) -> Config:
        """This config, remembering the file it came from and its line map."""
        self._source, self._lines = source, lines
        return self

    @property
    def source(self) -> Path:
        """The config file, as given to load_config."""
        return self._source

    @property
    def lines(self) -> Lines:
        """Where each key sits in the file, for messages about what the config points at."""
        assert self._lines is not None, "set by load_config"
        return self._lines

    @cached_property
    def roster(self) -> Roster:
        """The roster the core plans with."""
        below = self.preferences.over(Preferences()) if self.preferences else Preferences()
        return Roster(
            owner=Owner(self.owner.name, self.owner.email),
            timezone=self.timezone,
            people=tuple(entry.person(self.defaults, below) for entry in self.people or []),
            work_start=self.working_hours.start,
            work_end=self.working_hours.end,
            max_changes=self.max_changes,
            away_title=self.out_of_office.title if self.out_of_office else "",
            max_new_per_week=self.rollout.max_new_per_week if self.rollout else None,
        )

    @property
    def uses_google(self) -> bool:
        """True when the calendar or the notes live at Google."""
        return isinstance(self.calendar, GoogleBackend) or isinstance(self.notes, GoogleBackend)

    @property
    def attach_notes(self) -> bool:
        """Whether the notes link goes into event attachments (Google calendars)."""
        return not isinstance(self.notes, GoogleDocsNotesConfig) or self.notes.attach

