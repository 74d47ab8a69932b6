"""The fast ICS pre-filter (syncd/calendars/prefilter.py) keeps exactly what the line-by-line
walk it replaced keeps (tests/prefilter_reference.py): the same text, the same etags, the
same error, on generated feeds (folds anywhere, CRLF, LF and CR-only line ends, odd case,
odd components) and on the real-world corpus."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock
from zoneinfo import ZoneInfo

import icalendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import syncd.calendars.prefilter as fast
from syncd.calendars.base import CalendarError
from syncd.calendars.ical import series_from_calendar
from syncd.calendars.ics import parsed_for
from syncd.calendars.prefilter import without_past_overrides
from syncd.core.model import Cadence, Person, Series, Slot
from syncd.core.relevance import Relevance, addresses
from tests import prefilter_reference as reference

DATA = Path(__file__).resolve().parent.parent / "data" / "realworld"
BERLIN = ZoneInfo("Europe/Berlin")
OWNER = "lea@example.com"
SINCE = dt.date(2026, 1, 1)
LABEL = "feed.ics"
ROSTER_EMAILS = ("ann@example.com", "kate@example.org", "bo.x@example.com")
OTHER_EMAILS = ("joann@example.com", "bob@example.com", OWNER, "ann@example.comx",
                "JÖRG@example.com")


def _person(email: str, *, aliases: tuple[str, ...] = (), title: str = "") -> Person:
    return Person(name=email, email=email, cadence=Cadence("weekly", "weekly", weeks=1),
                  slot=Slot(0, dt.time(10)), duration=dt.timedelta(minutes=30),
                  aliases=aliases, title_pattern=title)


Outcome = tuple[bytes, dict[str, str]] | str


def _outcome(function: object, text: bytes, wanted: Relevance, since: dt.date) -> Outcome:
    try:
        return function(text, wanted, LABEL, "feed", since)  # type: ignore[operator, no-any-return]
    except CalendarError as exc:
        return str(exc)


@contextmanager
def _slices(size: int) -> Iterator[None]:
    """The fast pre-filter cutting the text into slices of about `size` bytes (1 MiB in
    use), so small feeds cross slice edges too."""
    with mock.patch.object(fast, "_SLICE", size):
        yield


def _assert_same(text: bytes, wanted: Relevance, since: dt.date = SINCE) -> Outcome:
    expected = _outcome(reference._prefilter, text, wanted, since)
    assert _outcome(fast.prefilter, text, wanted, since) == expected
    with _slices(97):
        assert _outcome(fast.prefilter, text, wanted, since) == expected
    return expected


# --- generated feeds --------------------------------------------------------------


def _case(draw: st.DrawFn, word: str) -> str:
    """`word` as written, or in lower or mixed case (iCalendar names are case-blind)."""
    how = draw(st.sampled_from(["as is", "as is", "as is", "lower", "mixed"]))
    if how == "lower":
        return word.lower()
    if how == "mixed":
        return "".join(c.lower() if i % 2 else c for i, c in enumerate(word))
    return word


@st.composite
def _address(draw: st.DrawFn) -> str:
    email = draw(st.sampled_from(ROSTER_EMAILS + OTHER_EMAILS))
    if draw(st.booleans()):
        email = draw(st.sampled_from([email.upper(), email.title(),
                                      email.replace("k", "\u212a")]))
    return email


@st.composite
def _people_line(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(["ATTENDEE", "ORGANIZER"]))
    email = draw(_address())
    params = draw(st.sampled_from([
        "", ";PARTSTAT=ACCEPTED", ";CN=Anna Ärger", f';CN="{draw(_address())}"',
        f';DELEGATED-FROM="mailto:{draw(_address())}"', ";CN=x:y"]))
    mailto = draw(st.sampled_from(["mailto:", "MAILTO:", "MailTo:", ""]))
    return f"{_case(draw, name)}{params}:{mailto}{email}"


@st.composite
def _event_lines(draw: st.DrawFn, uids: list[str]) -> list[str]:
    lines = []
    uid = draw(st.sampled_from([*uids, "", "a\\,b", "  spaced  ", "é-uid", "UID-X"]))
    if uid or draw(st.booleans()):
        lines.append(f"{_case(draw, 'UID')}:{uid}")
    day = draw(st.dates(dt.date(2025, 12, 20), dt.date(2026, 1, 10)))
    start = draw(st.sampled_from(["DTSTART:{}T100000Z", "DTSTART;VALUE=DATE:{}",
                                  "DTSTART;TZID=Europe/Berlin:{}T100000", "DTSTART:bad{}"]))
    lines.append(start.format(day.strftime("%Y%m%d")))
    extras = draw(st.lists(st.sampled_from(
        ["people", "people", "summary", "rrule", "rid", "dtend", "duration", "marker", "oof",
         "alarm", "nested", "description"]), max_size=6))
    for extra in extras:
        if extra == "people":
            lines.append(draw(_people_line()))
        elif extra == "summary":
            title = draw(st.sampled_from(["1:1 Ann", "1:1 Ann\\, weekly", "Vacation", "Team",
                                          "1:1 \\nAnn"]))
            lines.append(f"{_case(draw, 'SUMMARY')};LANGUAGE=en:{title}")
        elif extra == "rrule":
            lines.append(draw(st.sampled_from(["RRULE:FREQ=WEEKLY", "RDATE:20260301T100000Z"])))
        elif extra == "rid":
            lines.append(f"RECURRENCE-ID:{day:%Y%m%d}T100000Z")
        elif extra == "dtend":
            lines.append(f"DTEND:{day + dt.timedelta(days=draw(st.integers(0, 20))):%Y%m%d}")
        elif extra == "duration":
            lines.append(draw(st.sampled_from(["DURATION:P2W", "DURATION:PT1H", "DURATION:-P3D"])))
        elif extra == "marker":
            lines.append(f"{_case(draw, 'X-SYNCD-ID')}:0123456789abcdef-1")
        elif extra == "oof":
            lines.append(f"X-MICROSOFT-CDO-BUSYSTATUS:{draw(st.sampled_from(['OOF', 'BUSY']))}")
        elif extra == "alarm":
            lines += ["BEGIN:VALARM", "ACTION:EMAIL", draw(_people_line()), "END:VALARM"]
        elif extra == "nested":
            lines += ["BEGIN:VEVENT", draw(_people_line()), "SUMMARY:1:1 Ann", "END:VEVENT"]
        else:
            lines.append("DESCRIPTION:" + draw(st.sampled_from(
                ["Agenda", "mailto:ann@example.com", "x" * 90])))
    return [f"{_case(draw, 'BEGIN')}:VEVENT", *lines, f"{_case(draw, 'END')}:VEVENT"]


@st.composite
def _feed(draw: st.DrawFn) -> bytes:
    """A feed: header, time zones and events, written with random folds and line ends,
    sometimes broken (a line cut, a component left open, a second calendar)."""
    uids = draw(st.lists(st.sampled_from(["u1", "u2", "u3", "u4@example.com"]), min_size=1,
                         max_size=3))
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "X-WR-TIMEZONE:Europe/Berlin"]
    for _ in range(draw(st.integers(0, 7))):
        kind = draw(st.sampled_from(["event", "event", "event", "timezone", "todo", "junk"]))
        if kind == "event":
            lines += draw(_event_lines(uids))
        elif kind == "timezone":
            lines += ["BEGIN:VTIMEZONE", "TZID:Custom", "BEGIN:STANDARD",
                      "DTSTART:19700101T000000", "TZOFFSETFROM:+0300", "TZOFFSETTO:+0300",
                      "END:STANDARD", "END:VTIMEZONE"]
        elif kind == "todo":
            lines += ["BEGIN:VTODO", "ATTENDEE:mailto:ann@example.com", "END:VTODO"]
        else:
            lines.append(draw(st.sampled_from(
                ["X-CALENDAR-PROP:ann@example.com", "", " continued", "UID:stray"])))
    lines.append(f"{_case(draw, 'END')}:VCALENDAR")
    breakage = draw(st.sampled_from(["none"] * 16 + ["cut", "drop", "twice", "prefix"]))
    if breakage == "cut" and len(lines) > 2:
        lines = lines[:draw(st.integers(1, len(lines) - 1))]
    elif breakage == "drop":
        del lines[draw(st.integers(0, len(lines) - 1))]
    elif breakage == "twice":
        lines += ["BEGIN:VCALENDAR", "END:VCALENDAR"]
    elif breakage == "prefix":
        lines.insert(0, draw(st.sampled_from(["\ufeff", "junk", "BEGIN:VEVENT", ""])))
    ends = draw(st.sampled_from(["\r\n"] * 5 + ["\n"] * 3 + ["\r", "mixed"]))
    out = []
    for line in lines:
        out.append(_folded(draw, line))
        out.append(draw(st.sampled_from(["\r\n"] * 8 + ["\n", "\r"])) if ends == "mixed"
                   else ends)
    return "".join(out).encode()


def _folded(draw: st.DrawFn, line: str) -> str:
    """`line`, sometimes folded at random places (RFC 5545 folds at 75 octets; these fold
    anywhere, inside names and addresses too), with CRLF, LF, a space or a tab. BEGIN and
    END lines are folded seldom: a fold in their name hides them from the line walk, and
    the feed is refused."""
    structural = line.upper().startswith(("BEGIN", "END"))
    if len(line) < 2 or not draw(st.sampled_from([False] * (19 if structural else 1) + [True])):
        return line
    cuts = sorted(set(draw(st.lists(st.integers(1, len(line) - 1), min_size=1, max_size=3))))
    fold = draw(st.sampled_from(["\r\n ", "\r\n ", "\r\n\t", "\n "]))
    pieces = [line[a:b] for a, b in zip([0, *cuts], [*cuts, len(line)], strict=True)]
    return fold.join(pieces)


@st.composite
def _wanted(draw: st.DrawFn) -> Relevance:
    emails = draw(st.lists(st.sampled_from((*ROSTER_EMAILS, "jörg@example.com")), min_size=0,
                           max_size=3, unique=True))
    people = [_person(e) for e in emails]
    if draw(st.booleans()):
        people.append(_person("t@x.invalid", title=draw(st.sampled_from(["1:1 ann", r"ann,"]))))
    if draw(st.booleans()):
        people.append(_person("a@x.invalid", aliases=("ANN@example.com",)))
    away = draw(st.sampled_from(["", "", "vacation"]))
    everyone = not people and draw(st.integers(0, 3)) > 0
    return Relevance.of(people, OWNER, away, everyone=everyone)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_feed(), wanted=_wanted(), since=st.sampled_from([SINCE, dt.date.min]))
def test_the_fast_prefilter_keeps_exactly_what_the_line_walk_keeps(
        text: bytes, wanted: Relevance, since: dt.date) -> None:
    _assert_same(text, wanted, since)


# --- the real-world corpus ----------------------------------------------------------


FILES = sorted(DATA.glob("*.ics"))


def _rosters(text: bytes) -> Iterator[Relevance]:
    """Every address in the file on the roster; each one alone; titles; `syncd init`."""
    found = sorted(set(addresses(text.decode("utf-8", "replace"))) - {OWNER})
    yield Relevance.of([_person(e) for e in found], OWNER)
    for email in found[:5]:
        yield Relevance.of([_person(email)], OWNER)
    yield Relevance.of([_person("t@x.invalid", title="meeting|call")], OWNER, "vacation|ooo")
    yield Relevance.of([], OWNER, everyone=True)
    yield Relevance.of([_person("t@x.invalid", title=".")], OWNER)


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_the_corpus_is_filtered_as_by_the_line_walk(path: Path) -> None:
    text = path.read_bytes()
    for wanted in _rosters(text):
        for since in (dt.date.min, dt.date(2019, 1, 1)):
            _assert_same(text, wanted, since)


def test_the_corpus_check_compares_kept_events() -> None:
    """The corpus check above compares something: most files keep events for a title
    every event has, and several for their addresses."""
    by_title = Relevance.of([_person("t@x.invalid", title=".")], OWNER)
    titled = addressed = 0
    for path in FILES:
        text = path.read_bytes()
        outcome = _assert_same(text, by_title, dt.date.min)
        titled += not isinstance(outcome, str) and bool(outcome[1])
        outcome = _assert_same(text, next(_rosters(text)), dt.date.min)
        addressed += not isinstance(outcome, str) and bool(outcome[1])
    assert titled >= 30 and addressed >= 5


# --- examples a user would notice ------------------------------------------------------


ANN_EVENT = ("BEGIN:VEVENT\r\nUID:ann\r\nDTSTART:20260105T100000Z\r\nRRULE:FREQ=WEEKLY\r\n"
             "ATTENDEE;CN=Ann:mailto:ann@example.com\r\nEND:VEVENT\r\n")


def _calendar(*components: str) -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + "".join(components)
            + "END:VCALENDAR\r\n").encode()


@pytest.mark.parametrize("folds", [("\r\n ", "\r\n "), ("\r\n ", "\r\n\t"), ("\r\n ", "\n "),
                                   ("\n ", "\n\t")])
def test_an_address_split_by_folds_is_found(folds: tuple[str, str]) -> None:
    folded = ANN_EVENT.replace("ann@example.com", f"an{folds[0]}n@exa{folds[1]}mple.com")
    other = ANN_EVENT.replace("UID:ann", "UID:bob").replace("ann@", "bob@")
    text = _calendar(other, folded)
    if "\r\n" not in folds:
        text = text.replace(b"\r\n", b"\n")
    outcome = _assert_same(text, Relevance.of([_person("ann@example.com")], OWNER))
    assert not isinstance(outcome, str) and list(outcome[1]) == ["ann"]


def test_an_address_spelled_with_a_kelvin_sign_is_found() -> None:
    """Lower-cased as Python lower-cases text, U+212A KELVIN SIGN is a "k": the line walk
    matched "\u212aate@example.org" to kate@example.org, and so does the fast filter."""
    kelvin = ANN_EVENT.replace("ann@example.com", "\u212aATE@example.org")
    outcome = _assert_same(_calendar(kelvin), Relevance.of([_person("kate@example.org")], OWNER))
    assert not isinstance(outcome, str) and list(outcome[1]) == ["ann"]


def test_an_odd_component_does_not_hide_the_events_after_it() -> None:
    """A fold after an empty line (unfolded, it looks like a BEGIN line the line walk never
    saw) and a tab fold in a file folded with spaces (the slice is then read event by
    event): the 1:1s around them are still kept, and nothing else."""
    odd = ("BEGIN:VEVENT\r\nUID:odd\r\nDTSTART:20260105T100000Z\r\n\r\n BEGIN:VEVENT\r\n"
           "SUMMARY:tab\r\n\tfolded\r\nATTENDEE:mailto:bob@example.com\r\nEND:VEVENT\r\n")
    text = _calendar(ANN_EVENT.replace("UID:ann", "UID:before"), odd, ANN_EVENT)
    wanted = Relevance.of([_person("ann@example.com")], OWNER)
    outcome = _assert_same(text, wanted)
    assert not isinstance(outcome, str) and list(outcome[1]) == ["before", "ann"]


def test_overrides_naming_nobody_are_kept_with_their_series() -> None:
    moved = ("BEGIN:VEVENT\r\nUID:ann\r\nRECURRENCE-ID:20260112T100000Z\r\n"
             "DTSTART:20260113T100000Z\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n")
    other = ("BEGIN:VEVENT\r\nUID:team\r\nDTSTART:20260105T100000Z\r\n"
             "ATTENDEE:mailto:bob@example.com\r\nEND:VEVENT\r\n")
    outcome = _assert_same(_calendar(moved, other, ANN_EVENT),
                           Relevance.of([_person("ann@example.com")], OWNER))
    assert not isinstance(outcome, str)
    assert outcome[0].count(b"UID:ann") == 2 and b"UID:team" not in outcome[0]


@pytest.mark.parametrize("ends", ["\n", "\r"])
def test_lf_and_cr_line_ends_read_as_the_line_walk_reads_them(ends: str) -> None:
    text = _calendar(ANN_EVENT).replace(b"\r\n", ends.encode())
    _assert_same(text, Relevance.of([_person("ann@example.com")], OWNER))


# --- what a window's read leaves out: overrides it cannot see, lines nothing reads ----


def _series(text: bytes, start: dt.datetime, end: dt.datetime) -> list[Series] | None:
    """What a read of `text` converts for [start, end); None when icalendar refuses it."""
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except Exception:
        return None
    found = series_from_calendar(calendar, start, end, BERLIN, lambda uid: uid)
    return sorted(found, key=lambda s: s.uid)


def _assert_window_unchanged(kept: bytes, start: dt.datetime, end: dt.datetime) -> bytes:
    """What the read of [start, end) leaves out of the kept text (the overrides it cannot
    see, the lines nothing reads) changes nothing the read gives. Returns the text
    without those overrides."""
    since = start.astimezone(dt.UTC).date() - dt.timedelta(days=2)
    whole = _series(kept, start, end)
    if whole is not None:  # (a feed icalendar refuses is refused before this step)
        found = series_from_calendar(parsed_for(kept, since), start, end, BERLIN,
                                     lambda uid: uid)
        assert sorted(found, key=lambda s: s.uid) == whole
    return without_past_overrides(kept, since)


# Lines no reader looks at, as calendars write them (and odder: folded, in lower case,
# with parameters, floating, unreadable), and lines that are read.
UNREAD = ("DTSTAMP:20261120T080000Z", "CREATED:20250101T000000", "LOCATION:Room 1",
          "Last-Modified:20250102T093000Z", 'LOCATION;ALTREP="http://x.invalid/a:b":Room\r\n 2',
          "DTSTAMP;X-LONG=" + "a" * 70 + "\r\n :20261120T080000Z", "CREATED:garbage",
          "location;LANGUAGE=en:Caf\u00e9\\, upstairs")
READ = ("SUMMARY:1:1", "ATTENDEE;CN=Ann:mailto:ann@example.com", "STATUS:TENTATIVE",
        "ORGANIZER:mailto:lea@example.com", "DESCRIPTION:Agenda\r\n LOCATION:not a line",
        "TRANSP:TRANSPARENT")


@st.composite
def _recurring_feed(draw: st.DrawFn) -> tuple[bytes, list[dt.datetime]]:
    """Series (timed, all-day, long, in zones) with overrides moved, cancelled, ranged,
    with alarms or odd values, and lines that are read or not; one-offs too; sometimes
    two masters of one UID, the same but for unread lines or not. And the meetings the
    overrides change."""
    events = []
    originals = []

    def described() -> list[str]:
        return draw(st.lists(st.sampled_from(UNREAD + READ), max_size=4, unique=True))

    for number in range(draw(st.integers(1, 3))):
        uid = f"s{number}"
        first = dt.datetime(2025, 1, 6, 10) + dt.timedelta(days=draw(st.integers(0, 400)))
        all_day = draw(st.booleans())
        when = draw(st.sampled_from([";TZID=Europe/Berlin:{}", ":{}Z", ":{}"]))

        def stamp(moment: dt.datetime, day: bool = all_day, how: str = when) -> str:
            return f";VALUE=DATE:{moment:%Y%m%d}" if day else how.format(f"{moment:%Y%m%dT%H%M%S}")

        length = draw(st.sampled_from([dt.timedelta(minutes=30), dt.timedelta(days=1),
                                       dt.timedelta(days=9)]))
        rule = draw(st.sampled_from(["FREQ=WEEKLY", "FREQ=DAILY;INTERVAL=5", "FREQ=MONTHLY"]))
        master = [f"UID:{uid}", f"DTSTART{stamp(first)}", f"RRULE:{rule}"]
        master.append(draw(st.sampled_from([f"DTEND{stamp(first + length)}",
                                            f"DURATION:P{length.days}DT{length.seconds}S"])))
        if draw(st.booleans()):
            master.append("SEQUENCE:2")
        master += described()
        if draw(st.integers(0, 5)):  # sometimes a series of overrides only
            events.append(master)
        if draw(st.integers(0, 5)) == 0:  # two masters: the same but for an unread line, or not
            events.append(draw(st.sampled_from([[*master, draw(st.sampled_from(UNREAD))],
                                                master[:4] + described()])))
        for _ in range(draw(st.integers(0, 6))):
            weeks = draw(st.integers(0, 100))
            original = first + dt.timedelta(weeks=weeks)
            originals.append(original)
            moved = original + dt.timedelta(days=draw(st.integers(-20, 20)))
            override = [f"UID:{uid}", f"RECURRENCE-ID{stamp(original)}",
                        f"DTSTART{stamp(moved)}", f"DTEND{stamp(moved + length)}"]
            for extra in draw(st.lists(st.sampled_from(
                    ["cancelled", "range", "alarm", "sequence", "bad sequence", "bad date",
                     "rule", "duration", "twice", "deep"]), max_size=2)):
                override += {
                    "cancelled": ["STATUS:CANCELLED"],
                    "range": [],
                    "alarm": ["BEGIN:VALARM", "TRIGGER:-PT5M", "END:VALARM"],
                    "sequence": ["SEQUENCE:3"],
                    "bad sequence": ["SEQUENCE:three"],
                    "bad date": [f"DTEND:{moved:%Y%m%d}T256100"],
                    "rule": ["RDATE:20260101T100000Z"],
                    "duration": ["DURATION:PT1H"],
                    "twice": [f"DTSTART{stamp(moved)}"],
                    "deep": ["BEGIN:VALARM", "BEGIN:X-DEEP", "END:X-DEEP", "END:VALARM"],
                }[extra]
                if extra == "range":
                    override[1] = "RECURRENCE-ID;RANGE=THISANDFUTURE" + override[1][13:]
            events.append(override + described())
    if draw(st.booleans()):
        events.append(["UID:one-off", "DTSTART:20250301T100000Z", "DTEND:20250301T110000Z",
                       *described()])
    events = draw(st.permutations(events))
    body = "".join("BEGIN:VEVENT\r\n" + "".join(f"{line}\r\n" for line in event)
                   + "END:VEVENT\r\n" for event in events)
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + body + "END:VCALENDAR\r\n").encode(), \
        originals


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(feed=_recurring_feed(), pick=st.integers(0, 20), shift=st.integers(-15, 15))
def test_what_a_window_leaves_out_changes_nothing_in_it(
        feed: tuple[bytes, list[dt.datetime]], pick: int, shift: int) -> None:
    """Windows start close to an overridden meeting, where leaving it out could show."""
    kept, originals = feed
    near = originals[pick % len(originals)] if originals else dt.datetime(2025, 6, 1)
    start = near.replace(tzinfo=dt.UTC) + dt.timedelta(days=shift)
    _assert_window_unchanged(kept, start, start + dt.timedelta(days=497))


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_what_a_window_leaves_out_of_the_corpus_changes_nothing(path: Path) -> None:
    text = path.read_bytes()
    outcome = _outcome(reference._prefilter, text, Relevance.of(
        [_person("t@x.invalid", title=".")], OWNER), dt.date.min)
    if isinstance(outcome, str):
        return
    for year in (2019,) if len(outcome[0]) > 500_000 else (2012, 2019, 2024):
        start = dt.datetime(year, 3, 1, tzinfo=dt.UTC)
        _assert_window_unchanged(outcome[0], start, start + dt.timedelta(days=497))


def test_old_moved_meetings_of_a_series_are_not_parsed() -> None:
    weekly = ("BEGIN:VEVENT\r\nUID:w\r\nDTSTART:20250106T100000Z\r\nDTEND:20250106T103000Z\r\n"
              "RRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\n")
    moved = ("BEGIN:VEVENT\r\nUID:w\r\nRECURRENCE-ID:{0}T100000Z\r\nDTSTART:{0}T150000Z\r\n"
             "DTEND:{0}T153000Z\r\nEND:VEVENT\r\n")
    kept = _calendar(weekly, moved.format("20250113"), moved.format("20260105"))
    trimmed = _assert_window_unchanged(kept, dt.datetime(2025, 12, 1, tzinfo=dt.UTC),
                                       dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    assert b"RECURRENCE-ID:20250113" not in trimmed and b"RECURRENCE-ID:20260105" in trimmed


@pytest.mark.parametrize("zone", [";TZID=Europe/Berlin:20250113T110000", ":20250113T100000Z"])
def test_an_old_override_stays_while_another_of_the_same_meeting_does(zone: str) -> None:
    """Two overrides of one meeting (not allowed, and found in feeds): the expansion picks
    one of them, so leaving out the old one could show the other instead."""
    weekly = ("BEGIN:VEVENT\r\nUID:w\r\nDTSTART:20250106T100000Z\r\nDTEND:20250106T103000Z\r\n"
              "RRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\n")
    moved = ("BEGIN:VEVENT\r\nUID:w\r\nRECURRENCE-ID{0}\r\nDTSTART:{1}T100000Z\r\n"
             "DTEND:{1}T103000Z\r\nEND:VEVENT\r\n")
    # The first one written wins: the old one, moved out of the window read.
    kept = _calendar(weekly, moved.format(zone, "20250114"),
                     moved.format(":20250113T100000Z", "20250201"))
    trimmed = _assert_window_unchanged(kept, dt.datetime(2025, 1, 25, tzinfo=dt.UTC),
                                       dt.datetime(2025, 6, 1, tzinfo=dt.UTC))
    assert trimmed == kept


@pytest.mark.parametrize(("master", "override"), [
    ("", "RECURRENCE-ID;RANGE=THISANDFUTURE:20250113T100000Z"),  # moves every later one
    ("", "RECURRENCE-ID:20250113T100000Z\r\nSEQUENCE:three"),  # the expansion reads it
    ("", "RECURRENCE-ID:20250113T100000Z\r\nRDATE:20260107T100000Z"),  # a rule of its own
    ("", "RECURRENCE-ID:20250113T100000Z\r\nBEGIN:VALARM\r\nBEGIN:X\r\nEND:X\r\nEND:VALARM"),
    ("", "RECURRENCE-ID:20250113T250000Z"),  # not a time: the expansion fails on it
    ("DURATION:P330D", "RECURRENCE-ID:20250113T100000Z"),  # the meeting would reach the window
], ids=["range", "sequence", "rdate", "deep", "bad-time", "long-meetings"])
def test_overrides_that_could_matter_are_kept(master: str, override: str) -> None:
    weekly = ("BEGIN:VEVENT\r\nUID:w\r\nDTSTART:20250106T100000Z\r\n"
              f"{master or 'DTEND:20250106T103000Z'}\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\n")
    moved = (f"BEGIN:VEVENT\r\nUID:w\r\n{override}\r\nDTSTART:20250114T100000Z\r\n"
             "DTEND:20250114T103000Z\r\nEND:VEVENT\r\n")
    kept = _calendar(weekly, moved)
    trimmed = _assert_window_unchanged(kept, dt.datetime(2025, 12, 1, tzinfo=dt.UTC),
                                       dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    assert trimmed == kept


def test_a_series_of_overrides_only_keeps_them_all() -> None:
    """Without a master, the first override stands for the series (its title, its start)."""
    moved = ("BEGIN:VEVENT\r\nUID:w\r\nRECURRENCE-ID:{0}T100000Z\r\nDTSTART:{0}T150000Z\r\n"
             "DTEND:{0}T153000Z\r\nEND:VEVENT\r\n")
    kept = _calendar(moved.format("20250113"), moved.format("20260105"))
    assert without_past_overrides(kept, dt.date(2025, 11, 1)) == kept


def test_two_masters_that_differ_only_where_nothing_reads_stay_unreadable() -> None:
    """Two masters of one UID are compared whole (see calendars/ical.py's _ambiguous),
    with the lines nothing else reads: left out of the parse, they would look the same."""
    master = ("BEGIN:VEVENT\r\nUID:w\r\nDTSTART:20250106T100000Z\r\n"
              "DTEND:20250106T103000Z\r\nRRULE:FREQ=WEEKLY\r\nLOCATION:{}\r\nEND:VEVENT\r\n")
    kept = _calendar(master.format("Room 1"), master.format("Room 2"))
    start = dt.datetime(2025, 12, 1, tzinfo=dt.UTC)
    _assert_window_unchanged(kept, start, start + dt.timedelta(days=90))
    read = _series(kept, start, start + dt.timedelta(days=90))
    assert read is not None and [s.broken.startswith("2 different events") for s in read] == [True]
