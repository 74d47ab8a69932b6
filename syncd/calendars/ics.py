"""A read-only ICS feed (an http(s)/webcal URL or a local file) as a calendar source.

Feeds are whole-calendar exports: tens of megabytes and tens of thousands of
events, almost none of them 1:1s. Parsing all of that with icalendar costs
seconds and hundreds of megabytes on every run, so the raw text is pre-filtered
first: only the calendar's own properties, its time zones and the events that
can concern the roster (`core/relevance.py`) and can still matter are kept and parsed:
a one-off event that ended days before the read window cannot (recurring ones
are kept whole, as their start sets a person's cadence phase). An unchanged feed
(HTTP 304, or the same bytes) is not parsed again: the Series converted last time
are kept with the cache, for a window a week wider than the one read.

The feed URL is a secret (its path usually grants access): messages and `name`
show it only through redact_url.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import icalendar

from syncd.calendars.base import FEED_MAX_BYTES, FEED_TIMEOUT, CalendarError
from syncd.calendars.codec import dump_cache, dump_series, load_cache, load_series
from syncd.calendars.ical import (
    MARKER_PROP,
    OOF_PROP,
    check_depth,
    series_from_calendar,
    within,
    zone_named,
)
from syncd.core.model import Person, Series
from syncd.core.relevance import Relevance, addresses
from syncd.redact import redact_url

if TYPE_CHECKING:
    from syncd.calendars.feedhttp import FeedHTTP

_FOLD = re.compile(rb"\r?\n[ \t]")
# The only lines the pre-filter needs, with their continuation lines; everything else
# is copied without a look (and without unfolding: icalendar unfolds what is kept).
_LINE = re.compile(
    rb"^(BEGIN|END|UID|ATTENDEE|ORGANIZER|SUMMARY|DTSTART|DTEND|DURATION|RECURRENCE-ID|RRULE|"
    rb"RDATE|" + MARKER_PROP.encode() + rb"|" + OOF_PROP.encode() + rb")"
    rb"([;:][^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)",
    re.MULTILINE | re.IGNORECASE,
)
# Bounded repeats: with `+`, a 100k-character run without a delimiter is rescanned from
# each of its characters (quadratic: 40 s for one long CN). No address part is longer.
# A property's parameters up to the colon that ends them (quoted values may hold colons;
# an unterminated quote runs to the end of the line: no value). Possessive, so a long
# line without a colon is scanned once.
_PARAMS = re.compile(rb'(?:[^":]++|"[^"]*+")*+:')
_ESCAPED = re.compile(r"\\([\\;,nN])")
_DATE = re.compile(rb"(\d{4})(\d{2})(\d{2})")
_DAYS = re.compile(rb"(\d+)([WDTHMS])")
# More than any UTC offset between a date as written and the window's UTC date.
_MARGIN = dt.timedelta(days=2)
# Converted Series are kept for a window this much longer than the one read, so the
# next runs (whose window has moved on by minutes or days) reuse them.
_AHEAD = dt.timedelta(days=7)


@dataclass(frozen=True)
class FeedCache:
    """What is remembered about a feed between reads (the caller stores it in state)."""

    VERSION: ClassVar[int] = 2  # bump when the fields change: an older cache is dropped

    etag: str = ""  # HTTP ETag of the last body parsed
    last_modified: str = ""  # HTTP Last-Modified of the last body parsed
    sha256: str = ""  # of the whole body last parsed
    kept: str = ""  # the pre-filtered ICS text (only relevant components) last parsed
    etags: str = ""  # JSON: UID → hash of its VEVENTs' text in the feed (the series' etag)
    since: str = ""  # ISO date: one-off events that ended before it were left out of `kept`
    series: str = ""  # the Series converted from `kept` (syncd.calendars.codec JSON)
    series_from: str = ""  # ISO datetime: the window `series` holds instances for
    series_to: str = ""
    # Who was relevant (and the zone floating times were read in) when `kept` was
    # filtered: a roster that gains a person needs events the kept text left out.
    wanted: str = ""

    def to_json(self) -> str:
        """For the state's key-value table."""
        return dump_cache(self.VERSION, asdict(self))

    @classmethod
    def from_json(cls, text: str) -> FeedCache | None:
        """The cache `to_json` wrote; None (no cache) when it is of another version."""
        data = load_cache(text, cls.VERSION)
        if data is None or set(data) != {f.name for f in fields(cls)}:
            return None
        return cls(**{key: str(value) for key, value in data.items()})


def http_url(url: str) -> str:
    """The URL to fetch: webcal:// is read as https://; other than http(s) is refused."""
    scheme, sep, rest = url.strip().partition("://")
    if sep and scheme.lower() == "webcal":
        return f"https://{rest}"
    if sep and scheme.lower() in ("http", "https"):
        return url.strip()
    raise CalendarError("only http(s) and webcal URLs are accepted; use path: for a local file")


class ICSFeed:
    """An ICS feed read over HTTP or from a file; read-only (a CalendarSource)."""

    def __init__(
        self,
        *,
        url: str | None,
        path: Path | None,
        default_timezone: str,
        people: Sequence[Person],
        owner_email: str,
        timeout: float = FEED_TIMEOUT,
        max_bytes: int = FEED_MAX_BYTES,
        cache: FeedCache | None = None,
        away_title: str = "",
        everyone: bool = False,
    ) -> None:
        """Read the feed at exactly one of `url` or `path`, keeping events that concern `people`
        (with `everyone`, every event naming someone besides the owner: `syncd init`).

        Floating and all-day times are read in `default_timezone` unless the feed
        names its own zone (X-WR-TIMEZONE). `cache` is what an earlier process
        learned about the feed; `self.cache` holds the current one after each read.
        """
        if (url is None) == (path is None):
            raise CalendarError("an ics feed needs exactly one of url or path")
        zone = zone_named(default_timezone)
        if zone is None:
            raise CalendarError(f"unknown time zone {default_timezone!r}")
        self._url = http_url(url) if url is not None else None
        self._path = path
        self.name = f"ics feed {redact_url(self._url)}" if self._url else f"ics file {path}"
        self._default = zone
        self._wanted = Relevance.of(people, owner_email, away_title, everyone=everyone)
        self._timeout = timeout
        self._max_bytes = max_bytes
        # Floating times are read in the default zone: it is part of what the cache holds.
        self._fingerprint = f"{self._wanted.fingerprint} {zone.key}"
        self.cache = cache if cache is not None and cache.wanted == self._fingerprint \
            else FeedCache(wanted=self._fingerprint)
        self.not_modified = False
        self._http: FeedHTTP | None = None  # opened by the first fetch of a URL
        self._loaded: tuple[str, tuple[Series, ...]] | None = None  # decoded cache.series

    def cache_json(self) -> str:
        """What the last read learned (validators, converted series), for the next run."""
        return self.cache.to_json()

    def read(self, start: dt.datetime, end: dt.datetime) -> tuple[Series, ...]:
        """The feed's relevant events with their instances between start and end (aware).

        Raises CalendarError when the feed cannot be fetched or read completely.
        """
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("read needs timezone-aware start and end")
        since = start.astimezone(dt.UTC).date() - _MARGIN
        if self.cache.since and since < dt.date.fromisoformat(self.cache.since):
            # The kept text lacks what this earlier window needs: fetch and filter anew.
            self.cache = FeedCache(wanted=self._fingerprint)
        fetched = self._fetch_url() if self._url is not None else self._fetch_file()
        if fetched.body is None:
            self.not_modified = True
        else:
            digest = hashlib.sha256(fetched.body).hexdigest()
            self.not_modified = digest == self.cache.sha256 and bool(self.cache.kept)
            if not self.not_modified:
                kept, etags = _prefilter(fetched.body, self._wanted, self._label(), self.name,
                                         since)
                self.cache = FeedCache(sha256=digest, kept=kept.decode("utf-8", "replace"),
                                       etags=json.dumps(etags, separators=(",", ":")),
                                       since=since.isoformat(), wanted=self._fingerprint)
        self.cache = replace(
            self.cache,
            etag=fetched.etag or self.cache.etag,
            last_modified=fetched.last_modified or self.cache.last_modified,
        )
        series = self._converted(start, end)
        return tuple(within(s, start, end) for s in series)

    def _converted(self, start: dt.datetime, end: dt.datetime) -> tuple[Series, ...]:
        """Series with instances for a window holding [start, end): the cached ones if
        they cover it, else freshly parsed from the kept text (and cached)."""
        cache = self.cache
        if (cache.series and dt.datetime.fromisoformat(cache.series_from) <= start
                and end <= dt.datetime.fromisoformat(cache.series_to)):
            if self._loaded is None or self._loaded[0] != cache.series:
                loaded = load_series(cache.series)
                self._loaded = (cache.series, loaded) if loaded is not None else None
            if self._loaded is not None:
                return self._loaded[1]
        until = end + _AHEAD
        series = self._series(start, until)
        text = dump_series(series)
        if text is not None:
            self.cache = replace(cache, series=text, series_from=start.isoformat(),
                                 series_to=until.isoformat())
            self._loaded = (text, series)
        return series

    # --- fetching ------------------------------------------------------------

    def _fetch_url(self) -> _Fetched:
        assert self._url is not None
        if self._http is None:
            # Imported here: a feed read from a file never loads requests.
            from syncd.calendars.feedhttp import FeedHTTP

            self._http = FeedHTTP(self._url, self.name, self._timeout, self._max_bytes)
        got = self._http.get(self.cache.etag, self.cache.last_modified,
                             conditional=bool(self.cache.kept))
        return _Fetched(got.body, got.etag, got.last_modified)

    def _fetch_file(self) -> _Fetched:
        assert self._path is not None
        try:
            with self._path.open("rb") as stream:
                body = stream.read(self._max_bytes + 1)
        except OSError as exc:
            raise CalendarError(f"{self.name}: cannot read: {exc.strerror or exc}") from None
        if len(body) > self._max_bytes:
            raise CalendarError(f"{self.name}: larger than {self._max_bytes} bytes")
        return _Fetched(body, "", "")

    def _label(self) -> str:
        """What UIDs given to events without one start with."""
        return self._path.name if self._path is not None else "feed"

    # --- parsing -------------------------------------------------------------

    def _series(self, start: dt.datetime, end: dt.datetime) -> tuple[Series, ...]:
        digest = self.cache.sha256
        try:
            calendar = icalendar.Calendar.from_ical(self.cache.kept)
            # Before anything walks or serialises the components (see check_depth).
            check_depth(calendar)
        except Exception as exc:
            raise CalendarError(
                f"{self.name}: not a valid calendar: {type(exc).__name__}: "
                f"{' '.join(str(exc).split())[:160]}"
            ) from None
        if not isinstance(calendar, icalendar.Calendar):
            raise CalendarError(f"{self.name}: truncated or not a calendar")
        if self.cache.etags:
            etags: dict[str, str] = json.loads(self.cache.etags)
        else:  # kept text remembered without them: the same scan of it gives them
            since = dt.date.fromisoformat(self.cache.since) if self.cache.since else dt.date.min
            _, etags = _prefilter(self.cache.kept.encode(), self._wanted, self._label(),
                                  self.name, since)
        series = series_from_calendar(
            calendar, start, end, self._default, lambda uid: etags.get(uid, digest)
        )
        return tuple(sorted(series, key=lambda s: s.uid))


@dataclass(frozen=True)
class _Fetched:
    body: bytes | None  # None: not modified since the cached read
    etag: str
    last_modified: str


# --- the pre-filter ------------------------------------------------------------


@dataclass
class _Event:
    """One top-level VEVENT while it is scanned."""

    begin: int  # offset of its BEGIN line
    uid: str = ""
    relevant: bool = False
    recurring: bool = False  # has an RRULE or RDATE
    last: dt.date = dt.date.min  # the latest date it names (start, end, recurrence id)
    start: dt.date = dt.date.min
    span: dt.timedelta = dt.timedelta(0)  # its DURATION, in whole days rounded up

    def over_before(self, since: dt.date) -> bool:
        """True when a one-off event surely ended before the day `since`."""
        if self.recurring or self.start >= since:
            return False
        return max(self.last, self.start + self.span) < since


@dataclass
class _Scan:
    header: list[bytes] = field(default_factory=list)
    timezones: list[bytes] = field(default_factory=list)
    groups: dict[str, list[bytes]] = field(default_factory=dict)  # uid → its VEVENTs
    relevant: set[str] = field(default_factory=set)
    current: set[str] = field(default_factory=set)  # recurring, or not over before `since`


def _not_utf8_text(body: bytes) -> str | None:
    """What the body is when it is plainly not UTF-8 iCalendar text, so the error can say so
    rather than "truncated": UTF-16 (a BOM, or NUL bytes between the letters of BEGIN) or a
    gzip stream the server sent without Content-Encoding (which urllib3 would have undone)."""
    head = body[:64]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"B\x00E\x00G\x00I\x00N" in head \
            or b"\x00B\x00E\x00G\x00I\x00N" in head:
        return ("UTF-16 text; iCalendar is UTF-8 (RFC 5545 section 3.1.4): export or serve "
                "the calendar as UTF-8")
    if head.startswith(b"\x1f\x8b"):
        return ("gzip-compressed data sent without a Content-Encoding: gzip header; serve the "
                "plain .ics, or the header with it")
    return None


def _prefilter(text: bytes, wanted: Relevance, label: str, name: str,
               since: dt.date) -> tuple[bytes, dict[str, str]]:
    """The feed reduced to its header, time zones and relevant UID groups, as ICS text,
    and each kept UID's etag (a hash of its VEVENTs' text: serialising them again to
    hash them costs more than parsing them).

    A UID group (master and overrides) is kept whole when any of its VEVENTs is
    relevant (overrides often lack attendees) and it is recurring or names a date
    on or after `since`. A VEVENT without UID gets the UID "<label>#<n>" (n counts
    every VEVENT from 1), as LocalCalendar names them.
    """
    if (why := _not_utf8_text(text)) is not None:
        raise CalendarError(f"{name}: {why}")
    scan = _Scan()
    stack: list[bytes] = []
    gap = 0  # where text between top-level components (calendar properties) starts
    component = 0  # where the current top-level component starts
    event: _Event | None = None
    events = 0
    finished = False
    for match in _LINE.finditer(text):
        what = match.group(1).upper()
        if what in (b"BEGIN", b"END"):
            kind = _unfold(match.group(2))[1:].strip().upper()
            if finished:
                raise CalendarError(f"{name}: more than one VCALENDAR")
            if what == b"BEGIN":
                if not stack and kind != b"VCALENDAR":
                    break
                if len(stack) == 1:
                    scan.header.append(text[gap:match.start()])
                    component = match.start()
                    if kind == b"VEVENT":
                        events += 1
                        event = _Event(match.start())
                elif not stack:
                    gap = match.start()
                stack.append(kind)
                continue
            if not stack or stack[-1] != kind:
                raise CalendarError(f"{name}: END:{kind.decode(errors='replace')} "
                                    "without its BEGIN (truncated or not a calendar)")
            stack.pop()
            end = _after_line(text, match.end())
            if len(stack) == 1:
                if kind == b"VTIMEZONE":
                    scan.timezones.append(text[component:end])
                elif event is not None:
                    _keep(scan, text, event, end, label, events, since)
                event = None
                gap = end
            elif not stack:
                scan.header.append(text[gap:end])
                finished = True
        elif event is not None and len(stack) == 2:
            _look(event, what, _unfold(match.group(2)), wanted)
    if not finished:
        raise CalendarError(f"{name}: truncated or not a calendar")
    groups = {uid: chunks for uid, chunks in scan.groups.items()
              if uid in scan.relevant and uid in scan.current}
    kept = [*scan.header[:-1], *scan.timezones]
    kept += [chunk for chunks in groups.values() for chunk in chunks]
    kept.append(scan.header[-1])
    etags = {uid: hashlib.sha256(b"".join(chunks)).hexdigest() for uid, chunks in groups.items()}
    return b"".join(kept), etags


def _look(event: _Event, what: bytes, rest: bytes, wanted: Relevance) -> None:
    """Note what one property line of a top-level VEVENT (`rest`: after its name) says."""
    if what == b"UID":
        event.uid = _unescape(_value(rest).decode("utf-8", "replace")).strip()
    elif what in (b"ATTENDEE", b"ORGANIZER"):
        event.relevant = event.relevant or wanted.concerns(
            people=addresses(rest.decode("utf-8", "replace")))
    elif what == b"SUMMARY":
        event.relevant = event.relevant or wanted.concerns(
            title=_unescape(_value(rest).decode("utf-8", "replace")))
    elif what in (b"RRULE", b"RDATE"):
        event.recurring = True
    elif what == b"DURATION":
        event.span = _days(_value(rest))
    elif what == b"DTSTART":
        event.start = _date(_value(rest))
        event.last = max(event.last, event.start)
    elif what in (b"DTEND", b"RECURRENCE-ID"):
        event.last = max(event.last, _date(_value(rest)))
    elif what == OOF_PROP.encode():
        event.relevant = event.relevant or wanted.concerns(
            out_of_office=_value(rest).strip().upper() == b"OOF")
    else:
        event.relevant = wanted.concerns(marked=True)  # a syncd marker


def _date(value: bytes) -> dt.date:
    """The date a DATE or DATE-TIME value starts with; unreadable ones count as never over."""
    found = _DATE.match(value.strip())
    try:
        return dt.date(*(int(part) for part in found.groups())) if found else dt.date.max
    except ValueError:
        return dt.date.max


def _days(value: bytes) -> dt.timedelta:
    """At least the days a DURATION value spans (rounded up); its sign is ignored."""
    days = 0
    for number, unit in _DAYS.findall(value.upper()):
        days += int(number) * (7 if unit == b"W" else 1 if unit == b"D" else 0)
        if unit in b"HMS":
            days += 1
    return dt.timedelta(days=min(days, 36_500))


def _keep(
    scan: _Scan, text: bytes, event: _Event, end: int, label: str, number: int, since: dt.date
) -> None:
    chunk = text[event.begin:end]
    uid = event.uid
    if not uid:
        uid = f"{label}#{number}"
        first = _after_line(chunk, 0)
        chunk = chunk[:first] + b"UID:" + uid.encode() + b"\r\n" + chunk[first:]
    scan.groups.setdefault(uid, []).append(chunk)
    if event.relevant:
        scan.relevant.add(uid)
    if not event.over_before(since):
        scan.current.add(uid)


def _value(rest: bytes) -> bytes:
    """The value of a property line from the character after its name."""
    return _after_params(rest[1:]) if rest[:1] == b";" else rest[1:]


def _unfold(line: bytes) -> bytes:
    return _FOLD.sub(b"", line) if b"\n" in line else line


def _after_params(rest: bytes) -> bytes:
    found = _PARAMS.match(rest)
    return rest[found.end():] if found else b""


def _after_line(text: bytes, position: int) -> int:
    newline = text.find(b"\n", position)
    return len(text) if newline < 0 else newline + 1


def _unescape(value: str) -> str:
    return _ESCAPED.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)
