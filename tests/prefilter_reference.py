"""The ICS pre-filter as it was before the fast one (syncd/calendars/prefilter.py): a
walk over every line it reads, kept verbatim as the reference the fast one must equal
(tests/unit/test_prefilter.py). Not used by syncd.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field

from syncd.calendars.base import CalendarError
from syncd.calendars.ical import MARKER_PROP, OOF_PROP
from syncd.core.relevance import Relevance, addresses

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
