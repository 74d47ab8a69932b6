"""A read-only ICS feed (an http(s)/webcal URL or a local file) as a calendar source.

Feeds are whole-calendar exports: tens of megabytes and tens of thousands of
events, almost none of them 1:1s. Parsing all of that with icalendar costs
seconds and hundreds of megabytes on every run, so the raw text is pre-filtered
first: only the calendar's own properties, its time zones and the events that
can concern the roster (`core/relevance.py`) and can still matter are kept and parsed
(`calendars/prefilter.py`): a one-off event that ended days before the read window
cannot (recurring ones are kept whole, as their start sets a person's cadence phase).
An unchanged feed (HTTP 304, or the same bytes) is not parsed again: the Series
converted last time are kept with the cache, for a window a week wider than the one
read.

The feed URL is a secret (its path usually grants access): messages and `name`
show it only through redact_url.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, TypeVar

import icalendar

from syncd.calendars.base import FEED_MAX_BYTES, FEED_TIMEOUT, CalendarError
from syncd.calendars.codec import dump_cache, dump_series, load_cache, load_series
from syncd.calendars.ical import check_depth, series_from_calendar, twin_masters
from syncd.calendars.prefilter import prefilter, without_past_overrides, without_unread_lines
from syncd.calendars.window import within, zone_named
from syncd.core.model import Person, Series
from syncd.core.relevance import Relevance
from syncd.redact import redact_url

if TYPE_CHECKING:
    from syncd.calendars.feedhttp import FeedHTTP

# More than any UTC offset between a date as written and the window's UTC date.
_MARGIN = dt.timedelta(days=2)
# Converted Series are kept for a window this much longer than the one read, so the
# next runs (whose window has moved on by minutes or days) reuse them.
_AHEAD = dt.timedelta(days=7)
_T = TypeVar("_T")


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
            body = fetched.body

            def keep() -> tuple[bytes, dict[str, str]]:
                return prefilter(body, self._wanted, self._label(), self.name, since)

            if self.cache.kept:  # the digest says whether anything is new
                digest = hashlib.sha256(body).hexdigest()
                self.not_modified = digest == self.cache.sha256
                filtered = None if self.not_modified else keep()
            else:  # filtered whatever its digest, which is computed meanwhile
                filtered, digest = _hashed_beside(keep, body)
                self.not_modified = False
            if filtered is not None:
                kept, etags = filtered
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
            calendar = parsed_for(self.cache.kept.encode(),
                                  start.astimezone(dt.UTC).date() - _MARGIN)
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
            _, etags = prefilter(self.cache.kept.encode(), self._wanted, self._label(),
                                  self.name, since)
        series = series_from_calendar(
            calendar, start, end, self._default, lambda uid: etags.get(uid, digest)
        )
        return tuple(sorted(series, key=lambda s: s.uid))


def parsed_for(kept: bytes, since: dt.date) -> icalendar.Component:
    """The kept text parsed for a read of the meetings from the day `since` on, without
    what cannot change them: the overrides they are past, and the lines nothing reads
    (see calendars/prefilter.py). Two masters of one UID are compared whole (see
    ical._ambiguous): with such a UID, the text is parsed with every line. Raises what
    icalendar and check_depth raise."""
    text = without_past_overrides(kept, since)
    calendar = _parsed(without_unread_lines(text))
    if twin_masters(calendar):  # compared whole: with every line
        calendar = _parsed(text)
    return calendar


def _parsed(text: bytes) -> icalendar.Component:
    calendar = icalendar.Calendar.from_ical(text)
    # Before anything walks or serialises the components (see check_depth).
    check_depth(calendar)
    return calendar


def _hashed_beside(work: Callable[[], _T], body: bytes) -> tuple[_T, str]:
    """What work() returns, and the SHA-256 of `body` (hex) computed at the same time in a
    thread: hashlib lets go of the GIL for long buffers, so with a second core a big
    feed's hash costs no time."""
    digest: list[str] = []
    thread = threading.Thread(target=lambda: digest.append(hashlib.sha256(body).hexdigest()))
    thread.start()
    try:
        result = work()
    finally:
        thread.join()
    return result, digest[0]


@dataclass(frozen=True)
class _Fetched:
    body: bytes | None  # None: not modified since the cached read
    etag: str
    last_modified: str
