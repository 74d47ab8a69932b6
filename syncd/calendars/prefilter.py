"""An ICS feed's text reduced to what can concern the roster, before anything parses it.

A feed is tens of megabytes and tens of thousands of events, almost none of them a
1:1. Walking every property line of it in Python costs more than the rest of a read,
so the work is split by what it has to look at:

1. one regex pass over the few lines that give the file its shape or name an event
   outright (BEGIN, END, UID, syncd's marker, out of office; SUMMARY only when the
   roster matches titles): the components, each top-level event's UID, and the
   structural errors, exactly as a line-by-line walk finds them;
2. the roster's addresses searched in the whole text at once (unfolded and
   lower-cased a slice at a time, and reversed, so the addresses' shared domain is a
   literal the regex engine skips ahead to), each hit naming the event it is in;
3. the lines saying when those events happen, and when the events sharing their UIDs
   do (overrides and cancellations often name nobody); then, only of those whose UID
   has an event that may not be over before the window, the lines naming people.

Step 2 only picks which events step 3 reads: it may pick too many, never too few.
Where it cannot be sure (a slice folded in more than one way, a character whose lower
case is ASCII, addresses that are not plain ASCII, `syncd init` wanting anybody), it
picks every event of the slice, so an odd component costs time, never an event.
tests/unit/test_prefilter.py checks that the result is the line-by-line walk's.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from syncd.calendars.base import CalendarError
from syncd.calendars.ical import MARKER_PROP, OOF_PROP
from syncd.core.relevance import Relevance, addresses

_FOLD = re.compile(rb"\r?\n[ \t]")
_REST = rb"([;:][^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)"
# Bounded repeats: with `+`, a 100k-character run without a delimiter is rescanned from
# each of its characters (quadratic: 40 s for one long CN). No address part is longer.
# A property's parameters up to the colon that ends them (quoted values may hold colons;
# an unterminated quote runs to the end of the line: no value). Possessive, so a long
# line without a colon is scanned once.
_PARAMS = re.compile(rb'(?:[^":]++|"[^"]*+")*+:')
_ESCAPED = re.compile(r"\\([\\;,nN])")
_DATE = re.compile(rb"(\d{4})(\d{2})(\d{2})")
_DAYS = re.compile(rb"(\d+)([WDTHMS])")
# The usual BEGIN and END lines (after the newline before them), and what the loop
# would make of them: BEGIN or END, and the component's name.
_USUAL = {b"\n" + what + b":" + kind: (what == b"BEGIN", kind)
          for what in (b"BEGIN", b"END")
          for kind in (b"VCALENDAR", b"VEVENT", b"VALARM", b"VTIMEZONE", b"STANDARD",
                       b"DAYLIGHT", b"VTODO", b"VJOURNAL", b"VFREEBUSY")}
# A UID line whose value is its UID as it stands: printable ASCII without a backslash,
# nothing to unfold, unescape or strip.
_PLAIN_UID = re.compile(rb":[!-\[\]-~](?:[ -\[\]-~]*[!-\[\]-~])?")
# A fold left in text unfolded of one kind of fold.
_FOLDED = re.compile(rb"\n[ \t]")
# Unicode characters whose lower case is ASCII: with one in the text, a roster address
# can match what its ASCII lower case does not spell.
_LOWERS_TO_ASCII = (b"\xe2\x84\xaa", b"\xc4\xb0")  # KELVIN SIGN, I WITH DOT ABOVE
# The slices step 2 unfolds and lower-cases one at a time, in bytes (a few copies of
# one live at once, not of the whole feed).
_SLICE = 1 << 20


def prefilter(text: bytes, wanted: Relevance, label: str, name: str,
              since: dt.date) -> tuple[bytes, dict[str, str]]:
    """The feed reduced to its header, time zones and relevant UID groups, as ICS text,
    and each kept UID's etag (a hash of its VEVENTs' text: serialising them again to
    hash them costs more than parsing them).

    A UID group (master and overrides) is kept whole when any of its VEVENTs is
    relevant (overrides often lack attendees) and it is recurring or names a date
    on or after `since`. A VEVENT without UID gets the UID "<label>#<n>" (n counts
    every VEVENT from 1), as LocalCalendar names them. Raises CalendarError (naming
    `name`) when the text is not one whole calendar.
    """
    if (why := _not_utf8_text(text)) is not None:
        raise CalendarError(f"{name}: {why}")
    shape = _Shape.scan(text, wanted, label, name)
    groups: dict[bytes, list[int]] = {}  # in the order each UID first appears
    for index, uid in enumerate(shape.uids):
        groups.setdefault(uid, []).append(index)
    # A UID is kept when one of its events concerns the roster and one may not be over
    # before `since`. Most events naming a roster address are past one-offs: when they
    # happen is read first, and whom they name only when it can still matter.
    lasting: dict[bytes, bool] = {}
    relevant: set[bytes] = set()
    for index in shape.noted | _mentioned(text, shape, wanted):
        uid = shape.uids[index]
        if uid in relevant:
            continue
        if uid not in lasting:
            lasting[uid] = any(not shape.when(text, member).over_before(since)
                               for member in groups[uid])
        if lasting[uid] and (index in shape.noted or shape.concerns(text, index, wanted)):
            relevant.add(uid)
    kept = {uid.decode(): [shape.chunk(text, index) for index in members]
            for uid, members in groups.items() if uid in relevant}
    body = [*shape.header[:-1], *shape.timezones]
    body += [chunk for chunks in kept.values() for chunk in chunks]
    body.append(shape.header[-1])
    etags = {uid: hashlib.sha256(b"".join(chunks)).hexdigest() for uid, chunks in kept.items()}
    return b"".join(body), etags


# --- step 1: the shape --------------------------------------------------------------


@dataclass(slots=True)
class _When:
    """When one top-level VEVENT happens, as its lines say."""

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
class _Shape:
    """The calendar's components as step 1 finds them; top-level VEVENTs by index."""

    header: list[bytes] = field(default_factory=list)  # text between top-level components
    timezones: list[bytes] = field(default_factory=list)
    begins: list[int] = field(default_factory=list)  # offset of each VEVENT's BEGIN line
    ends: list[int] = field(default_factory=list)  # offset after its END line
    uids: list[bytes] = field(default_factory=list)  # UTF-8
    unnamed: set[int] = field(default_factory=set)  # given "<label>#<n>": no UID of their own
    noted: set[int] = field(default_factory=set)  # found relevant by step 1

    @classmethod
    def scan(cls, text: bytes, wanted: Relevance, label: str, name: str) -> _Shape:
        """The shape of `text`; CalendarError when it is not one whole calendar."""
        shape = cls()
        begins, uids, usual = shape.begins, shape.uids, _USUAL
        stack: list[bytes] = []
        gap = 0  # where text between top-level components (calendar properties) starts
        component = 0  # where the current top-level component starts
        in_event = False  # a top-level VEVENT is open
        finished = False
        for match in _shape_lines(text, wanted):
            if match.lastindex == 1:  # a UID line as plain as _PLAIN_UID says
                if in_event and len(stack) == 2:
                    uids[-1] = match.group(1)[1:]  # what _uid makes of it, made faster
                continue
            known = usual.get(match.group())
            if known is None:
                what = match.group(2).upper()
                if what != b"BEGIN" and what != b"END":
                    if in_event and len(stack) == 2:
                        rest = _unfold(match.group(3))
                        if what == b"UID":
                            uids[-1] = _uid(rest)
                        elif _concerns(what, rest, wanted):
                            shape.noted.add(len(begins) - 1)
                    continue
                known = (what == b"BEGIN", _unfold(match.group(3))[1:].strip().upper())
            opening, kind = known
            if finished:
                raise CalendarError(f"{name}: more than one VCALENDAR")
            if opening:
                if not stack:
                    if kind != b"VCALENDAR":
                        break
                    gap = match.start(2)
                elif len(stack) == 1:
                    component = match.start(2)
                    shape.header.append(text[gap:component])
                    if kind == b"VEVENT":
                        begins.append(component)
                        uids.append(b"")
                        in_event = True
                stack.append(kind)
                continue
            if not stack or stack[-1] != kind:
                raise CalendarError(f"{name}: END:{kind.decode(errors='replace')} "
                                    "without its BEGIN (truncated or not a calendar)")
            stack.pop()
            if len(stack) == 1:
                gap = _after_line(text, match.end())
                if kind == b"VTIMEZONE":
                    shape.timezones.append(text[component:gap])
                elif in_event:
                    shape.ends.append(gap)
                in_event = False
            elif not stack:
                shape.header.append(text[gap:_after_line(text, match.end())])
                finished = True
        if not finished:
            raise CalendarError(f"{name}: truncated or not a calendar")
        for index, uid in enumerate(uids):
            if not uid:
                uids[index] = f"{label}#{index + 1}".encode()
                shape.unnamed.add(index)
        return shape

    def when(self, text: bytes, index: int) -> _When:
        """When VEVENT `index` happens, as its own lines (not its alarms') say."""
        event = _When()
        for what, rest in self._own_lines(text, index, _WHEN_LINES):
            _look(event, what, rest)
        return event

    def concerns(self, text: bytes, index: int, wanted: Relevance) -> bool:
        """Whether a line of VEVENT `index`'s own (not its alarms') says it concerns the
        roster."""
        return any(_concerns(what, rest, wanted)
                   for what, rest in self._own_lines(text, index, _PEOPLE_LINES))

    def _own_lines(self, text: bytes, index: int, lines: re.Pattern[bytes]
                   ) -> Iterator[tuple[bytes, bytes]]:
        """The name (upper-case) and the rest (unfolded) of each of VEVENT `index`'s own
        property lines that `lines` finds."""
        depth = 0
        # From the newline before its BEGIN line: see _shape_patterns.
        for match in lines.finditer(text, self.begins[index] - 1, self.ends[index]):
            what = match.group(1).upper()
            if what == b"BEGIN":
                depth += 1
            elif what == b"END":
                depth -= 1
            elif depth == 1:
                yield what, _unfold(match.group(2))

    def chunk(self, text: bytes, index: int) -> bytes:
        """The text of VEVENT `index`, with the UID it was given when it has none."""
        chunk = text[self.begins[index]:self.ends[index]]
        if index not in self.unnamed:
            return chunk
        first = _after_line(chunk, 0)
        return chunk[:first] + b"UID:" + self.uids[index] + b"\r\n" + chunk[first:]


def _shape_lines(text: bytes, wanted: Relevance) -> Iterable[re.Match[bytes]]:
    """The lines step 1 reads, in order: BEGIN, END, UID, marker, out of office, and
    SUMMARY when a title can make an event relevant. Group 1 is the value of a plain UID
    line (see _PLAIN_UID); any other line has its name in group 2, the rest in group 3."""
    first, rest = _SHAPE_LINES[bool(wanted.titles) or wanted.away is not None]
    found = first.match(text)
    return itertools.chain([found] if found is not None else [], rest.finditer(text))


def _shape_patterns(*names: bytes, plain_uid: bool = False
                    ) -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    """Lines named `names`: the first line, and every other (after its "\\n": a literal
    the regex engine skips ahead to, where `^` with MULTILINE costs a check at every
    byte; then the names' first letters, a cheap test that rules out most lines). Name
    in group 1, the rest in group 2; with `plain_uid`, a plain UID line (the usual one:
    nothing to unfold, unescape or strip) has its value in group 1 instead, the others
    their name and rest in groups 2 and 3."""
    line = b"(?i:(" + b"|".join(re.escape(n) for n in names) + b"))" + _REST
    if plain_uid:
        line = b"UID(" + _PLAIN_UID.pattern + rb")(?=[\r\n]|\Z)(?!\r?\n[ \t])|" + line
    initials = bytes(sorted({c for n in names for c in (n[0], n.lower()[0])}))
    return re.compile(b"(?:" + line + b")"), \
        re.compile(b"\n(?=[" + re.escape(initials) + b"])(?:" + line + b")")


_SHAPE_LINES = {
    titled: _shape_patterns(b"BEGIN", b"END", b"UID", MARKER_PROP.encode(), OOF_PROP.encode(),
                            *([b"SUMMARY"] if titled else []), plain_uid=True)
    for titled in (False, True)
}
# The lines step 3 reads (with their continuation lines; BEGIN and END for the depth):
# when an event happens, and whom it names. Everything else is copied without a look
# (and without unfolding: icalendar unfolds what is kept).
_WHEN_LINES = _shape_patterns(b"BEGIN", b"END", b"DTSTART", b"DTEND", b"DURATION",
                              b"RECURRENCE-ID", b"RRULE", b"RDATE")[1]
_PEOPLE_LINES = _shape_patterns(b"BEGIN", b"END", b"ATTENDEE", b"ORGANIZER", b"SUMMARY",
                                MARKER_PROP.encode(), OOF_PROP.encode())[1]


# --- step 2: the roster's addresses --------------------------------------------------


def _mentioned(text: bytes, shape: _Shape, wanted: Relevance) -> set[int]:
    """Indexes of VEVENTs that may name a roster address: every one that does, and
    possibly some more."""
    if not wanted.emails and wanted.anyone_but is None:
        return set()
    needles = _needles(wanted.emails) if wanted.anyone_but is None else None
    if needles is None:
        return set(range(len(shape.begins)))
    found: set[int] = set()
    begins = shape.begins
    first = 0
    while first < len(begins):
        last = bisect.bisect_left(begins, begins[first] + _SLICE, first + 1)
        found |= _mentioned_between(text, shape, needles, first, last)
        first = last
    return found


def _mentioned_between(text: bytes, shape: _Shape, needles: re.Pattern[bytes],
                       first: int, last: int) -> set[int]:
    """VEVENTs first..last-1 that may name a roster address: their text unfolded (as
    each property line is before it is read), lower-cased and reversed."""
    begin = shape.begins[first]
    piece = text[begin:shape.ends[last - 1]]
    if not piece.isascii() and any(c in piece for c in _LOWERS_TO_ASCII):
        return set(range(first, last))
    fold = b"\r\n " if b"\r" in piece else b"\n "
    parts = piece.split(fold)
    del piece
    unfolded = b"".join(parts)
    if _FOLDED.search(unfolded):
        # Folds of another kind too (a tab, LF beside CRLF): read every event of these.
        return set(range(first, last))
    # Where each part starts in the unfolded text: a hit in part n is n folds further on.
    starts = list(itertools.accumulate(map(len, parts), initial=0))
    del parts
    backwards = unfolded.lower()[::-1]
    size = len(unfolded)
    del unfolded
    found = set()
    for hit in needles.finditer(backwards):
        at = size - hit.end()
        at += begin + len(fold) * (bisect.bisect_right(starts, at) - 1)
        index = bisect.bisect_right(shape.begins, at, first, last) - 1
        if at < shape.ends[index]:
            found.add(index)
    return found


def _needles(emails: Iterable[str]) -> re.Pattern[bytes] | None:
    """A regex finding any of `emails` in reversed, lower-cased text; None when a plain
    search cannot stand for the comparison relevance makes (an address not in ASCII),
    or the addresses branch too deeply to make one."""
    if not all(email.isascii() for email in emails):
        return None
    try:
        return re.compile(_trie([email.encode()[::-1] for email in emails]))
    except RecursionError:
        return None


def _trie(words: list[bytes]) -> bytes:
    """A regex matching where any of `words` starts (or a word that starts one of them),
    its branches sharing their common beginnings: a thousand addresses cost about as
    much to look for as ten. It nests once per place where the words part ways."""
    if b"" in words:
        return b""
    heads: dict[bytes, list[bytes]] = {}
    for word in sorted(set(words)):
        heads.setdefault(word[:1], []).append(word[1:])
    branches = []
    for head, rests in heads.items():
        # The words are sorted: what the first and last share, all share.
        common = 0
        while common < min(len(rests[0]), len(rests[-1])) and \
                rests[0][common] == rests[-1][common]:
            common += 1
        branches.append(re.escape(head + rests[0][:common])
                        + _trie([r[common:] for r in rests]))
    return branches[0] if len(branches) == 1 else b"(?:" + b"|".join(branches) + b")"


# --- step 3: reading an event's lines -----------------------------------------------


def _look(event: _When, what: bytes, rest: bytes) -> None:
    """Note when a property line of a top-level VEVENT (`rest`: after its name) says it
    happens."""
    if what in (b"RRULE", b"RDATE"):
        event.recurring = True
    elif what == b"DURATION":
        event.span = _days(_value(rest))
    elif what == b"DTSTART":
        event.start = _date(_value(rest))
        event.last = max(event.last, event.start)
    else:  # DTEND or RECURRENCE-ID
        event.last = max(event.last, _date(_value(rest)))


def _concerns(what: bytes, rest: bytes, wanted: Relevance) -> bool:
    """Whether a line naming people, the title, out of office or syncd's marker says the
    event concerns the roster."""
    if what in (b"ATTENDEE", b"ORGANIZER"):
        return wanted.concerns(people=addresses(rest.decode("utf-8", "replace")))
    if what == b"SUMMARY":
        return wanted.concerns(title=_unescape(_value(rest).decode("utf-8", "replace")))
    if what == OOF_PROP.encode():
        return wanted.concerns(out_of_office=_value(rest).strip().upper() == b"OOF")
    return wanted.concerns(marked=True)  # a syncd marker


def _uid(rest: bytes) -> bytes:
    """The UID an unfolded UID line (from the character after its name) gives, UTF-8."""
    return _unescape(_value(rest).decode("utf-8", "replace")).strip().encode()


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


# --- the part of the kept text a window needs ----------------------------------------


def without_past_overrides(kept: bytes, since: dt.date) -> bytes:
    """`kept` (what `prefilter` returned) without the overrides that cannot change a
    series' meetings from the day `since` on: a moved or cancelled meeting of a series
    with a master, which with everything it names ended before `since` and whose
    meeting as the master has it (were the override not there) would have ended too.
    Long-running 1:1s carry years of these, and parsing them is most of a changed
    feed's read.

    Only overrides without a rule of their own go, from series whose every event is
    written plainly: dates, SEQUENCE and RECURRENCE-ID (a RANGE parameter is not
    plain), no property twice, no components but alarms. Anything else stays whole, so
    what the expansion reads, or fails on, is as before. `kept` comes back
    unchanged when it cannot be read as prefilter's output.
    """
    try:
        shape = _Shape.scan(kept, _NOBODY, "", "")
    except CalendarError:
        return kept
    groups: dict[bytes, list[_Plain]] = {}
    for index, uid in enumerate(shape.uids):
        groups.setdefault(uid, []).append(_plain(kept, shape.begins[index], shape.ends[index]))
    dropped: list[_Plain] = []
    for members in groups.values():
        masters = [m for m in members if not m.override]
        if not masters or any(m.odd or m.days is None for m in members):
            continue
        # Without its override, a meeting lasts as long as the master's do.
        reach = dt.timedelta(days=max(m.days or 0 for m in masters) + 1)
        past = [m for m in members if m.override and not m.ruled and m.last + reach < since]
        # Two overrides of one meeting (which RFC 5545 does not allow, and feeds still
        # carry): which one shows is the expansion's choice among them all, so none goes
        # while another stays. The same meeting may be named in another zone: a day apart.
        gone = {id(m) for m in past}
        staying = {m.recurs.toordinal() + d for m in members
                   if m.override and id(m) not in gone for d in (-1, 0, 1)}
        dropped += [m for m in past if m.recurs.toordinal() not in staying]
    if not dropped:
        return kept
    dropped.sort(key=lambda m: m.begin)
    pieces, at = [], 0
    for member in dropped:
        pieces.append(kept[at:member.begin])
        at = member.end
    pieces.append(kept[at:])
    return b"".join(pieces)


def without_unread_lines(text: bytes) -> bytes:
    """`text` without the lines no Series depends on (_UNREAD), a sixth of a feed's
    parse. Only calendars/ical.py's _ambiguous, comparing two masters of one UID whole,
    reads them: a calendar with such a UID is to be parsed with them."""
    return _UNREAD.sub(b"", text)


# When and where a component was made, with its continuation lines (after the line end
# before it: a line of its own, not a folded part of another).
_UNREAD = re.compile(rb"(?<=\n)(?i:DTSTAMP|CREATED|LAST-MODIFIED|LOCATION)[;:][^\r\n]*"
                     rb"(?:\r?\n[ \t][^\r\n]*)*\r?\n")
_NOBODY = Relevance.of([], "")  # scanning kept text: whom it concerns is settled
# A date or date-time written plainly: a DATE, a UTC or floating time, a time in a zone.
_PLAIN_DATE = re.compile(rb"(?:;VALUE=DATE)?:(\d{8})|(?:;TZID=[^;:\"\r\n]+:|:)(\d{8})T(\d{6})Z?")
_PLAIN_DURATION = re.compile(rb":P(?:(\d{1,5})W|(?:(\d{1,5})D)?(?:T(?:\d{1,5}H)?(?:\d{1,5}M)?"
                             rb"(?:\d{1,5}S)?)?)")
_PLAIN_LINES = _shape_patterns(b"BEGIN", b"END", b"RECURRENCE-ID", b"DTSTART", b"DTEND",
                               b"DURATION", b"SEQUENCE", b"RRULE", b"RDATE", b"EXDATE",
                               b"EXRULE")[1]


@dataclass(slots=True)
class _Plain:
    """One VEVENT of the kept text, as far as leaving it out is concerned."""

    begin: int
    end: int
    override: bool = False  # has a RECURRENCE-ID
    ruled: bool = False  # has a rule or dates of its own (RRULE, RDATE, EXDATE, EXRULE)
    odd: bool = False  # a property twice, SEQUENCE not a number, components in alarms
    last: dt.date = dt.date.min  # the latest day it names or lasts into
    recurs: dt.date = dt.date.min  # the day of its RECURRENCE-ID
    days: int | None = None  # whole days it lasts, at least; None: its times are not plain


def _plain(text: bytes, begin: int, end: int) -> _Plain:
    event = _Plain(begin, end)
    seen: set[bytes] = set()
    days: dict[bytes, dt.date | None] = {}
    span = 1
    depth = 0
    for match in _PLAIN_LINES.finditer(text, begin - 1, end):
        what, rest = match.group(1).upper(), _unfold(match.group(2))
        if what in (b"BEGIN", b"END"):
            depth += 1 if what == b"BEGIN" else -1
            event.odd = event.odd or depth > 2  # an alarm, nothing deeper
            continue
        if depth != 1:
            continue
        if what in (b"RRULE", b"RDATE", b"EXDATE", b"EXRULE"):
            event.ruled = True
            continue
        event.odd = event.odd or what in seen
        seen.add(what)
        event.override = event.override or what == b"RECURRENCE-ID"
        if what == b"SEQUENCE":
            event.odd = event.odd or re.fullmatch(rb":\d{1,9}", rest) is None
        elif what == b"DURATION":
            found = _PLAIN_DURATION.fullmatch(rest)
            days[what] = None if found is None else dt.date.min
            if found is not None:
                span = int(found.group(1) or 0) * 7 + int(found.group(2) or 0) + 1
        elif what in (b"RECURRENCE-ID", b"DTSTART", b"DTEND"):
            days[what] = _plain_date(rest)
    start, stop = days.get(b"DTSTART"), days.get(b"DTEND", dt.date.min)
    if start is None or None in days.values():
        return event
    assert stop is not None
    event.days = max((stop - start).days + 1, span)
    event.recurs = days.get(b"RECURRENCE-ID") or dt.date.min
    event.last = max(*(d for d in days.values() if d is not None),
                     start + dt.timedelta(days=event.days))
    return event


def _plain_date(rest: bytes) -> dt.date | None:
    """The day of a plainly written DATE or DATE-TIME value; None for anything else."""
    found = _PLAIN_DATE.fullmatch(rest)
    if found is None:
        return None
    digits = found.group(1) or found.group(2)
    clock = found.group(3)
    if clock is not None and not (int(clock[:2]) < 24 and int(clock[2:4]) < 60
                                  and int(clock[4:]) < 61):
        return None
    try:
        return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None
