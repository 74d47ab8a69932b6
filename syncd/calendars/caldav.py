"""CalDAV (RFC 4791) as a read/write calendar: Fastmail, Nextcloud, iCloud, Radicale …

python-caldav carries the HTTP (session, authentication, XML parsing) and finds the
calendar from a server root or principal; the requests that decide correctness and cost
are written here so each one is known:

- Reading: the first run reads the window (and a month beyond, so the following daily
  runs can reuse it) with one time-range calendar-query REPORT, after a PROPFIND that
  checks the URL is a calendar and takes its sync token and ctag. Later runs ask what
  changed: an RFC 6578 sync-collection REPORT with the token kept in state (one request
  when nothing did), else the ctag (one PROPFIND), then the changed resources in one
  calendar-multiget. A failed, partial or unparsable answer is an error, never an empty
  calendar. As with Google, only the events that can concern the roster (its people's
  addresses, title patterns, syncd's marker) are kept in state; the others are
  remembered by etag only, and a changed roster reads the window again.
- Writing: a series is one resource (master plus a person's overrides), written with the
  local calendar's VEVENT. A create is a PUT with If-None-Match: * (an existing resource
  answers 412: already made by an earlier run); a change is a PUT of the resource with
  only its master changed and If-Match: a 412 means the person changed it meanwhile, so
  nothing is written and the next run plans again from what they did.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import quote, unquote, urljoin, urlsplit
from xml.sax.saxutils import escape

from caldav.davclient import DAVClient
from caldav.lib import error as dav_error

from syncd.calendars import resource
from syncd.calendars.base import AccessError, CalendarError, ConflictError
from syncd.calendars.codec import dump_cache, load_cache
from syncd.calendars.ical import MARKER_PROP, OOF_PROP
from syncd.calendars.window import zone_named
from syncd.core.model import Person, Series, SeriesPatch, SeriesSpec
from syncd.core.relevance import Relevance, addresses

DAV = "{DAV:}"
CAL = "{urn:ietf:params:xml:ns:caldav}"
CS = "{http://calendarserver.org/ns/}"
# A full read reaches this far past the window, so a month of daily runs reuse it.
SPAN = dt.timedelta(days=31)
_XML = '<?xml version="1.0" encoding="utf-8"?>'
_NS = 'xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"'
_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]")
_FOLD = re.compile(r"\r?\n[ \t]")
_SAFE = "/@:!$&'()*+,;="  # what stays as it is in a canonical URL path (RFC 3986 pchar)


@dataclasses.dataclass(frozen=True)
class DavCache:
    """What earlier runs learned: where the calendar is, its sync token or ctag, and the
    resources read (href → (etag, iCalendar text)) for the span [start, end)."""

    url: str = ""
    token: str = ""
    ctag: str = ""
    start: str = ""
    end: str = ""
    resources: Mapping[str, tuple[str, str]] = dataclasses.field(default_factory=dict)
    roster: str = ""  # fingerprint of who was relevant when the resources were kept
    skipped: Mapping[str, str] = dataclasses.field(default_factory=dict)  # href → etag
    # Resources syncd wrote after the token was issued. A server may leave out of the next
    # sync one that was made and deleted since the token (RFC 6578 3.5.1), so one of these
    # the sync does not list is gone.
    written: tuple[str, ...] = ()

    VERSION: ClassVar[int] = 1  # bump when the shape changes: an older cache is dropped

    def covers(self, start: dt.datetime, end: dt.datetime) -> bool:
        """Whether the resources kept were read for a span holding [start, end)."""
        if not self.start or not self.end:
            return False
        return (dt.datetime.fromisoformat(self.start) <= start
                and end <= dt.datetime.fromisoformat(self.end))

    def to_json(self) -> str:
        """For the state's key-value table."""
        return dump_cache(self.VERSION, dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> DavCache | None:
        """The cache `to_json` wrote; None (no cache: read the window again) when it is of
        another version."""
        data = load_cache(text, cls.VERSION)
        if data is None:
            return None
        try:
            return cls(**{**data, "written": tuple(data["written"]), "resources": {
                k: (str(v[0]), str(v[1])) for k, v in data["resources"].items()}})
        except (KeyError, TypeError, IndexError, AttributeError):
            return None


class CalDAVCalendar:
    """One calendar collection on a CalDAV server."""

    def __init__(
        self, client: DAVClient, *, calendar: str | None, default_timezone: str,
        people: Sequence[Person], owner_email: str, away_title: str = "",
        cache: DavCache | None = None,
    ) -> None:
        """`client` is logged in at the configured URL; `calendar` is a display name, a
        URL, or None for the account's only calendar; `people` (and `away_title`, for
        the lead's time off) decide which events are kept."""
        zone = zone_named(default_timezone)
        if zone is None:
            raise CalendarError(f"unknown time zone {default_timezone!r}")
        self.client = client
        host = urlsplit(str(client.url)).netloc
        self.name = f"caldav calendar on {host}"
        self._wanted = calendar
        self._zone = zone
        self.cache = cache or DavCache()
        self._hrefs: dict[str, str] = {}  # series uid → href, from the last read
        self._relevance = Relevance.of(people, owner_email, away_title)

    def cache_json(self) -> str:
        """The cache as of the last read (and this run's writes), for the state."""
        return self.cache.to_json()

    # --- requests ---------------------------------------------------------------------

    def _send(self, method: str, url: str, body: str = "",
              headers: Mapping[str, str] | None = None) -> Any:
        """One request; every failure below HTTP becomes a CalendarError."""
        try:
            return self.client.request(url, method, body, dict(headers or {}))
        except dav_error.AuthorizationError as exc:
            if exc.status == 401:
                raise AccessError(f"{self.name}: the server refused the username or "
                                  "password (HTTP 401)") from None
            if "{DAV:}valid-sync-token" in exc.preconditions:
                raise _StaleToken from None
            raise CalendarError(f"{self.name}: {method} refused (HTTP 403)") from None
        except Exception as exc:
            raise CalendarError(f"{self.name}: {method} failed: "
                                f"{type(exc).__name__}: {_short(exc)}") from None

    def _multistatus(self, method: str, url: str, body: str,
                     headers: Mapping[str, str]) -> Any:
        """The parsed 207 answer to a PROPFIND or REPORT."""
        response = self._send(method, url, body, {"Content-Type": "application/xml; "
                                                  "charset=utf-8", **headers})
        tree = getattr(response, "tree", None)
        # RFC 6578 3.2 says 403 (or 409); Xandikos answers 412, with the same body.
        if response.status in (403, 409, 412) and _precondition(tree, "valid-sync-token"):
            raise _StaleToken
        if response.status == 404:
            raise CalendarError(f"{self.name}: {_path(url)} is gone (HTTP 404)")
        if response.status != 207 or tree is None or tree.tag != DAV + "multistatus":
            kind = response.headers.get("Content-Type", "no content type")
            raise CalendarError(f"{self.name}: {_path(url)} did not answer like a CalDAV "
                                f"server (HTTP {response.status}, {kind.split(';')[0]})")
        return tree

    # --- finding the calendar ---------------------------------------------------------

    def _collection(self) -> str:
        if self.cache.url:
            return self.cache.url
        wanted = self._wanted
        if wanted and "://" in wanted:
            return _canonical(_folder(wanted))
        base = str(self.client.url)
        props = self._props(base)
        if props.calendar:
            if wanted and wanted not in (props.name, _last(base)):
                raise CalendarError(f"{self.name}: {_path(base)} is the calendar "
                                    f"{props.name!r}, not {wanted!r}")
            return _canonical(_folder(base))
        try:
            calendars = self.client.get_principal().get_calendars()
            assert isinstance(calendars, list)  # the synchronous client
            found = [(str(c.url), str(c.get_display_name() or _last(str(c.url))))
                     for c in calendars]
        except dav_error.AuthorizationError as exc:
            if exc.status == 401:
                raise AccessError(f"{self.name}: the server refused the username or "
                                  "password (HTTP 401)") from None
            raise CalendarError(f"{self.name}: finding the calendars refused "
                                f"(HTTP {exc.status})") from None
        except Exception as exc:
            raise CalendarError(f"{self.name}: no CalDAV calendars found at {_path(base)}: "
                                f"{type(exc).__name__}: {_short(exc)}") from None
        names = ", ".join(repr(name) for _, name in found) or "none"
        if wanted is None:
            if len(found) != 1:
                raise CalendarError(f"{self.name}: the account has several calendars "
                                    f"({names}); name one with calendar:")
            return _canonical(_folder(found[0][0]))
        chosen = [url for url, name in found if wanted in (name, _last(url))]
        if len(chosen) != 1:
            why = "no" if not chosen else "more than one"
            raise CalendarError(f"{self.name}: {why} calendar named {wanted!r} (the account "
                                f"has {names})")
        return _canonical(_folder(chosen[0]))

    def _props(self, url: str) -> _Props:
        body = (f'{_XML}<D:propfind {_NS} xmlns:CS="http://calendarserver.org/ns/"><D:prop>'
                "<D:resourcetype/><D:displayname/><D:sync-token/><CS:getctag/>"
                "</D:prop></D:propfind>")
        tree = self._multistatus("PROPFIND", url, body, {"Depth": "0"})
        props = _Props()
        for prop in _ok_props(tree):
            kinds = prop.find(DAV + "resourcetype")
            if kinds is not None and kinds.find(CAL + "calendar") is not None:
                props.calendar = True
            props.name = _text(prop, DAV + "displayname") or props.name
            props.token = _text(prop, DAV + "sync-token") or props.token
            props.ctag = _text(prop, CS + "getctag") or props.ctag
        return props

    # --- reading ----------------------------------------------------------------------

    def read(self, start: dt.datetime, end: dt.datetime) -> tuple[Series, ...]:
        """Every event with its instances between start and end (aware).

        Raises CalendarError when any part of the read fails.
        """
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("read needs timezone-aware start and end")
        url = self._collection()
        cache = self.cache
        fresh: DavCache | None = None
        if cache.covers(start, end) and cache.roster == self._relevance.fingerprint:
            try:
                fresh = self._changes(cache)
            except _StaleToken:
                fresh = None  # the server forgot the token: read the window again
        if fresh is None:
            fresh = self._full(url, start, end + SPAN)
        self.cache = fresh
        return self._series(start, end)

    def _full(self, url: str, start: dt.datetime, end: dt.datetime) -> DavCache:
        props = self._props(url)
        if not props.calendar:
            raise CalendarError(f"{self.name}: {_path(url)} is not a calendar")
        body = (f"{_XML}<C:calendar-query {_NS}><D:prop><D:getetag/><C:calendar-data/>"
                f'</D:prop><C:filter><C:comp-filter name="VCALENDAR">'
                f'<C:comp-filter name="VEVENT"><C:time-range start="{_utc(start)}" '
                f'end="{_utc(end)}"/></C:comp-filter></C:comp-filter></C:filter>'
                "</C:calendar-query>")
        tree = self._multistatus("REPORT", url, body, {"Depth": "1"})
        resources, skipped = self._sort(self._objects(tree, url))
        return DavCache(url, props.token, props.ctag, start.isoformat(), end.isoformat(),
                        resources, self._relevance.fingerprint, skipped)

    def _sort(self, found: Iterable[tuple[str, tuple[str, str]]],
              ) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
        """What was read, split into the resources kept and the etags of the others."""
        kept: dict[str, tuple[str, str]] = {}
        skipped: dict[str, str] = {}
        for href, (etag, data) in found:
            if self._relevant(data):
                kept[href] = (etag, data)
            else:
                skipped[href] = etag
        return kept, skipped

    def _relevant(self, data: str) -> bool:
        """Whether a resource can concern the roster, judged on its text without parsing it:
        an address anywhere, a title pattern anywhere (the text stands for its titles), the
        marker or the lead's out-of-office status anywhere in it."""
        text = _FOLD.sub("", data)  # an address may be folded across two lines
        lower = text.lower()
        return self._relevance.concerns(
            people=addresses(text), title=text, marked=MARKER_PROP.lower() in lower,
            out_of_office=f"{OOF_PROP.lower()}:oof" in lower)

    def _changes(self, cache: DavCache) -> DavCache:
        """The cache brought up to date by what changed since it was made."""
        resources = dict(cache.resources)
        skipped = dict(cache.skipped)
        if cache.token:
            token, changed, gone = self._sync(cache.url, cache.token)
            gone |= {h for h in cache.written if h not in changed}
            ctag = cache.ctag
        else:
            props = self._props(cache.url)
            if props.ctag and props.ctag == cache.ctag:
                return cache
            if not props.calendar:
                raise CalendarError(f"{self.name}: {_path(cache.url)} is not a calendar")
            token, ctag = props.token, props.ctag
            changed, gone = self._etags(cache)
        known = {**skipped, **{h: etag for h, (etag, _) in resources.items()}}
        stale = [h for h, etag in changed.items() if known.get(h) != etag]
        fetched = self._multiget(cache.url, stale) if stale else {}
        # Deleted, or deleted again between the listing and the multiget.
        for href in (*gone, *(h for h in stale if h not in fetched)):
            resources.pop(href, None)
            skipped.pop(href, None)
        kept, others = self._sort(fetched.items())
        for href in kept:
            skipped.pop(href, None)
        for href in others:
            resources.pop(href, None)
        return dataclasses.replace(cache, token=token, ctag=ctag, written=(),
                                   resources={**resources, **kept},
                                   skipped={**skipped, **others})

    def _sync(self, url: str, token: str) -> tuple[str, dict[str, str], set[str]]:
        """RFC 6578: (new token, href → etag of what changed, hrefs removed)."""
        changed: dict[str, str] = {}
        gone: set[str] = set()
        for _ in range(100):  # a server may answer in pages (507 on the collection)
            body = (f'{_XML}<D:sync-collection xmlns:D="DAV:"><D:sync-token>{escape(token)}'
                    "</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/>"
                    "</D:prop></D:sync-collection>")
            tree = self._multistatus("REPORT", url, body, {"Depth": "0"})
            more = False
            for answer in tree.findall(DAV + "response"):
                href = _href(answer, url)
                status = _text(answer, DAV + "status")
                if _same(href, url):
                    more = more or " 507 " in f" {status} "
                elif " 404 " in f" {status} ":
                    gone.add(href)
                    changed.pop(href, None)
                else:
                    etag = "".join(_text(p, DAV + "getetag") for p in _ok_props(answer))
                    if not etag:
                        raise CalendarError(f"{self.name}: the server listed a change "
                                            f"without its etag ({_path(href)})")
                    changed[href] = etag
                    gone.discard(href)
            token = _text(tree, DAV + "sync-token") or token
            if not more:
                return token, changed, gone
        raise CalendarError(f"{self.name}: the list of changes does not end")

    def _etags(self, cache: DavCache) -> tuple[dict[str, str], set[str]]:
        """Without sync tokens: every etag of the span, and what is no longer listed."""
        body = (f"{_XML}<C:calendar-query {_NS}><D:prop><D:getetag/></D:prop><C:filter>"
                '<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
                f'<C:time-range start="{_utc(dt.datetime.fromisoformat(cache.start))}" '
                f'end="{_utc(dt.datetime.fromisoformat(cache.end))}"/></C:comp-filter>'
                "</C:comp-filter></C:filter></C:calendar-query>")
        tree = self._multistatus("REPORT", cache.url, body, {"Depth": "1"})
        listed = {_href(a, cache.url): "".join(_text(p, DAV + "getetag") for p in _ok_props(a))
                  for a in tree.findall(DAV + "response")}
        return listed, (set(cache.resources) | set(cache.skipped)) - set(listed)

    def _multiget(self, url: str, hrefs: Iterable[str]) -> dict[str, tuple[str, str]]:
        wanted = "".join(f"<D:href>{escape(urlsplit(h).path)}</D:href>" for h in hrefs)
        body = (f"{_XML}<C:calendar-multiget {_NS}><D:prop><D:getetag/><C:calendar-data/>"
                f"</D:prop>{wanted}</C:calendar-multiget>")
        # RFC 4791 7.9: no Depth header on a multiget.
        tree = self._multistatus("REPORT", url, body, {})
        return dict(self._objects(tree, url, missing_ok=True))

    def _objects(self, tree: Any, url: str, *,
                 missing_ok: bool = False) -> Iterable[tuple[str, tuple[str, str]]]:
        """(href, (etag, text)) for each calendar object of a REPORT answer."""
        for answer in tree.findall(DAV + "response"):
            href = _href(answer, url)
            if _same(href, url):
                status = _text(answer, DAV + "status")
                raise CalendarError(f"{self.name}: the server cut the answer short "
                                    f"({status.strip() or 'no status'})")
            if missing_ok and " 404 " in f" {_text(answer, DAV + 'status')} ":
                continue  # deleted between the listing and the multiget
            props = _ok_props(answer)
            etag = "".join(_text(p, DAV + "getetag") for p in props)
            data = "".join(_text(p, CAL + "calendar-data") for p in props)
            if not etag or not data.strip():
                raise CalendarError(f"{self.name}: {_path(href)} came without its etag or "
                                    "data")
            yield href, (etag, data)

    def _series(self, start: dt.datetime, end: dt.datetime) -> tuple[Series, ...]:
        series: list[Series] = []
        hrefs: dict[str, str] = {}
        for href, (etag, data) in sorted(self.cache.resources.items()):
            try:
                found = resource.series_in(data.encode(), _last(href), etag, start, end,
                                           self._zone)
            except (ValueError, KeyError, TypeError) as exc:
                raise CalendarError(f"{self.name}: {_path(href)} cannot be read: "
                                    f"{_short(exc)}") from None
            for item in found:
                if item.uid in hrefs:
                    raise CalendarError(f"{self.name}: event {item.uid} is in both "
                                        f"{_path(hrefs[item.uid])} and {_path(href)}")
                hrefs[item.uid] = href
            series.extend(found)
        self._hrefs = hrefs
        return tuple(sorted(series, key=lambda s: s.uid))

    # --- writing ----------------------------------------------------------------------

    def create(self, spec: SeriesSpec) -> str:
        """PUT the new series with If-None-Match: *; if an earlier run made it already,
        return the etag it has now."""
        known = self._hrefs.get(spec.uid)
        if known is not None and known in self.cache.resources:
            return self.cache.resources[known][0]
        url = self._collection()
        href = _canonical(url + _file_name(spec.uid))
        data = resource.new_resource(spec).decode()
        response = self._send("PUT", href, data, {
            "Content-Type": "text/calendar; charset=utf-8", "If-None-Match": "*"})
        if response.status == 412:
            return self._refetch(url, href, spec.uid)
        if response.status not in (200, 201, 204):
            raise CalendarError(f"{self.name}: creating {spec.uid}: {_why(response)}")
        return self._stored(url, href, spec.uid, data, response)

    def patch(self, uid: str, patch: SeriesPatch, etag: str) -> str:
        """PUT the resource of `uid` with its master patched, If-Match `etag`.

        Raises ConflictError on 412 (changed meanwhile), CalendarError when it is gone.
        """
        href = self._hrefs.get(uid)
        if href is None or href not in self.cache.resources:
            raise CalendarError(f"{self.name}: event {uid} was not read in this run")
        current, data = self.cache.resources[href]
        if current != etag:
            raise ConflictError(f"{self.name}: event {uid} changed since it was read")
        new = resource.patched(data.encode(), uid, patch, self._zone).decode()
        response = self._send("PUT", href, new, {
            "Content-Type": "text/calendar; charset=utf-8", "If-Match": etag})
        if response.status == 412:
            raise ConflictError(f"{self.name}: event {uid} changed since it was read")
        if response.status in (404, 410):
            raise CalendarError(f"{self.name}: event {uid} is gone")
        if response.status not in (200, 201, 204):
            raise CalendarError(f"{self.name}: changing {uid}: {_why(response)}")
        return self._stored(self.cache.url, href, uid, new, response)

    def _stored(self, url: str, href: str, uid: str, data: str, response: Any) -> str:
        """Keep what was written; a server that changed it on the way sends no ETag
        (RFC 4791 5.3.4), so its own version is read back."""
        etag = response.headers.get("ETag")
        if not etag:
            return self._refetch(url, href, uid)
        self._keep(href, uid, etag, data)
        return str(etag)

    def _refetch(self, url: str, href: str, uid: str) -> str:
        found = self._multiget(url, [href])
        if href not in found:
            raise CalendarError(f"{self.name}: {uid} was written but cannot be read back")
        etag, data = found[href]
        self._keep(href, uid, etag, data)
        return etag

    def _keep(self, href: str, uid: str, etag: str, data: str) -> None:
        self._hrefs[uid] = href
        self.cache = dataclasses.replace(
            self.cache, resources={**self.cache.resources, href: (etag, data)},
            written=(*dict.fromkeys((*self.cache.written, href)),))


class _StaleToken(Exception):
    """The server no longer knows the sync token (RFC 6578 3.2 valid-sync-token)."""


@dataclasses.dataclass
class _Props:
    calendar: bool = False
    name: str = ""
    token: str = ""
    ctag: str = ""


def _ok_props(answer: Any) -> list[Any]:
    """The DAV:prop elements of an answer's propstats with status 200."""
    return [stat.find(DAV + "prop") for stat in answer.iter(DAV + "propstat")
            if " 200 " in f" {_text(stat, DAV + 'status')} "
            and stat.find(DAV + "prop") is not None]


def _text(element: Any, tag: str) -> str:
    found = element.find(tag) if element is not None else None
    return str(found.text or "") if found is not None else ""


def _precondition(tree: Any, name: str) -> bool:
    return tree is not None and tree.tag == DAV + "error" and tree.find(DAV + name) is not None


def _href(answer: Any, base: str) -> str:
    return _canonical(urljoin(base, _text(answer, DAV + "href").strip()))


def _canonical(url: str) -> str:
    """One spelling per resource URL: servers differ in what they percent-encode."""
    parts = urlsplit(url)
    return parts._replace(path=quote(unquote(parts.path), safe=_SAFE)).geturl()


def _same(href: str, url: str) -> bool:
    return urlsplit(href).path.rstrip("/") == urlsplit(url).path.rstrip("/")


def _folder(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _last(url: str) -> str:
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


def _path(url: str) -> str:
    """A URL's path, for messages (the host is in the calendar's name)."""
    return urlsplit(url).path or "/"


def _file_name(uid: str) -> str:
    return _UNSAFE.sub("_", uid).lstrip(".") + ".ics"


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _why(response: Any) -> str:
    return f"HTTP {response.status} {getattr(response, 'reason', '') or ''}".strip()


def _short(exc: BaseException) -> str:
    """The first line of an exception's message, cut to a readable length."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]
